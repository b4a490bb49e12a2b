package bind

import (
	"net/netip"
	"testing"
)

func TestNewEndpoint(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantDst   string
		wantScope uint32
	}{
		{"ipv4", "192.0.2.1:51820", "192.0.2.1:51820", 0},
		{"ipv4-mapped is unmapped", "[::ffff:192.0.2.1]:51820", "192.0.2.1:51820", 0},
		{"ipv6", "[2001:db8::1]:1", "[2001:db8::1]:1", 0},
		{"numeric zone", "[fe80::1%7]:1", "[fe80::1%7]:1", 7},
		{"unknown zone name", "[fe80::1%nosuchif0]:1", "[fe80::1%nosuchif0]:1", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(netip.MustParseAddrPort(tt.in))
			if got := e.Dst().String(); got != tt.wantDst {
				t.Errorf("Dst = %s, want %s", got, tt.wantDst)
			}
			if e.scope != tt.wantScope {
				t.Errorf("scope = %d, want %d", e.scope, tt.wantScope)
			}
			if e.Src().IsValid() || e.SrcIfindex() != 0 {
				t.Errorf("fresh endpoint has source %v%%%d", e.Src(), e.SrcIfindex())
			}
		})
	}
}

func TestEndpointCache(t *testing.T) {
	var c endpointCache
	peer := netip.MustParseAddrPort("198.51.100.9:4000")
	srcA := netip.MustParseAddr("10.0.0.1")
	srcB := netip.MustParseAddr("10.0.0.2")

	a := c.get(peer, 0, srcA, 2)
	if a.Dst() != peer || a.Src() != srcA || a.SrcIfindex() != 2 {
		t.Fatalf("endpoint = %v src %v if %d", a.Dst(), a.Src(), a.SrcIfindex())
	}
	if again := c.get(peer, 0, srcA, 2); again != a {
		t.Error("same flow returned a different endpoint")
	}
	b := c.get(peer, 0, srcB, 2)
	if b == a || b.Src() != srcB {
		t.Errorf("another local address shares the endpoint (src %v)", b.Src())
	}

	a.ClearSrc()
	if a.Src().IsValid() {
		t.Fatal("ClearSrc kept the source")
	}
	if again := c.get(peer, 0, srcA, 2); again != a || a.Src() != srcA || a.SrcIfindex() != 2 {
		t.Errorf("a new packet of the flow did not restore the source: %v", a.Src())
	}

	// clearSrcIf only clears the source it is told about.
	a.clearSrcIf(srcB)
	if a.Src() != srcA {
		t.Errorf("clearSrcIf(other) cleared %v", srcA)
	}
	a.clearSrcIf(srcA)
	if a.Src().IsValid() {
		t.Errorf("clearSrcIf(current) kept %v", a.Src())
	}

	scoped := c.get(netip.MustParseAddrPort("[fe80::2]:5"), 3, netip.MustParseAddr("fe80::1"), 3)
	if got := scoped.Dst().String(); got != "[fe80::2%3]:5" {
		t.Errorf("scoped Dst = %s, want [fe80::2%%3]:5", got)
	}

	for i := range maxCachedEndpoints + 5 {
		c.get(netip.AddrPortFrom(srcA, uint16(i)), 0, srcB, 1)
	}
	if len(c.m) > maxCachedEndpoints {
		t.Errorf("cache holds %d endpoints, limit %d", len(c.m), maxCachedEndpoints)
	}

	allocs := testing.AllocsPerRun(100, func() { c.get(peer, 0, srcB, 2) })
	if allocs != 0 {
		t.Errorf("cache hit allocates %v times, want 0", allocs)
	}
}
