package bsd

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func pfx(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, x := range s {
		out = append(out, netip.MustParsePrefix(x))
	}
	return out
}

func addrs(s ...string) []netip.Addr {
	var out []netip.Addr
	for _, x := range s {
		out = append(out, netip.MustParseAddr(x))
	}
	return out
}

func commands(rs []Route) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.AddCommand())
	}
	return out
}

func deletes(rs []Route) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.DeleteCommand())
	}
	return out
}

var gw = Gateways{V4: netip.MustParseAddr("198.51.100.1"), V6: netip.MustParseAddr("fe80::1%em0")}

func TestPlanRoutes(t *testing.T) {
	tests := []struct {
		name         string
		in           PlanInput
		want         []string
		auto4, auto6 bool
	}{{
		name: "full tunnel both families",
		in: PlanInput{Iface: "wg0", Addresses: pfx("10.0.0.2/32", "fd00::2/128"),
			AllowedIPs: pfx("0.0.0.0/0", "::/0"), Endpoints: addrs("192.0.2.1", "2001:db8::1"), Gateways: gw},
		want: []string{
			"route -q -n add -inet6 ::/1 -interface wg0",
			"route -q -n add -inet6 8000::/1 -interface wg0",
			"route -q -n add -inet 0.0.0.0/1 -interface wg0",
			"route -q -n add -inet 128.0.0.0/1 -interface wg0",
			"route -q -n add -inet 192.0.2.1 -gateway 198.51.100.1",
			"route -q -n add -inet6 2001:db8::1 -gateway fe80::1%em0",
		},
		auto4: true, auto6: true,
	}, {
		name: "v4 default only: v6 endpoint gets no route",
		in: PlanInput{Iface: "wg0", AllowedIPs: pfx("0.0.0.0/0", "fd00::/64"),
			Endpoints: addrs("192.0.2.1", "2001:db8::1"), Gateways: gw},
		want: []string{
			"route -q -n add -inet6 fd00::/64 -interface wg0",
			"route -q -n add -inet 0.0.0.0/1 -interface wg0",
			"route -q -n add -inet 128.0.0.0/1 -interface wg0",
			"route -q -n add -inet 192.0.2.1 -gateway 198.51.100.1",
		},
		auto4: true,
	}, {
		name: "no gateway: blackhole",
		in: PlanInput{Iface: "wg0", AllowedIPs: pfx("0.0.0.0/0", "::/0"),
			Endpoints: addrs("192.0.2.1", "2001:db8::1")},
		want: []string{
			"route -q -n add -inet6 ::/1 -interface wg0",
			"route -q -n add -inet6 8000::/1 -interface wg0",
			"route -q -n add -inet 0.0.0.0/1 -interface wg0",
			"route -q -n add -inet 128.0.0.0/1 -interface wg0",
			"route -q -n add -inet 192.0.2.1 127.0.0.1 -blackhole",
			"route -q -n add -inet6 2001:db8::1 ::1 -blackhole",
		},
		auto4: true, auto6: true,
	}, {
		name: "endpoint inside the tunnel is skipped; duplicates once",
		in: PlanInput{Iface: "wg0", AllowedIPs: pfx("0.0.0.0/0", "10.9.0.0/16"),
			Endpoints: addrs("10.9.1.1", "192.0.2.1", "192.0.2.1", "::ffff:192.0.2.7"), Gateways: gw},
		want: []string{
			"route -q -n add -inet 10.9.0.0/16 -interface wg0",
			"route -q -n add -inet 0.0.0.0/1 -interface wg0",
			"route -q -n add -inet 128.0.0.0/1 -interface wg0",
			"route -q -n add -inet 192.0.2.1 -gateway 198.51.100.1",
			"route -q -n add -inet 192.0.2.7 -gateway 198.51.100.1",
		},
		auto4: true,
	}, {
		name: "split tunnel: sorted, masked, connected prefix skipped, no endpoint routes",
		in: PlanInput{Iface: "wg0", Addresses: pfx("10.0.0.1/24", "fd00::1/64"),
			AllowedIPs: pfx("10.0.0.0/24", "10.0.0.7/32", "10.2.3.4/16", "10.1.0.0/16", "fd00::7/128", "fd01::/48", "10.1.0.0/16"),
			Endpoints:  addrs("192.0.2.1"), Gateways: gw},
		want: []string{
			"route -q -n add -inet6 fd01::/48 -interface wg0",
			"route -q -n add -inet 10.2.0.0/16 -interface wg0",
			"route -q -n add -inet 10.1.0.0/16 -interface wg0",
		},
	}, {
		name: "table number: /0 as is, in the FIB",
		in: PlanInput{Iface: "wg0", Table: 3, AllowedIPs: pfx("0.0.0.0/0", "10.0.0.0/24"),
			Endpoints: addrs("192.0.2.1"), Gateways: gw},
		want: []string{
			"route -q -n add -inet -fib 3 10.0.0.0/24 -interface wg0",
			"route -q -n add -inet -fib 3 0.0.0.0/0 -interface wg0",
		},
	}, {
		name: "table off",
		in:   PlanInput{Iface: "wg0", TableOff: true, AllowedIPs: pfx("0.0.0.0/0"), Endpoints: addrs("192.0.2.1")},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := PlanRoutes(tt.in)
			if diff := cmp.Diff(tt.want, commands(p.All())); diff != "" {
				t.Errorf("routes (-want +got):\n%s", diff)
			}
			if p.Auto4 != tt.auto4 || p.Auto6 != tt.auto6 {
				t.Errorf("auto4, auto6 = %v, %v; want %v, %v", p.Auto4, p.Auto6, tt.auto4, tt.auto6)
			}
			for _, r := range p.All() {
				if err := r.Validate(); err != nil {
					t.Errorf("planned an invalid route: %v", err)
				}
			}
		})
	}
}

func TestReconcile(t *testing.T) {
	gw2 := Gateways{V4: netip.MustParseAddr("203.0.113.1"), V6: gw.V6}
	base := Endpoints{Auto4: true, Auto6: true, Inside: pfx("10.9.0.0/16")}
	start, _ := base.Reconcile(gw, addrs("192.0.2.1", "192.0.2.2", "2001:db8::1"))
	tests := []struct {
		name    string
		from    Endpoints
		gw      Gateways
		eps     []netip.Addr
		del     []string
		add     []string
		nowHave []string
	}{{
		name:    "nothing changed",
		from:    start,
		gw:      gw,
		eps:     addrs("192.0.2.1", "192.0.2.2", "2001:db8::1"),
		nowHave: []string{"route -q -n add -inet 192.0.2.1 -gateway 198.51.100.1", "route -q -n add -inet 192.0.2.2 -gateway 198.51.100.1", "route -q -n add -inet6 2001:db8::1 -gateway fe80::1%em0"},
	}, {
		name:    "gateway changed: everything re-added",
		from:    start,
		gw:      gw2,
		eps:     addrs("192.0.2.1", "192.0.2.2", "2001:db8::1"),
		del:     []string{"route -q -n delete -inet 192.0.2.1", "route -q -n delete -inet 192.0.2.2", "route -q -n delete -inet6 2001:db8::1"},
		add:     []string{"route -q -n add -inet 192.0.2.1 -gateway 203.0.113.1", "route -q -n add -inet 192.0.2.2 -gateway 203.0.113.1", "route -q -n add -inet6 2001:db8::1 -gateway fe80::1%em0"},
		nowHave: []string{"route -q -n add -inet 192.0.2.1 -gateway 203.0.113.1", "route -q -n add -inet 192.0.2.2 -gateway 203.0.113.1", "route -q -n add -inet6 2001:db8::1 -gateway fe80::1%em0"},
	}, {
		name:    "endpoint roamed: old deleted, new added, others kept",
		from:    start,
		gw:      gw,
		eps:     addrs("192.0.2.1", "192.0.2.9", "2001:db8::1"),
		del:     []string{"route -q -n delete -inet 192.0.2.2"},
		add:     []string{"route -q -n add -inet 192.0.2.9 -gateway 198.51.100.1"},
		nowHave: []string{"route -q -n add -inet 192.0.2.1 -gateway 198.51.100.1", "route -q -n add -inet 192.0.2.9 -gateway 198.51.100.1", "route -q -n add -inet6 2001:db8::1 -gateway fe80::1%em0"},
	}, {
		name:    "default route lost: blackholes",
		from:    start,
		gw:      Gateways{V6: gw.V6},
		eps:     addrs("192.0.2.1", "2001:db8::1", "10.9.0.1"),
		del:     []string{"route -q -n delete -inet 192.0.2.1", "route -q -n delete -inet 192.0.2.2", "route -q -n delete -inet6 2001:db8::1"},
		add:     []string{"route -q -n add -inet 192.0.2.1 127.0.0.1 -blackhole", "route -q -n add -inet6 2001:db8::1 -gateway fe80::1%em0"},
		nowHave: []string{"route -q -n add -inet 192.0.2.1 127.0.0.1 -blackhole", "route -q -n add -inet6 2001:db8::1 -gateway fe80::1%em0"},
	}, {
		name: "all endpoints gone",
		from: start,
		gw:   gw,
		del:  []string{"route -q -n delete -inet 192.0.2.1", "route -q -n delete -inet 192.0.2.2", "route -q -n delete -inet6 2001:db8::1"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, ch := tt.from.Reconcile(tt.gw, tt.eps)
			if diff := cmp.Diff(tt.del, deletes(ch.Delete)); diff != "" {
				t.Errorf("delete (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.add, commands(ch.Add)); diff != "" {
				t.Errorf("add (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.nowHave, commands(next.Routes)); diff != "" {
				t.Errorf("state (-want +got):\n%s", diff)
			}
			if next.Gateways != tt.gw {
				t.Errorf("state gateways = %v, want %v", next.Gateways, tt.gw)
			}
			if ch.Empty() != (len(tt.del)+len(tt.add) == 0) {
				t.Errorf("Empty() = %v", ch.Empty())
			}
			// Reconciling again with the same inputs changes nothing.
			if _, again := next.Reconcile(tt.gw, tt.eps); !again.Empty() {
				t.Errorf("second reconcile not empty: %+v", again)
			}
		})
	}
}

func TestDefaultGateways(t *testing.T) {
	e := func(dst, gw string, idx int) TableEntry {
		te := TableEntry{Dst: netip.MustParsePrefix(dst), Index: idx}
		if gw != "" {
			te.Gateway = netip.MustParseAddr(gw)
		}
		return te
	}
	tests := []struct {
		name  string
		table []TableEntry
		want  Gateways
	}{
		{"empty", nil, Gateways{}},
		{"first default of each family", []TableEntry{
			e("10.0.0.0/8", "10.0.0.1", 1), e("0.0.0.0/0", "198.51.100.1", 1), e("0.0.0.0/0", "198.51.100.2", 2),
			e("::/0", "fe80::1%em0", 1), e("::/0", "fe80::2%em1", 2),
		}, Gateways{V4: netip.MustParseAddr("198.51.100.1"), V6: netip.MustParseAddr("fe80::1%em0")}},
		{"default through a link has no gateway", []TableEntry{
			e("0.0.0.0/0", "", 3), e("0.0.0.0/0", "198.51.100.2", 2),
		}, Gateways{}},
		{"mapped gateway unmapped", []TableEntry{e("0.0.0.0/0", "::ffff:198.51.100.3", 1)},
			Gateways{V4: netip.MustParseAddr("198.51.100.3")}},
		{"split halves are not a default", []TableEntry{e("0.0.0.0/1", "", 5), e("128.0.0.0/1", "", 5)}, Gateways{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DefaultGateways(tt.table); got != tt.want {
				t.Errorf("DefaultGateways = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRouteValidateAndCommands(t *testing.T) {
	tests := []struct {
		r       Route
		add     string
		del     string
		wantErr string
	}{
		{r: Route{Dst: netip.MustParsePrefix("10.0.0.0/8"), Iface: "wg0", Table: 2},
			add: "route -q -n add -inet -fib 2 10.0.0.0/8 -interface wg0", del: "route -q -n delete -inet -fib 2 10.0.0.0/8"},
		{r: Route{Dst: netip.MustParsePrefix("10.0.0.1/32"), Iface: "wg0"},
			add: "route -q -n add -inet 10.0.0.1/32 -interface wg0", del: "route -q -n delete -inet 10.0.0.1"},
		{r: Route{Dst: netip.MustParsePrefix("10.0.0.1/8"), Iface: "wg0"}, wantErr: "host bits"},
		{r: Route{Dst: netip.MustParsePrefix("10.0.0.0/8")}, wantErr: "exactly one"},
		{r: Route{Dst: netip.MustParsePrefix("10.0.0.0/8"), Iface: "wg0", Blackhole: true}, wantErr: "exactly one"},
		{r: Route{Dst: netip.MustParsePrefix("10.0.0.0/8"), Gateway: netip.MustParseAddr("fe80::1")}, wantErr: "another family"},
		{r: Route{}, wantErr: "invalid destination"},
	}
	for _, tt := range tests {
		err := tt.r.Validate()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%+v: Validate = %v, want %q", tt.r, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", tt.r, err)
		}
		if got := tt.r.AddCommand(); got != tt.add {
			t.Errorf("AddCommand = %q, want %q", got, tt.add)
		}
		if got := tt.r.DeleteCommand(); got != tt.del {
			t.Errorf("DeleteCommand = %q, want %q", got, tt.del)
		}
	}
}
