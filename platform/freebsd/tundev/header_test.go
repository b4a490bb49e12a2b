package tundev

import (
	"github.com/wgshim/wgshim/platform/bsd"

	"bytes"
	"net/netip"
	"testing"
)

var (
	ping4 = append([]byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0}, netip.MustParseAddr("10.0.0.1").AsSlice()...)
	ping6 = append([]byte{0x60, 0, 0, 0, 0, 0, 58, 64}, make([]byte, 32)...)
)

func TestHeader(t *testing.T) {
	for _, tt := range []struct {
		pkt  []byte
		want []byte
		ok   bool
	}{
		{append([]byte{0, 0, 0, 0}, ping4...), []byte{0, 0, 0, 2}, true},
		{append([]byte{9, 9, 9, 9}, ping6...), []byte{0, 0, 0, 28}, true},
		{[]byte{0, 0, 0, 0, 0x50}, nil, false},
		{[]byte{0, 0, 0, 0}, nil, false},
	} {
		err := PutHeader(tt.pkt)
		if (err == nil) != tt.ok {
			t.Errorf("PutHeader(% x) = %v", tt.pkt, err)
			continue
		}
		if tt.ok && (!bytes.Equal(tt.pkt[:4], tt.want) || !CheckHeader(tt.pkt)) {
			t.Errorf("header % x, want % x", tt.pkt[:4], tt.want)
		}
	}
}

func FuzzHeader(f *testing.F) {
	f.Add(append([]byte{0, 0, 0, 2}, ping4...))
	f.Add(append([]byte{0, 0, 0, 28}, ping6...))
	f.Add([]byte{0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		ok := CheckHeader(b)
		c := bytes.Clone(b)
		if err := PutHeader(c); err == nil {
			if !CheckHeader(c) {
				t.Fatalf("PutHeader wrote a header CheckHeader refuses: % x", c[:4])
			}
			if ok && !bytes.Equal(c[:4], b[:4]) && (b[4]>>4 == 4) == (b[3] == bsd.AFInet) {
				t.Fatalf("header changed for a consistent packet: % x -> % x", b[:4], c[:4])
			}
		}
	})
}
