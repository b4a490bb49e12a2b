package iphelper

import (
	"net/netip"
	"slices"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/wgshim/wgshim/internal/testenv"
	"github.com/wgshim/wgshim/platform/windows/tundev"
)

// TestApplyOnAdapter configures a real Wintun adapter and checks what the
// system reports back.
func TestApplyOnAdapter(t *testing.T) {
	why := ""
	if !windows.GetCurrentProcessToken().IsElevated() {
		why = "needs an elevated administrator"
	} else if err := windows.NewLazyDLL("wintun.dll").Load(); err != nil {
		why = "needs wintun.dll next to the test binary"
	}
	if why != "" {
		testenv.Skip(t, "%s", why)
	}
	dev, err := tundev.Create("wgshim-iphlp0", tundev.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	luid := dev.LUID()
	cfg := Config{
		Addresses:  []netip.Prefix{pfx("10.203.0.1/24")},
		AllowedIPs: []netip.Prefix{pfx("10.203.1.0/24")},
		MTU:        1380,
	}
	a, err := Apply(luid, cfg)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	addrs, err := winSystem{}.Addresses(luid)
	if err != nil || !slices.Contains(addrs, pfx("10.203.0.1/24")) {
		t.Errorf("Addresses = %v, %v; want 10.203.0.1/24", addrs, err)
	}
	routes, err := winSystem{}.Routes()
	if err != nil || !slices.ContainsFunc(routes, func(r SystemRoute) bool { return r.LUID == luid && r.Prefix == pfx("10.203.1.0/24") }) {
		t.Errorf("route 10.203.1.0/24 not on the adapter (%v)", err)
	}
	row := windows.MibIpInterfaceRow{Family: windows.AF_INET, InterfaceLuid: luid}
	if err := windows.GetIpInterfaceEntry(&row); err != nil || row.NlMtu != 1380 {
		t.Errorf("IPv4 MTU = %d, %v; want 1380", row.NlMtu, err)
	}
	if err := a.Undo(); err != nil {
		t.Fatalf("Undo: %v", err)
	}
	routes, _ = winSystem{}.Routes()
	if slices.ContainsFunc(routes, func(r SystemRoute) bool { return r.LUID == luid && r.Prefix == pfx("10.203.1.0/24") }) {
		t.Error("route left after Undo")
	}
}
