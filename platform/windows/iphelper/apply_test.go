package iphelper

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeSystem keeps the interface state in memory and logs every call.
type fakeSystem struct {
	routes   []SystemRoute
	addrs    map[uint64][]netip.Prefix
	settings map[Family]Settings
	added    []string // routes present
	dns      map[Family]DNSFamily
	log      []string
	failOn   string // a call whose log line starts with this fails
}

func newFakeSystem() *fakeSystem {
	return &fakeSystem{
		routes:   home,
		addrs:    map[uint64][]netip.Prefix{tunLUID: {pfx("fe80::1234/64"), pfx("10.9.9.9/24")}},
		settings: map[Family]Settings{IPv4: {Family: IPv4, MTU: 1500, AutoMetric: true, RouterDiscovery: true}, IPv6: {Family: IPv6, MTU: 1500, AutoMetric: true, RouterDiscovery: true}},
		dns:      map[Family]DNSFamily{},
	}
}

func (f *fakeSystem) call(format string, args ...any) error {
	line := fmt.Sprintf(format, args...)
	f.log = append(f.log, line)
	if f.failOn != "" && strings.HasPrefix(line, f.failOn) {
		return errors.New("injected failure")
	}
	return nil
}

func (f *fakeSystem) Routes() ([]SystemRoute, error) { return f.routes, f.call("routes") }

func (f *fakeSystem) Addresses(luid uint64) ([]netip.Prefix, error) {
	return slices.Clone(f.addrs[luid]), f.call("addresses")
}

func (f *fakeSystem) AddAddress(luid uint64, p netip.Prefix) error {
	if err := f.call("add address %s", p); err != nil {
		return err
	}
	f.addrs[luid] = append(f.addrs[luid], p)
	return nil
}

func (f *fakeSystem) DeleteAddress(luid uint64, p netip.Prefix) error {
	if err := f.call("delete address %s", p); err != nil {
		return err
	}
	f.addrs[luid] = slices.DeleteFunc(f.addrs[luid], func(q netip.Prefix) bool { return q == p })
	return nil
}

func (f *fakeSystem) SetInterface(luid uint64, s Settings) (func() error, error) {
	if err := f.call("set %s mtu %d automatic-metric %v", s.Family, s.MTU, s.AutoMetric); err != nil {
		return nil, err
	}
	old := f.settings[s.Family]
	f.settings[s.Family] = s
	return func() error {
		f.settings[s.Family] = old
		return f.call("restore %s", s.Family)
	}, nil
}

func (f *fakeSystem) AddRoute(luid uint64, r Route) error {
	if err := f.call("add route %s", r); err != nil {
		return err
	}
	f.added = append(f.added, r.String())
	return nil
}

func (f *fakeSystem) DeleteRoute(luid uint64, r Route) error {
	if err := f.call("delete route %s", r); err != nil {
		return err
	}
	f.added = slices.DeleteFunc(f.added, func(s string) bool { return s == r.String() })
	return nil
}

func (f *fakeSystem) SetDNS(luid uint64, d DNSFamily) error {
	if err := f.call("set %s dns %q search %q", d.Family, d.NameServer, d.SearchList); err != nil {
		return err
	}
	f.dns[d.Family] = d
	return nil
}

var fullConfig = Config{
	Addresses:  []netip.Prefix{pfx("10.8.0.2/24"), pfx("fd00::2/64")},
	AllowedIPs: []netip.Prefix{pfx("0.0.0.0/0")},
	Endpoints:  []netip.Addr{addr("203.0.113.5")},
	MTU:        1420,
	DNS:        []netip.Addr{addr("10.8.0.1"), addr("fd00::1")},
	DNSSearch:  []string{"corp.example"},
}

func TestApply(t *testing.T) {
	f := newFakeSystem()
	before := *f
	beforeAddrs := slices.Clone(f.addrs[tunLUID])
	a, err := apply(f, tunLUID, fullConfig)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	plan := a.Plan()
	want := []string{
		"routes",
		"addresses",
		"delete address 10.9.9.9/24",
		"add address 10.8.0.2/24",
		"add address fd00::2/64",
		"set IPv4 mtu 1420 automatic-metric false",
		"set IPv6 mtu 1420 automatic-metric true",
		"add route 203.0.113.5/32 via 10.0.0.1 dev luid 0x10",
		"add route 0.0.0.0/1 dev tunnel",
		"add route 128.0.0.0/1 dev tunnel",
		`set IPv4 dns "10.8.0.1" search "corp.example"`,
		`set IPv6 dns "fd00::1" search "corp.example"`,
	}
	if diff := cmp.Diff(want, f.log); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if len(plan.Routes) != 3 || !plan.FullTunnel4 {
		t.Errorf("plan = %+v", plan)
	}
	if s := f.settings[IPv4]; s.Metric != 0 || s.AutoMetric || s.RouterDiscovery || s.DadTransmits != 0 {
		t.Errorf("IPv4 settings = %+v", s)
	}

	f.log = nil
	if err := a.Undo(); err != nil {
		t.Fatalf("undo: %v", err)
	}
	if len(f.added) != 0 {
		t.Errorf("routes left after undo: %q", f.added)
	}
	if diff := cmp.Diff(beforeAddrs, f.addrs[tunLUID], cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		// Order may differ; compare as sets.
		a, b := slices.Clone(beforeAddrs), slices.Clone(f.addrs[tunLUID])
		slices.SortFunc(a, cmpPrefix)
		slices.SortFunc(b, cmpPrefix)
		if !slices.Equal(a, b) {
			t.Errorf("addresses after undo (-want +got):\n%s", diff)
		}
	}
	if diff := cmp.Diff(before.settings, f.settings); diff != "" {
		t.Errorf("settings after undo (-want +got):\n%s", diff)
	}
	for fam, d := range f.dns {
		if d.NameServer != "" || d.SearchList != "" {
			t.Errorf("%s DNS not cleared: %+v", fam, d)
		}
	}
	// Undo runs in reverse: DNS first, the address changes last.
	if f.log[0] != `set IPv6 dns "" search ""` || f.log[len(f.log)-1] != "add address 10.9.9.9/24" {
		t.Errorf("undo order: %q", f.log)
	}
}

func cmpPrefix(a, b netip.Prefix) int { return strings.Compare(a.String(), b.String()) }

// TestApplyRollback fails each step in turn: apply must report it and
// leave the system as it found it.
func TestApplyRollback(t *testing.T) {
	steps := []string{
		"routes", "addresses", "delete address", "add address fd00", "set IPv6",
		"add route 128.0.0.0/1", `set IPv6 dns "fd00`,
	}
	for _, step := range steps {
		t.Run(step, func(t *testing.T) {
			f := newFakeSystem()
			beforeAddrs := slices.Clone(f.addrs[tunLUID])
			beforeSettings := f.settings[IPv4]
			f.failOn = step
			a, err := apply(f, tunLUID, fullConfig)
			if err == nil || a != nil {
				t.Fatalf("apply = %v, want an error", err)
			}
			if !strings.Contains(err.Error(), "injected failure") {
				t.Errorf("error %q does not carry the cause", err)
			}
			if len(f.added) != 0 {
				t.Errorf("routes left: %q", f.added)
			}
			want, got := slices.Clone(beforeAddrs), slices.Clone(f.addrs[tunLUID])
			slices.SortFunc(want, cmpPrefix)
			slices.SortFunc(got, cmpPrefix)
			if !slices.Equal(want, got) {
				t.Errorf("addresses %v, want %v", got, want)
			}
			if f.settings[IPv4] != beforeSettings {
				t.Errorf("IPv4 settings %+v, want %+v", f.settings[IPv4], beforeSettings)
			}
			if d := f.dns[IPv4]; d.NameServer != "" {
				t.Errorf("IPv4 DNS left: %+v", d)
			}
		})
	}
}

func TestApplyNoRoutesNoDNS(t *testing.T) {
	f := newFakeSystem()
	cfg := fullConfig
	cfg.NoRoutes = true
	cfg.DNS = nil // search domains alone set nothing
	if _, err := apply(f, tunLUID, cfg); err != nil {
		t.Fatal(err)
	}
	for _, l := range f.log {
		if strings.HasPrefix(l, "routes") || strings.Contains(l, "route") || strings.Contains(l, "dns") {
			t.Errorf("unexpected call %q", l)
		}
	}
	// Without a full tunnel the metric stays automatic.
	if !f.settings[IPv4].AutoMetric {
		t.Error("IPv4 metric made manual without a full tunnel")
	}
}

// tableWithOurs makes the fake's route table include what was added, as
// Windows would report it (on-link next hops read back as unspecified).
func (f *fakeSystem) tableWithOurs(base []SystemRoute, ours []Route) []SystemRoute {
	out := slices.Clone(base)
	for _, r := range ours {
		hop := r.NextHop
		if !hop.IsValid() {
			hop = netip.IPv4Unspecified()
			if r.Prefix.Addr().Is6() {
				hop = netip.IPv6Unspecified()
			}
		}
		luid := r.LUID
		if luid == 0 {
			luid = tunLUID
		}
		out = append(out, SystemRoute{Prefix: r.Prefix, LUID: luid, NextHop: hop})
	}
	return out
}

func TestReplan(t *testing.T) {
	f := newFakeSystem()
	a, err := apply(f, tunLUID, fullConfig)
	if err != nil {
		t.Fatal(err)
	}
	// Ethernet goes away; the table now holds Wi-Fi and our own routes
	// (including the stale host route via the Ethernet gateway).
	wifiOnly := []SystemRoute{home[0], home[3]}
	f.routes = f.tableWithOurs(wifiOnly, a.Plan().Routes)
	f.log = nil
	if err := a.Replan([]netip.Addr{addr("203.0.113.5")}); err != nil {
		t.Fatalf("Replan: %v", err)
	}
	want := []string{
		"routes",
		"add route 203.0.113.5/32 via 192.168.1.1 dev luid 0x20",
		"delete route 203.0.113.5/32 via 10.0.0.1 dev luid 0x10",
	}
	if diff := cmp.Diff(want, f.log); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	// The peer roams to a new endpoint: one route replaces the other.
	f.routes = f.tableWithOurs(wifiOnly, a.Plan().Routes)
	f.log = nil
	if err := a.Replan([]netip.Addr{addr("198.51.100.9")}); err != nil {
		t.Fatalf("Replan: %v", err)
	}
	want = []string{
		"routes",
		"add route 198.51.100.9/32 via 192.168.1.1 dev luid 0x20",
		"delete route 203.0.113.5/32 via 192.168.1.1 dev luid 0x20",
	}
	if diff := cmp.Diff(want, f.log); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	// Nothing changed: nothing is done.
	f.routes = f.tableWithOurs(wifiOnly, a.Plan().Routes)
	f.log = nil
	if err := a.Replan([]netip.Addr{addr("198.51.100.9")}); err != nil || len(f.log) != 1 {
		t.Errorf("idle Replan = %v, calls %q", err, f.log)
	}
	// Undo removes the routes in effect now, not the first plan's.
	if err := a.Undo(); err != nil {
		t.Fatal(err)
	}
	if len(f.added) != 0 {
		t.Errorf("routes left after undo: %q", f.added)
	}
	if err := a.Replan(nil); err != nil {
		t.Errorf("Replan after Undo = %v", err)
	}
}

func TestReplanAddFails(t *testing.T) {
	f := newFakeSystem()
	cfg := fullConfig
	cfg.AllowedIPs = []netip.Prefix{pfx("0.0.0.0/0")}
	a, err := apply(f, tunLUID, cfg)
	if err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(f.added)
	f.routes = f.tableWithOurs(home, a.Plan().Routes)
	f.failOn = "add route 198.51.100.10"
	err = a.Replan([]netip.Addr{addr("198.51.100.9"), addr("198.51.100.10")})
	if err == nil || !strings.Contains(err.Error(), "replan: add route 198.51.100.10/32") {
		t.Fatalf("Replan = %v", err)
	}
	// The routes already added were taken back; the old ones stay.
	if diff := cmp.Diff(before, f.added); diff != "" {
		t.Errorf("routes after a failed Replan (-want +got):\n%s", diff)
	}
}
