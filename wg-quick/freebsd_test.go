package wgquick

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/platform/bsd"
)

var freebsdCases = []struct {
	name  string
	conf  string
	facts FreeBSDFacts
}{{
	name: "freebsd-full-tunnel",
	conf: `[Interface]
PrivateKey = ` + testPriv + `
Address = 10.0.0.2/32, fd00::2/128
DNS = 10.0.0.53, example.com
PostUp = echo up %i

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = 192.0.2.1:51820

[Peer]
PublicKey = ` + testPub2 + `
AllowedIPs = 10.9.0.0/16
Endpoint = [2001:db8::1]:51820
`,
	facts: FreeBSDFacts{EndpointMTUs: []int{1500, 9000}, DefaultMTU: 1500, FIBs: 1,
		Gateways: bsd.Gateways{V4: netip.MustParseAddr("198.51.100.1"), V6: netip.MustParseAddr("fe80::1%em0")}},
}, {
	name: "freebsd-full-tunnel-no-gateway-fwmark",
	conf: `[Interface]
PrivateKey = ` + testPriv + `
FwMark = 0x1234
Address = 10.0.0.2/24

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 0.0.0.0/0
Endpoint = 192.0.2.1:51820
`,
	facts: FreeBSDFacts{FIBs: 1},
}, {
	name: "freebsd-fib",
	conf: `[Interface]
PrivateKey = ` + testPriv + `
Address = 10.0.0.2/24
MTU = 1380
Table = 2

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 0.0.0.0/0, 10.1.0.0/16
Endpoint = 192.0.2.1:51820
`,
	facts: FreeBSDFacts{FIBs: 4, Gateways: bsd.Gateways{V4: netip.MustParseAddr("198.51.100.1")}},
}}

func TestFreeBSDGolden(t *testing.T) {
	for _, tc := range freebsdCases {
		t.Run(tc.name, func(t *testing.T) {
			c, wc := planCase{conf: tc.conf}.load(t)
			f := tc.facts
			f.Iface = "wg0"
			p, err := PlanUpFreeBSD(c, wc, &f)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			b.WriteString("# warnings\n")
			for _, w := range p.Warnings {
				b.WriteString(w + "\n")
			}
			b.WriteString("\n# up\n" + formatPlan(p.Ops))
			if p.Monitor != nil {
				b.WriteString("\n# route monitor starts from\n")
				b.WriteString("gateways " + p.Monitor.Gateways.String() + "\n")
				for _, r := range p.Monitor.Routes {
					b.WriteString(r.AddCommand() + "\n")
				}
			}
			f.IsWireGuard = true
			down, err := PlanDownFreeBSD(c, &f)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString("\n# down\n" + formatPlan(down))
			checkGolden(t, tc.name, b.String())

			// Every endpoint route op reads back into the route it prints.
			for _, op := range p.Ops {
				if op.Kind != Exec || op.Cmds[0].Args[0] != "route" {
					continue
				}
				for _, o := range []Op{op, *op.Undo} {
					r, add, err := ParseRouteArgs(o.Cmds[0].Args)
					if err != nil {
						t.Fatalf("%s: %v", o.Display, err)
					}
					got := r.DeleteCommand()
					if add {
						got = r.AddCommand()
					}
					if got != o.Display {
						t.Errorf("read back %q as %q", o.Display, got)
					}
				}
			}
		})
	}
}

func TestFreeBSDPlanErrors(t *testing.T) {
	conf := func(table string) string {
		return `[Interface]
PrivateKey = ` + testPriv + `
Table = ` + table + `

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 10.0.0.0/24
`
	}
	for _, tt := range []struct {
		name, conf string
		facts      FreeBSDFacts
		want       string
		is         error
	}{
		{"exists", conf("auto"), FreeBSDFacts{LinkExists: true}, "`wg0' already exists", ErrAlreadyExists},
		{"no such fib", conf("51820"), FreeBSDFacts{FIBs: 4}, "wg0.conf:3: Table: platform/freebsd: Table = 51820: FIB 51820 does not exist (net.fibs=4)", nil},
		{"named table", conf("vpn"), FreeBSDFacts{FIBs: 4}, "no named routing tables", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, wc := planCase{conf: tt.conf}.load(t)
			tt.facts.Iface = "wg0"
			_, err := PlanUpFreeBSD(c, wc, &tt.facts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
	c, _ := planCase{conf: conf("auto")}.load(t)
	if _, err := PlanDownFreeBSD(c, &FreeBSDFacts{Iface: "wg0"}); !errors.Is(err, ErrNotWireGuard) {
		t.Errorf("down of a non-WireGuard interface: %v", err)
	}
	down, err := PlanDownFreeBSD(c, &FreeBSDFacts{Iface: "wg0", IsWireGuard: true, Userspace: true})
	if err != nil || len(down) != 1 || down[0].Display != "rm -f /var/run/wireguard/wg0.sock" {
		t.Errorf("userspace down: %v %v", down, err)
	}
}

func TestParseRouteArgs(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bsd.Route
		add  bool
		bad  bool
	}{
		{in: "route -q -n add -inet 192.0.2.1 -gateway 198.51.100.1", add: true,
			want: bsd.Route{Dst: netip.MustParsePrefix("192.0.2.1/32"), Gateway: netip.MustParseAddr("198.51.100.1")}},
		{in: "route -q -n add -inet6 2001:db8::1 ::1 -blackhole", add: true,
			want: bsd.Route{Dst: netip.MustParsePrefix("2001:db8::1/128"), Blackhole: true}},
		{in: "route -q -n add -inet -fib 3 10.0.0.0/8 -interface wg0", add: true,
			want: bsd.Route{Dst: netip.MustParsePrefix("10.0.0.0/8"), Iface: "wg0", Table: 3}},
		{in: "route -q -n delete -inet6 2001:db8::1",
			want: bsd.Route{Dst: netip.MustParsePrefix("2001:db8::1/128")}},
		{in: "route -q -n add -inet6 192.0.2.1 -gateway 198.51.100.1", bad: true},
		{in: "route -q -n add -inet 192.0.2.1", bad: true},
		{in: "route -q -n flush -inet 192.0.2.1 x", bad: true},
		{in: "rm -q -n add -inet 192.0.2.1 -gateway 198.51.100.1", bad: true},
		{in: "route -q -n add -inet 192.0.2.1 -gateway fd00::1", bad: true},
		{in: "route -q -n add -inet -fib x 10.0.0.0/8 -interface wg0", bad: true},
	} {
		r, add, err := ParseRouteArgs(strings.Fields(tt.in))
		if tt.bad {
			if err == nil {
				t.Errorf("%q accepted as %+v", tt.in, r)
			}
			continue
		}
		if err != nil || add != tt.add || !cmp.Equal(r, tt.want, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })) {
			t.Errorf("%q = %+v, %v, %v; want %+v, %v", tt.in, r, add, err, tt.want, tt.add)
		}
	}
}
