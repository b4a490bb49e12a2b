package ifconf

import (
	"testing"
	"unsafe"
)

// TestStructSizes ties the Go request types to the sizes encoded in the
// ioctl numbers (spec freebsd-nvlist.md §2.9–2.10): a mismatch makes the
// kernel copy the wrong number of bytes.
func TestStructSizes(t *testing.T) {
	for _, tt := range []struct {
		name       string
		size, want uintptr
		req        uint32
	}{
		{"ifreq", unsafe.Sizeof(ifreq{}), 32, siocSIfMTU},
		{"in_aliasreq", unsafe.Sizeof(inAliasreq{}), 68, siocAIfAddr},
		{"in6_aliasreq", unsafe.Sizeof(in6Aliasreq{}), 136, siocAIfAddrIn6},
	} {
		if tt.size != tt.want {
			t.Errorf("sizeof(%s) = %d, want %d", tt.name, tt.size, tt.want)
		}
		if got := uintptr(tt.req>>16) & 0x1fff; got != tt.want {
			t.Errorf("%s: ioctl encodes size %d, want %d", tt.name, got, tt.want)
		}
	}
	if unsafe.Alignof(in6Aliasreq{}) != 8 {
		t.Errorf("in6_aliasreq alignment %d, want 8", unsafe.Alignof(in6Aliasreq{}))
	}
}

// TestLoopbackFlags reads lo0's flags and MTU through the real ioctls.
func TestLoopbackFlags(t *testing.T) {
	c, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f, err := c.Flags("lo0")
	if err != nil {
		t.Fatal(err)
	}
	if f&iffUp == 0 {
		t.Errorf("lo0 flags %#x without IFF_UP", f)
	}
	if mtu, err := c.MTU("lo0"); err != nil || mtu <= 0 {
		t.Errorf("lo0 MTU = %d, %v", mtu, err)
	}
	if ok, err := c.Exists("nosuchif0"); ok || err != nil {
		t.Errorf("Exists(nosuchif0) = %v, %v", ok, err)
	}
}
