package core

import "encoding/binary"

// Message types and sizes (protocol.md §2).
const (
	msgInitiation  = 1
	msgResponse    = 2
	msgCookieReply = 3
	msgTransport   = 4

	initiationSize  = 148
	responseSize    = 92
	cookieReplySize = 64

	// transportHeaderSize is type, receiver index and counter; it is also
	// the headroom the engine keeps before every inner packet so that it
	// can encrypt in place.
	transportHeaderSize = 16
	tagSize             = 16
	keepaliveSize       = transportHeaderSize + tagSize
	minMessageSize      = keepaliveSize

	// Offsets of the MACs in handshake messages.
	initiationMAC1 = 116
	initiationMAC2 = 132
	responseMAC1   = 60
	responseMAC2   = 76
)

// messageType returns the type of a received message, or 0 if the reserved
// bytes are not zero (then it is no known type and is dropped).
func messageType(b []byte) uint32 {
	return binary.LittleEndian.Uint32(b)
}
