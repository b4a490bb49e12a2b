package bsd

import "encoding/binary"

// TunHeaderLen is the size of the header tun(4) puts before each packet
// in TUNSIFHEAD mode (FreeBSD) and always (OpenBSD): the address family,
// a big-endian 32-bit number.
const TunHeaderLen = 4

// PutTunHeader writes into b[:TunHeaderLen] the family of the IP packet at
// b[TunHeaderLen:] (af6 is the system's AF_INET6); it reports false if
// that is no IPv4 or IPv6 packet.
func PutTunHeader(b []byte, af6 uint8) bool {
	if len(b) <= TunHeaderLen {
		return false
	}
	var af uint32
	switch b[TunHeaderLen] >> 4 {
	case 4:
		af = AFInet
	case 6:
		af = uint32(af6)
	default:
		return false
	}
	binary.BigEndian.PutUint32(b, af)
	return true
}

// TunHeaderFamily returns 4 or 6 when b starts with the header of an IPv4
// or IPv6 packet, and 0 otherwise.
func TunHeaderFamily(b []byte, af6 uint8) int {
	if len(b) <= TunHeaderLen {
		return 0
	}
	switch binary.BigEndian.Uint32(b) {
	case AFInet:
		return 4
	case uint32(af6):
		return 6
	}
	return 0
}
