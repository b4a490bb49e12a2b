package ifwg

import (
	"errors"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/openbsd/wgio"
)

func newTestDriver(k *fakeKernel) *Driver {
	return &Driver{layout: wgio.Layout74, open: k.open}
}

func TestIsUnitName(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"wg0", true}, {"wg1", true}, {"wg10", true}, {"wg2147483647", true},
		{"wg", false}, {"wg01", false}, {"wg-1", false}, {"wgx", false}, {"wg0a", false},
		{"em0", false}, {"office", false}, {"", false}, {"WG0", false},
		{"wg2147483648", false}, {"wg1234567890123", false}, // beyond INT_MAX
	}
	for _, tt := range tests {
		if got := IsUnitName(tt.in); got != tt.want {
			t.Errorf("IsUnitName(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestValidConfigName(t *testing.T) {
	for _, ok := range []string{"wg0", "office", "a", "home-v6", "x_y=z+1.2", "123456789012345"} {
		if !ValidConfigName(ok) {
			t.Errorf("%q rejected", ok)
		}
	}
	for _, bad := range []string{"", "1234567890123456", "my vpn", "a/b", "ü", "a:b"} {
		if ValidConfigName(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestPickUnit(t *testing.T) {
	tests := []struct {
		existing []string
		want     string
	}{
		{nil, "wg0"},
		{[]string{"wg0"}, "wg1"},
		{[]string{"wg1", "wg0", "wg3"}, "wg2"},
		{[]string{"wg1"}, "wg0"},
		{[]string{"em0", "lo0"}, "wg0"},
		{[]string{"wg0", "wg1", "wg2", "wg3", "wg4", "wg5", "wg6", "wg7", "wg8", "wg9"}, "wg10"},
	}
	for _, tt := range tests {
		got, err := PickUnit(tt.existing)
		if err != nil || got != tt.want {
			t.Errorf("PickUnit(%q) = %q, %v; want %q", tt.existing, got, err, tt.want)
		}
	}
}

func TestFindByDescription(t *testing.T) {
	ifaces := []Iface{
		{"em0", "wg-quick: office"}, // not a wg interface
		{"wg0", ""},
		{"wg1", "wg-quick: office2"},
		{"wg2", "wg-quick: office"},
		{"wg3", "wg-quick: office"}, // duplicate: first wins
		{"wg4", "WG-quick: home"},
		{"wg5", "wg-quick:  home"},
		{"wg6", "wg-quick: wg0"},
	}
	tests := []struct {
		name   string
		want   string
		wantOK bool
	}{
		{"office", "wg2", true},
		{"office2", "wg1", true},
		{"offic", "", false},
		{"home", "", false}, // exact match only
		{"wg0", "wg6", true},
		{"wg1", "", false},
	}
	for _, tt := range tests {
		got, ok := FindByDescription(ifaces, tt.name)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("FindByDescription(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
	if d := Description("office"); d != "wg-quick: office" {
		t.Errorf("Description = %q", d)
	}
}

func TestDriverCreateOpen(t *testing.T) {
	k := newFakeKernel(wgio.Layout74)
	d := newTestDriver(k)
	if d.Kind() != wgtypes.OpenBSDKernel {
		t.Errorf("Kind = %v", d.Kind())
	}

	// A unit name is created as is.
	l0, err := d.Create("wg0")
	if err != nil || l0.Name() != "wg0" {
		t.Fatalf("Create wg0: %v, %v", l0, err)
	}
	if _, err := d.Create("wg0"); !errors.Is(err, os.ErrExist) || !errors.Is(err, syscall.EEXIST) {
		t.Errorf("second Create wg0: %v, want os.ErrExist", err)
	}

	// A configuration name gets the lowest free wgN and the description.
	office, err := d.Create("office")
	if err != nil {
		t.Fatal(err)
	}
	if office.Name() != "wg1" || k.ifaces["wg1"].descr != "wg-quick: office" {
		t.Fatalf("office is %s with description %q", office.Name(), k.ifaces["wg1"].descr)
	}
	if _, err := d.CreateConfig("office"); !errors.Is(err, os.ErrExist) || !strings.Contains(err.Error(), "already exists as wg1") {
		t.Errorf("second CreateConfig office: %v", err)
	}
	// Configuration "wg0" while interface wg0 exists untagged: wg-quick
	// semantics give it the next free unit.
	cwg0, err := d.CreateConfig("wg0")
	if err != nil || cwg0.Name() != "wg2" {
		t.Fatalf("CreateConfig wg0: %v, %v", cwg0, err)
	}

	// Another process takes wg3 first, and wg4 exists outside the "wg"
	// group: both give EEXIST, the next unit is used.
	k.steal = []string{"wg3"}
	k.outsideGroup["wg4"] = true
	k.addIface("wg4")
	home, err := d.CreateConfig("home")
	if err != nil || home.Name() != "wg5" {
		t.Fatalf("CreateConfig home: %v, %v", home, err)
	}

	// Open by unit name and by configuration name.
	for _, tt := range []struct{ open, want string }{{"wg1", "wg1"}, {"office", "wg1"}, {"home", "wg5"}} {
		l, err := d.Open(tt.open)
		if err != nil || l.Name() != tt.want {
			t.Errorf("Open %s: %v, %v; want %s", tt.open, l, err, tt.want)
		}
	}
	if l, err := d.OpenConfig("wg0"); err != nil || l.Name() != "wg2" {
		t.Errorf("OpenConfig wg0: %v, %v; want wg2", l, err)
	}
	// Get reports the configuration name, for `wg show wg1` to show it.
	for unit, alias := range map[string]string{"wg1": "office", "wg2": "wg0", "wg0": ""} {
		l, err := d.Open(unit)
		if err != nil {
			t.Fatal(err)
		}
		if dev, err := l.Get(); err != nil || dev.Alias != alias {
			t.Errorf("Get %s: alias %q, %v; want %q", unit, dev.Alias, err, alias)
		}
	}
	for _, missing := range []string{"wg9", "nowhere"} {
		if _, err := d.Open(missing); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Open %s: %v, want os.ErrNotExist", missing, err)
		}
	}
	k.foreign["em0"] = true
	if _, err := d.Open("em0"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open em0: %v, want os.ErrNotExist", err)
	}

	names, err := d.List()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"wg0", "wg1", "wg2", "wg3", "wg5"}, names); diff != "" {
		t.Errorf("List (-want +got)\n%s", diff)
	}

	// The link works and Destroy removes it from the group.
	if err := office.Set(wgtypes.Config{ListenPort: ptr(7)}); err != nil {
		t.Fatal(err)
	}
	if err := office.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Open("office"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open office after Destroy: %v", err)
	}
}

func TestDriverCreateConfigFailures(t *testing.T) {
	k := newFakeKernel(wgio.LayoutPre74)
	d := newTestDriver(k)
	for _, bad := range []string{"", "my vpn", "1234567890123456"} {
		if _, err := d.Create(bad); err == nil || !strings.Contains(err.Error(), "invalid name") {
			t.Errorf("Create %q: %v", bad, err)
		}
		if _, err := d.Open(bad); err == nil {
			t.Errorf("Open %q accepted", bad)
		}
	}
	// Setting the description fails: the new interface is destroyed.
	k.failDescr = syscall.EPERM
	if _, err := d.Create("office"); !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), "SIOCSIFDESCR wg0") {
		t.Errorf("Create with failing SIOCSIFDESCR: %v", err)
	}
	if len(k.ifaces) != 0 {
		t.Errorf("interfaces left behind: %v", k.order)
	}
	k.failDescr = nil
	// Every unit taken by someone else.
	k.steal = nil
	var hidden []string
	for range createAttempts + 1 {
		n, _ := PickUnit(hidden)
		hidden = append(hidden, n)
		k.outsideGroup[n] = true
		k.addIface(n)
	}
	if _, err := d.Create("office"); err == nil || !strings.Contains(err.Error(), "every wgN tried was taken") {
		t.Errorf("Create with every unit taken: %v", err)
	}
}

func TestDriverUnsupported(t *testing.T) {
	d := &Driver{err: errors.ErrUnsupported}
	if _, err := d.Create("wg0"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Create: %v", err)
	}
	if _, err := d.Create("office"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("CreateConfig: %v", err)
	}
	if _, err := d.Open("wg0"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Open: %v", err)
	}
	if _, err := d.List(); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("List: %v", err)
	}
}

func TestDriverInterfaces(t *testing.T) {
	k := newFakeKernel(wgio.Layout74)
	d := newTestDriver(k)
	if got, err := d.Interfaces(); err != nil || len(got) != 0 {
		t.Fatalf("no interfaces: %v, %v", got, err)
	}
	if _, err := d.Create("wg0"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Create("office"); err != nil {
		t.Fatal(err)
	}
	got, err := d.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	want := []Iface{{Name: "wg0"}, {Name: "wg1", Description: "wg-quick: office"}}
	if !slices.Equal(got, want) {
		t.Errorf("Interfaces = %+v, want %+v", got, want)
	}
	if _, err := NewDriver().Interfaces(); runtime.GOOS != "openbsd" && !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Interfaces off OpenBSD: %v", err)
	}
}
