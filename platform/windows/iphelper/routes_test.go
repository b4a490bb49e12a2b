package iphelper

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	pfx  = netip.MustParsePrefix
	addr = netip.MustParseAddr
)

const (
	tunLUID  = 0x99
	ethLUID  = 0x10
	wifiLUID = 0x20
)

// home is a laptop on Ethernet (metric 25) and Wi-Fi (metric 50) with IPv6
// via Ethernet only.
var home = []SystemRoute{
	{Prefix: pfx("0.0.0.0/0"), LUID: wifiLUID, NextHop: addr("192.168.1.1"), Metric: 50},
	{Prefix: pfx("0.0.0.0/0"), LUID: ethLUID, NextHop: addr("10.0.0.1"), Metric: 25},
	{Prefix: pfx("10.0.0.0/24"), LUID: ethLUID, NextHop: addr("0.0.0.0"), Metric: 25},
	{Prefix: pfx("192.168.1.0/24"), LUID: wifiLUID, NextHop: addr("0.0.0.0"), Metric: 50},
	{Prefix: pfx("::/0"), LUID: ethLUID, NextHop: addr("fe80::1"), Metric: 25},
	// A stale default route of the tunnel itself must never be the underlay.
	{Prefix: pfx("0.0.0.0/0"), LUID: tunLUID, NextHop: addr("0.0.0.0"), Metric: 0},
}

func TestPlanRoutes(t *testing.T) {
	tests := []struct {
		name      string
		allowed   []netip.Prefix
		endpoints []netip.Addr
		sys       []SystemRoute
		want      []string
		full4     bool
		full6     bool
		warn      string
	}{
		{
			name:      "split tunnel, endpoint outside",
			allowed:   []netip.Prefix{pfx("10.8.0.0/24"), pfx("fd00::/64")},
			endpoints: []netip.Addr{addr("203.0.113.5")},
			sys:       home,
			want:      []string{"fd00::/64 dev tunnel", "10.8.0.0/24 dev tunnel"},
		},
		{
			name:      "full tunnel ipv4: halves and endpoint via lowest metric default",
			allowed:   []netip.Prefix{pfx("0.0.0.0/0")},
			endpoints: []netip.Addr{addr("203.0.113.5")},
			sys:       home,
			want: []string{
				"203.0.113.5/32 via 10.0.0.1 dev luid 0x10",
				"0.0.0.0/1 dev tunnel",
				"128.0.0.0/1 dev tunnel",
			},
			full4: true,
		},
		{
			name:      "full tunnel both families",
			allowed:   []netip.Prefix{pfx("0.0.0.0/0"), pfx("::/0")},
			endpoints: []netip.Addr{addr("2001:db8::5"), addr("203.0.113.5")},
			sys:       home,
			want: []string{
				"2001:db8::5/128 via fe80::1 dev luid 0x10",
				"203.0.113.5/32 via 10.0.0.1 dev luid 0x10",
				"0.0.0.0/1 dev tunnel",
				"128.0.0.0/1 dev tunnel",
				"::/1 dev tunnel",
				"8000::/1 dev tunnel",
			},
			full4: true, full6: true,
		},
		{
			name:      "endpoint on a more specific lan route keeps that route",
			allowed:   []netip.Prefix{pfx("0.0.0.0/0")},
			endpoints: []netip.Addr{addr("192.168.1.20")},
			sys:       home,
			want: []string{
				"192.168.1.20/32 dev luid 0x20",
				"0.0.0.0/1 dev tunnel",
				"128.0.0.0/1 dev tunnel",
			},
			full4: true,
		},
		{
			name:      "endpoint inside a partial allowed range",
			allowed:   []netip.Prefix{pfx("203.0.113.0/24")},
			endpoints: []netip.Addr{addr("203.0.113.5"), addr("203.0.113.5")},
			sys:       home,
			want: []string{
				"203.0.113.5/32 via 10.0.0.1 dev luid 0x10",
				"203.0.113.0/24 dev tunnel",
			},
		},
		{
			name:      "no underlay route for the endpoint",
			allowed:   []netip.Prefix{pfx("::/0")},
			endpoints: []netip.Addr{addr("2001:db8::5")},
			sys:       home[:4],
			want:      []string{"::/1 dev tunnel", "8000::/1 dev tunnel"},
			full6:     true,
			warn:      "endpoint 2001:db8::5 has no route outside the tunnel",
		},
		{
			name:    "host bits, mapped and duplicate prefixes",
			allowed: []netip.Prefix{pfx("10.1.2.3/16"), pfx("::ffff:10.1.0.0/112"), pfx("10.1.0.0/16"), pfx("::ffff:0:0/80")},
			sys:     home,
			want:    []string{"::/80 dev tunnel", "10.1.0.0/16 dev tunnel"},
		},
		{
			name:      "mapped and zoned endpoints",
			allowed:   []netip.Prefix{pfx("0.0.0.0/0")},
			endpoints: []netip.Addr{addr("::ffff:203.0.113.5"), addr("fe80::5%eth0")},
			sys:       home,
			want: []string{
				"203.0.113.5/32 via 10.0.0.1 dev luid 0x10",
				"0.0.0.0/1 dev tunnel",
				"128.0.0.0/1 dev tunnel",
			},
			full4: true,
		},
		{name: "nothing", sys: home},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := PlanRoutes(tt.allowed, tt.endpoints, tt.sys, tunLUID)
			var got []string
			for _, r := range p.Routes {
				got = append(got, r.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("routes (-want +got):\n%s", diff)
			}
			if p.FullTunnel4 != tt.full4 || p.FullTunnel6 != tt.full6 {
				t.Errorf("FullTunnel4/6 = %v/%v, want %v/%v", p.FullTunnel4, p.FullTunnel6, tt.full4, tt.full6)
			}
			switch {
			case tt.warn == "" && len(p.Warnings) > 0:
				t.Errorf("unexpected warnings %q", p.Warnings)
			case tt.warn != "" && (len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], tt.warn)):
				t.Errorf("warnings %q, want one containing %q", p.Warnings, tt.warn)
			}
		})
	}
}

func TestDiffRoutes(t *testing.T) {
	before := PlanRoutes([]netip.Prefix{pfx("0.0.0.0/0")}, []netip.Addr{addr("203.0.113.5")}, home, tunLUID)
	// Ethernet unplugged: the endpoint now goes via Wi-Fi.
	after := PlanRoutes([]netip.Prefix{pfx("0.0.0.0/0")}, []netip.Addr{addr("203.0.113.5")}, home[:1], tunLUID)
	del, add := DiffRoutes(before.Routes, after.Routes)
	str := func(rs []Route) (s []string) {
		for _, r := range rs {
			s = append(s, r.String())
		}
		return s
	}
	if diff := cmp.Diff([]string{"203.0.113.5/32 via 10.0.0.1 dev luid 0x10"}, str(del)); diff != "" {
		t.Errorf("del (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"203.0.113.5/32 via 192.168.1.1 dev luid 0x20"}, str(add)); diff != "" {
		t.Errorf("add (-want +got):\n%s", diff)
	}
	if del, add := DiffRoutes(after.Routes, after.Routes); del != nil || add != nil {
		t.Errorf("DiffRoutes of equal plans = %v, %v", del, add)
	}
}

// FuzzPlanRoutes checks the loop-freedom invariant on random input: every
// endpoint captured by a tunnel route has a host route outside the tunnel
// or a warning, and no route is planned twice.
func FuzzPlanRoutes(f *testing.F) {
	f.Add([]byte{10, 0, 0, 0, 8, 203, 0, 113, 5}, uint8(0))
	f.Add([]byte{0, 0, 0, 0, 0, 192, 168, 1, 20}, uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, nsys uint8) {
		var allowed []netip.Prefix
		var eps []netip.Addr
		for len(b) >= 9 {
			a := netip.AddrFrom4([4]byte(b[:4]))
			allowed = append(allowed, netip.PrefixFrom(a, int(b[4])%33))
			eps = append(eps, netip.AddrFrom4([4]byte(b[5:9])))
			b = b[9:]
		}
		sys := home[:int(nsys)%(len(home)+1)]
		p := PlanRoutes(allowed, eps, sys, tunLUID)
		for i, r := range p.Routes {
			if slices.Contains(p.Routes[i+1:], r) {
				t.Fatalf("route %s planned twice", r)
			}
			if r.Prefix != r.Prefix.Masked() {
				t.Fatalf("route %s has host bits", r)
			}
		}
		for _, ep := range eps {
			var best Route
			found := false
			for _, r := range p.Routes {
				if r.Prefix.Contains(ep) && (!found || r.Prefix.Bits() > best.Prefix.Bits()) {
					best, found = r, true
				}
			}
			if found && best.LUID == 0 && !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, ep.String()+" ") }) {
				t.Fatalf("endpoint %s loops through %s without a warning", ep, best)
			}
		}
	})
}
