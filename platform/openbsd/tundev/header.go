package tundev

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// HeaderLen is the size of tun(4)'s per-packet header, and the least
// headroom Read and Write need before offset.
const HeaderLen = 4

// OpenBSD address families (sys/socket.h). AF_INET6 is 24 here, unlike
// Linux (10) and FreeBSD (28).
const (
	afInet  = 2
	afInet6 = 24
)

var (
	errShortHeadroom = fmt.Errorf("tundev: offset leaves less than %d bytes of headroom for the tun header", HeaderLen)
	errNotIP         = errors.New("tundev: packet is neither IPv4 nor IPv6")
)

// putHeader writes the tun header for the IP packet at b[HeaderLen:]
// into b[:HeaderLen], the family taken from the IP version nibble.
func putHeader(b []byte) error {
	if len(b) <= HeaderLen {
		return errNotIP
	}
	var af uint32
	switch b[HeaderLen] >> 4 {
	case 4:
		af = afInet
	case 6:
		af = afInet6
	default:
		return errNotIP
	}
	binary.BigEndian.PutUint32(b, af)
	return nil
}

// parseHeader checks the tun header at the start of a frame of n bytes
// read from the device and returns the size of the IP packet behind it.
// ok is false for frames that are not IPv4 or IPv6 (to be dropped).
func parseHeader(b []byte) (size int, ok bool) {
	if len(b) <= HeaderLen {
		return 0, false
	}
	switch binary.BigEndian.Uint32(b) {
	case afInet:
		if b[HeaderLen]>>4 != 4 {
			return 0, false
		}
	case afInet6:
		if b[HeaderLen]>>4 != 6 {
			return 0, false
		}
	default:
		return 0, false
	}
	return len(b) - HeaderLen, true
}
