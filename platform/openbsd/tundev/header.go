package tundev

import (
	"errors"
	"fmt"
	"github.com/wgshim/wgshim/platform/bsd"
)

// HeaderLen is the size of tun(4)'s per-packet header, and the least
// headroom Read and Write need before offset.
const HeaderLen = bsd.TunHeaderLen

var (
	errShortHeadroom = fmt.Errorf("tundev: offset leaves less than %d bytes of headroom for the tun header", HeaderLen)
	errNotIP         = errors.New("tundev: packet is neither IPv4 nor IPv6")
)

// putHeader writes the tun header for the IP packet at b[HeaderLen:]
// into b[:HeaderLen], the family taken from the IP version nibble.
func putHeader(b []byte) error {
	if !bsd.PutTunHeader(b, bsd.AFInet6OpenBSD) {
		return errNotIP
	}
	return nil
}

// parseHeader checks the tun header at the start of a frame read from the
// device and returns the size of the IP packet behind it. ok is false for
// frames that are not IPv4 or IPv6, or whose family and IP version
// disagree (to be dropped).
func parseHeader(b []byte) (size int, ok bool) {
	v := bsd.TunHeaderFamily(b, bsd.AFInet6OpenBSD)
	if v == 0 || int(b[HeaderLen]>>4) != v {
		return 0, false
	}
	return len(b) - HeaderLen, true
}
