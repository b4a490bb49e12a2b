package quick

import (
	"context"
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/bsd"
	"github.com/wgshim/wgshim/platform/openbsd/ifwg"
	"github.com/wgshim/wgshim/wg-quick/config"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	priv = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
	pub1 = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
	pub2 = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="
)

func parse(t *testing.T, name, src string) (*config.Config, *wgtypes.Config) {
	t.Helper()
	c, err := config.ParseINI(name+".conf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c.Name = name
	c.File = "/etc/wireguard/" + name + ".conf"
	wc, err := c.WGConfig(context.Background(), config.ResolverFunc(func(_ context.Context, host, port string) (netip.AddrPort, error) {
		return netip.ParseAddrPort(host + ":" + port)
	}))
	if err != nil {
		t.Fatal(err)
	}
	return c, &wc
}

var (
	gw     = bsd.Gateways{V4: netip.MustParseAddr("192.168.1.1"), V6: netip.MustParseAddr("fe80::1")}
	others = []ifwg.Iface{{Name: "wg0", Description: "wg-quick: office"}, {Name: "wg1"}}
)

const basic = `[Interface]
PrivateKey = ` + priv + `
Address = 10.8.0.2/24, fd08::2/64
ListenPort = 51820

[Peer]
PublicKey = ` + pub1 + `
AllowedIPs = 10.8.0.0/24, 10.9.0.0/16, fd08::/64
Endpoint = 198.51.100.7:51820
`

const full = `[Interface]
PrivateKey = ` + priv + `
Address = 10.8.0.2/32
Address = fd08::2/128
DNS = 10.8.0.1, fd08::1, corp.example
PreUp = echo pre %i %I
PostUp = echo post %i %I

[Peer]
PublicKey = ` + pub1 + `
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = 198.51.100.7:51820

[Peer]
PublicKey = ` + pub2 + `
AllowedIPs = 10.20.0.0/16
Endpoint = [2001:db8::9]:51820
`

func TestPlanUpGolden(t *testing.T) {
	for _, tt := range []struct {
		name  string
		conf  string
		src   string
		facts Facts
	}{
		{"basic", "home", basic, Facts{Existing: others, EndpointMTUs: []int{1500, 9000}}},
		{"full-tunnel", "vpn", full, Facts{Gateways: gw, Resolvd: true, DefaultMTU: 1492}},
		{"full-tunnel-no-gateway-unwind", "vpn", full, Facts{Unwind: true}},
		{"full-tunnel-no-resolver", "vpn", full, Facts{Gateways: gw}},
		{"table-number", "t", strings.Replace(full, "[Interface]", "[Interface]\nTable = 7\nMTU = 1380\nFwMark = 3", 1), Facts{Gateways: gw, Resolvd: true}},
		{"table-off", "t", strings.Replace(full, "[Interface]", "[Interface]\nTable = off", 1), Facts{Gateways: gw}},
		{"userspace", "home", basic, Facts{Existing: others, Userspace: "wireguard-go", FreeTun: "tun2"}},
		{"userspace-no-kernel", "vpn", full, Facts{Userspace: "wgshim", Missing: "platform/openbsd: OpenBSD 6.7: wg(4) first shipped in OpenBSD 6.8", FreeTun: "tun0", Gateways: gw}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, wc := parse(t, tt.conf, tt.src)
			plan, err := PlanUp(c, wc, &tt.facts)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "up-"+tt.name, Text(plan))
		})
	}
}

func TestPlanDownGolden(t *testing.T) {
	down := strings.Replace(full, "[Interface]", "[Interface]\nPreDown = echo pre-down %i\nPostDown = echo post-down %I\nSaveConfig = true", 1)
	for _, tt := range []struct {
		name  string
		facts Facts
	}{
		{"with-dns", Facts{Existing: []ifwg.Iface{{Name: "wg0"}, {Name: "wg3", Description: "wg-quick: vpn"}}, DNSBackup: true}},
		{"without-dns", Facts{Existing: []ifwg.Iface{{Name: "wg2", Description: "wg-quick: vpn"}}}},
		{"userspace", Facts{Existing: []ifwg.Iface{{Name: "wg0"}, {Name: "tun1", Description: "wg-quick: vpn"}}, DNSBackup: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := parse(t, "vpn", down)
			plan, err := PlanDown(c, &tt.facts)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "down-"+tt.name, Text(plan))
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestPlanUpErrors(t *testing.T) {
	for _, tt := range []struct {
		name, src string
		facts     Facts
		want      string
		is        error
	}{
		{"already up", basic, Facts{Existing: []ifwg.Iface{{Name: "wg4", Description: "wg-quick: home"}}}, "`home' already exists as `wg4'", os.ErrExist},
		{"no v6 address", strings.Replace(basic, ", fd08::2/64", "", 1), Facts{}, "Local IPv6 address must be set to have routes", nil},
		{"no v4 address", strings.Replace(basic, "10.8.0.2/24, ", "", 1), Facts{}, "Local IPv4 address must be set to have routes", nil},
		{"fwmark too big", strings.Replace(basic, "[Interface]", "[Interface]\nFwMark = 256", 1), Facts{}, "FwMark = 256", nil},
		{"table too big", strings.Replace(basic, "[Interface]", "[Interface]\nTable = 300", 1), Facts{}, "Table = 300: OpenBSD routing tables are 0-255", nil},
		{"named table", strings.Replace(basic, "[Interface]", "[Interface]\nTable = main", 1), Facts{}, "not names", nil},
		{"userspace without a tun", basic, Facts{Userspace: "wgshim"}, "no free tun device", nil},
		{"userspace already up", basic, Facts{Userspace: "wgshim", FreeTun: "tun1", Existing: []ifwg.Iface{{Name: "tun0", Description: "wg-quick: home"}}}, "`home' already exists as `tun0'", os.ErrExist},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, wc := parse(t, "home", tt.src)
			_, err := PlanUp(c, wc, &tt.facts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want it to wrap %v", err, tt.is)
			}
		})
	}
	c, _ := parse(t, "vpn", full)
	if _, err := PlanDown(c, &Facts{Existing: others}); err == nil || !errors.Is(err, os.ErrNotExist) ||
		!strings.Contains(err.Error(), "`vpn' is not a WireGuard interface") {
		t.Errorf("down of a missing interface: %v", err)
	}
}

func TestPlanUpUnitAndUndo(t *testing.T) {
	c, wc := parse(t, "home", basic)
	plan, err := PlanUp(c, wc, &Facts{Existing: []ifwg.Iface{{Name: "wg0"}, {Name: "wg2"}}})
	if err != nil {
		t.Fatal(err)
	}
	var create *Step
	for i := range plan {
		if plan[i].Kind == CreateIface {
			create = &plan[i]
		}
		if plan[i].Iface != "" && plan[i].Iface != "wg1" {
			t.Errorf("step %v on %s, want wg1", plan[i].Kind, plan[i].Iface)
		}
	}
	if create == nil || create.Iface != "wg1" || create.Undo == nil || create.Undo.Kind != DestroyIface {
		t.Fatalf("create step %+v", create)
	}
	// Every route has an undo; the interface routes use FIRSTADDR.
	for _, s := range plan {
		if s.Kind == AddRoute {
			if s.Undo == nil || s.Undo.Kind != DeleteRoute || s.Undo.Route != s.Route {
				t.Errorf("route %s: undo %+v", s.Display, s.Undo)
			}
			if s.Route.Iface != "" && s.Local != netip.MustParseAddr("10.8.0.2") && s.Local != netip.MustParseAddr("fd08::2") {
				t.Errorf("route %s: local %v", s.Display, s.Local)
			}
		}
	}
}

func TestMTU(t *testing.T) {
	c, _ := parse(t, "home", basic)
	for _, tt := range []struct {
		f    Facts
		want int
	}{
		{Facts{}, 1420},
		{Facts{DefaultMTU: 1492}, 1412},
		{Facts{EndpointMTUs: []int{1280, 1500}, DefaultMTU: 9000}, 1420},
	} {
		if got := MTU(c, &tt.f); got != tt.want {
			t.Errorf("MTU(%+v) = %d, want %d", tt.f, got, tt.want)
		}
	}
	c2, _ := parse(t, "home", strings.Replace(basic, "[Interface]", "[Interface]\nMTU = 1300", 1))
	if got := MTU(c2, &Facts{DefaultMTU: 9000}); got != 1300 {
		t.Errorf("MTU = 1300 in the file: got %d", got)
	}
}

func TestDNSWarnings(t *testing.T) {
	for _, tt := range []struct {
		unwind, resolvd bool
		want            []string
		configure       bool
	}{
		{true, true, []string{"[!] WARNING: unwind will leak DNS queries"}, true},
		{true, false, []string{"[!] WARNING: unwind will leak DNS queries"}, true},
		{false, true, []string{"[!] WARNING: resolvd may leak DNS queries"}, true},
		{false, false, []string{"[+] resolvd is not running, DNS will not be configured"}, false},
	} {
		got, ok := DNSWarnings(tt.unwind, tt.resolvd)
		if !slices.Equal(got, tt.want) || ok != tt.configure {
			t.Errorf("DNSWarnings(%v, %v) = %q, %v", tt.unwind, tt.resolvd, got, ok)
		}
	}
}

func TestWarnings(t *testing.T) {
	for _, tt := range []struct {
		name, src string
		want      []string
	}{
		{"plain", basic, nil},
		{"fwmark", strings.Replace(basic, "[Interface]", "[Interface]\nFwMark = 0x10", 1), []string{
			"[!] home.conf:2: FwMark = 16: OpenBSD has no packet marks; wg(4) sends the encrypted UDP traffic through routing table (rtable) 16 instead, which must exist"}},
		{"fwmark off", strings.Replace(basic, "[Interface]", "[Interface]\nFwMark = off", 1), nil},
		{"table number", strings.Replace(basic, "[Interface]", "[Interface]\nTable = 5", 1), []string{
			"[!] home.conf:2: Table = 5: routes go into routing table 5 (route -T 5); a default route is added there as it is, and only traffic of routing domain 5 or sent there by pf(4) uses it"}},
		{"auto default", full, []string{
			"[!] Table = auto with a default route: OpenBSD has no policy routing; the tunnel takes 0.0.0.0/1 and 128.0.0.0/1 (::/1 and 8000::/1) and routes each endpoint through the current default gateway, kept up to date by a route monitor"}},
		{"off default", strings.Replace(full, "[Interface]", "[Interface]\nTable = off", 1), []string{
			"[!] home.conf:2: Table = off: no routes are added, not even for the default route; route traffic into the tunnel yourself"}},
		{"off without default", strings.Replace(basic, "[Interface]", "[Interface]\nTable = off", 1), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := parse(t, "home", tt.src)
			if diff := cmp.Diff(tt.want, Warnings(c)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFindIface(t *testing.T) {
	ifaces := []ifwg.Iface{
		{Name: "tun", Description: "wg-quick: a"},
		{Name: "em0", Description: "wg-quick: b"},
		{Name: "tun4", Description: "wg-quick: c"},
		{Name: "wg9", Description: "wg-quick: c"},
		{Name: "wg2", Description: "wg-quick: d"},
	}
	for _, tt := range []struct{ name, want string }{{"a", ""}, {"b", ""}, {"c", "wg9"}, {"d", "wg2"}, {"e", ""}} {
		got, ok := FindIface(ifaces, tt.name)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("FindIface(%s) = %q, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
	if got, _ := FindIface(ifaces[2:3], "c"); got != "tun4" {
		t.Errorf("userspace tun4 not found: %q", got)
	}
}
