package bsd

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

// TestMessageLayout checks the bytes golang.org/x/net/route writes for
// "add 0.0.0.0/1 -interface IF" against spec freebsd-nvlist.md §2.11:
// a 152-byte rt_msghdr, then DST, GATEWAY (sockaddr_dl) and NETMASK,
// each padded to 8 bytes.
func TestMessageLayout(t *testing.T) {
	c, err := Dial()
	if err != nil {
		t.Fatal(err)
	}
	r := Route{Dst: netip.MustParsePrefix("0.0.0.0/1"), Iface: "wg0"}
	m, err := c.message(rtmAdd, r.Header(7))
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	const hdr = 152
	le := binary.LittleEndian
	if got := int(le.Uint16(b[0:])); got != len(b) {
		t.Errorf("rtm_msglen = %d, message is %d bytes", got, len(b))
	}
	if b[2] != 5 || b[3] != rtmAdd {
		t.Errorf("version %d type %d, want 5 1", b[2], b[3])
	}
	if got := le.Uint32(b[8:]); got != rtfUp|rtfStatic {
		t.Errorf("rtm_flags = %#x", got)
	}
	if got := le.Uint32(b[12:]); got != 0x7 {
		t.Errorf("rtm_addrs = %#x, want DST|GATEWAY|NETMASK", got)
	}
	dst := b[hdr:]
	if dst[0] != 16 || dst[1] != 2 {
		t.Errorf("dst sockaddr_in len %d family %d", dst[0], dst[1])
	}
	gw := dst[16:]
	if gw[1] != 18 || gw[0] < 8 || le.Uint16(gw[2:]) != 7 {
		t.Errorf("gateway sockaddr_dl len %d family %d index %d", gw[0], gw[1], le.Uint16(gw[2:]))
	}
	mask := gw[(int(gw[0])+7)&^7:]
	if mask[1] != 2 || mask[4] != 0x80 {
		t.Errorf("netmask % x", mask[:8])
	}
}
