package tundev

import (
	"encoding/binary"
	"math/bits"
)

// Internet checksum (RFC 1071) helpers. Sums are kept unfolded in a uint64
// so partial sums of several regions can be added; every region must start
// at an even offset of the checksummed data, which holds for headers and
// for the whole-region sums used here.

// csumAdd adds the bytes of b to sum (one's-complement, 64-bit lanes).
func csumAdd(sum uint64, b []byte) uint64 {
	var c uint64
	for len(b) >= 32 {
		sum, c = bits.Add64(sum, binary.BigEndian.Uint64(b), c)
		sum, c = bits.Add64(sum, binary.BigEndian.Uint64(b[8:]), c)
		sum, c = bits.Add64(sum, binary.BigEndian.Uint64(b[16:]), c)
		sum, c = bits.Add64(sum, binary.BigEndian.Uint64(b[24:]), c)
		b = b[32:]
	}
	for len(b) >= 8 {
		sum, c = bits.Add64(sum, binary.BigEndian.Uint64(b), c)
		b = b[8:]
	}
	// A 4-, 2- or 1-byte tail keeps its byte parity when summed in the low
	// lanes, because 2^32 and 2^16 are 1 modulo 2^16-1.
	if len(b) >= 4 {
		sum, c = bits.Add64(sum, uint64(binary.BigEndian.Uint32(b)), c)
		b = b[4:]
	}
	if len(b) >= 2 {
		sum, c = bits.Add64(sum, uint64(binary.BigEndian.Uint16(b)), c)
		b = b[2:]
	}
	if len(b) == 1 {
		sum, c = bits.Add64(sum, uint64(b[0])<<8, c)
	}
	sum, c = bits.Add64(sum, 0, c)
	return sum + c // cannot overflow: sum is at most 2^64-2 when c is 1
}

// csumFold folds a 64-bit sum to 16 bits (not inverted).
func csumFold(sum uint64) uint16 {
	s := (sum & 0xffffffff) + sum>>32
	s = (s & 0xffffffff) + s>>32
	s = (s & 0xffff) + s>>16
	s = (s & 0xffff) + s>>16
	return uint16(s)
}

// pseudoSum is the sum of the TCP/UDP pseudo-header (RFC 793, RFC 8200 8.1).
func pseudoSum(src, dst []byte, proto uint8, length int) uint64 {
	s := csumAdd(0, src)
	s = csumAdd(s, dst)
	return s + uint64(proto) + uint64(length)
}

// ipv4HeaderChecksum recomputes the IPv4 header checksum of h in place.
func ipv4HeaderChecksum(h []byte) {
	h[10], h[11] = 0, 0
	binary.BigEndian.PutUint16(h[10:], ^csumFold(csumAdd(0, h)))
}
