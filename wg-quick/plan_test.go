package wgquick

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/wg-quick/config"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

const (
	testPriv = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
	testPub1 = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
	testPub2 = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="
)

// planCase is one configuration and host for the golden tests.
type planCase struct {
	name string
	file string // file name: wg0.conf, wg0.toml
	conf string
	host func() *Fake
}

func baseHost() *Fake {
	return &Fake{
		PathMTU:    map[netip.Addr]int{netip.MustParseAddr("192.0.2.1"): 1500, netip.MustParseAddr("2001:db8::1"): 1400},
		DefaultMTU: 1500,
		Installed:  map[string]bool{"nft": true, "resolvconf": true},
		Backend:    Resolvconf,
		TableIDs:   map[string]uint32{"vpn": 200},
	}
}

var planCases = []planCase{
	{name: "simple", conf: `[Interface]
PrivateKey = ` + testPriv + `
Address = 10.0.0.1/24

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 10.0.0.2/32, 10.10.0.0/16
Endpoint = 192.0.2.1:51820
`},
	{name: "full-tunnel", conf: `[Interface]
PrivateKey = ` + testPriv + `
Address = 10.0.0.1/32, fd00::1/128
DNS = 10.0.0.53

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = 192.0.2.1:51820
`},
	{name: "full-tunnel-table-taken-iptables", conf: `[Interface]
PrivateKey = ` + testPriv + `
Address = 10.0.0.1/24

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 0.0.0.0/0
Endpoint = 192.0.2.1:51820
`, host: func() *Fake {
		f := baseHost()
		f.Installed = map[string]bool{"iptables": true}
		f.Tables = map[uint32]bool{51820: true, 51821: true}
		f.Sysctls = map[string]string{srcValidMark: "1"}
		return f
	}},
	{name: "full-tunnel-fwmark", conf: `[Interface]
PrivateKey = ` + testPriv + `
FwMark = 0x1234
Address = 10.0.0.1/24

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 0.0.0.0/0
`},
	{name: "table-off", conf: `[Interface]
PrivateKey = ` + testPriv + `
Address = 10.0.0.1/24
Table = off

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 0.0.0.0/0, 10.1.0.0/16
Endpoint = 192.0.2.1:51820
`},
	{name: "table-1234", conf: `[Interface]
PrivateKey = ` + testPriv + `
Address = 10.0.0.1/24
Table = 1234

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 0.0.0.0/0, 10.0.0.0/24, ::/0
Endpoint = 192.0.2.1:51820
`},
	{name: "table-name", conf: `[Interface]
PrivateKey = ` + testPriv + `
Table = vpn

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 10.1.0.0/16
`},
	{name: "addresses", conf: `[Interface]
PrivateKey = ` + testPriv + `
Address = 10.0.0.1/24, fd00::1/64
Address = 10.1.0.1/32
Address = fd01::1
MTU = 1380

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 10.0.0.0/24, 10.0.0.7/32, fd00::/64, fd00::7/128, 10.1.0.0/16, fd01::/48
Endpoint = [2001:db8::1]:51820

[Peer]
PublicKey = ` + testPub2 + `
AllowedIPs = 10.2.0.0/16, 10.3.0.0/16, 10.3.0.0/16
`},
	{name: "dns-search", conf: `[Interface]
PrivateKey = ` + testPriv + `
Address = 10.0.0.1/24
DNS = 10.0.0.53, fd00::53, example.com
DNS = corp.example

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 10.0.0.0/24
`, host: func() *Fake {
		f := baseHost()
		f.Prefix = "tun."
		return f
	}},
	{name: "dns-resolvectl", conf: `[Interface]
PrivateKey = ` + testPriv + `
DNS = 10.0.0.53, example.com

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 10.0.0.0/24
`, host: func() *Fake {
		f := baseHost()
		f.Backend = Resolvectl
		f.Installed["resolvectl"] = true
		return f
	}},
	{name: "hooks", conf: `[Interface]
PrivateKey = ` + testPriv + `
PreUp = echo pre-up %i # not a comment
PostUp = iptables -A FORWARD -i %i -j ACCEPT; echo %i
PostUp = echo second
PreDown = echo pre-down %i
PostDown = echo post-down %i

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 10.0.0.0/24
`},
	{name: "mtu-auto-default-route", conf: `[Interface]
PrivateKey = ` + testPriv + `

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 10.0.0.0/24
Endpoint = 198.51.100.1:51820
`, host: func() *Fake {
		f := baseHost()
		f.DefaultMTU = 9000
		return f
	}},
	{name: "mtu-auto-smallest", conf: `[Interface]
PrivateKey = ` + testPriv + `

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 10.0.0.0/24
Endpoint = 192.0.2.1:51820

[Peer]
PublicKey = ` + testPub2 + `
AllowedIPs = 10.1.0.0/24
Endpoint = [2001:db8::1]:51820
`},
	{name: "mtu-auto-nothing", conf: `[Interface]
PrivateKey = ` + testPriv + `

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 10.0.0.0/24
`, host: func() *Fake {
		f := baseHost()
		f.DefaultMTU = 0
		return f
	}},
	{name: "mtu-set", conf: `[Interface]
PrivateKey = ` + testPriv + `
MTU = 1280

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 10.0.0.0/24
Endpoint = 192.0.2.1:51820
`},
	{name: "saveconfig", conf: `[Interface]
PrivateKey = ` + testPriv + `
ListenPort = 51820
Address = 10.0.0.1/24
DNS = 10.0.0.53, example.com
MTU = 1400
SaveConfig = true
PostUp = echo up %i

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 10.0.0.0/24
Endpoint = 192.0.2.1:51820
PersistentKeepalive = 25
`},
	{name: "saveconfig-toml", file: "wg0.toml", conf: `[Interface]
PrivateKey = "` + testPriv + `"
Address = ["10.0.0.1/24"]
SaveConfig = true

[[Peer]]
PublicKey = "` + testPub1 + `"
AllowedIPs = ["10.0.0.0/24"]
`},
}

func (pc planCase) load(t testing.TB) (*config.Config, *wgtypes.Config) {
	t.Helper()
	file := pc.file
	if file == "" {
		file = "wg0.conf"
	}
	c, err := config.Parse(file, []byte(pc.conf))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	c.Name = "wg0"
	wc, err := c.WGConfig(context.Background(), nil)
	if err != nil {
		t.Fatalf("wg config: %v", err)
	}
	return c, &wc
}

func (pc planCase) newHost() *Fake {
	if pc.host != nil {
		return pc.host()
	}
	return baseHost()
}

func tableOf(c *config.Config) string {
	if t := c.Interface.Table; t != nil && t.V.Mode == config.TableName {
		return t.V.Name
	}
	return ""
}

func planUp(t testing.TB, h *Fake, c *config.Config, wc *wgtypes.Config) []Op {
	t.Helper()
	f, err := GatherUp(h, "wg0", wc, tableOf(c), NeedsDefaultRoute(c))
	if err != nil {
		t.Fatalf("gather up: %v", err)
	}
	plan, err := PlanUp(c, wc, f)
	if err != nil {
		t.Fatalf("plan up: %v", err)
	}
	return plan
}

func planDown(t testing.TB, h *Fake, c *config.Config) []Op {
	t.Helper()
	f, err := GatherDown(h, "wg0")
	if err != nil {
		t.Fatalf("gather down: %v", err)
	}
	plan, err := PlanDown(c, f)
	if err != nil {
		t.Fatalf("plan down: %v", err)
	}
	return plan
}

// formatPlan prints a plan with the input of every command and the undo
// of every step.
func formatPlan(plan []Op) string {
	var b strings.Builder
	for _, op := range plan {
		b.WriteString(op.String() + "\n")
		for _, c := range op.Cmds {
			if c.Stdin == "" {
				continue
			}
			fmt.Fprintf(&b, "    stdin of %s:\n", c.Args[0])
			for _, l := range strings.SplitAfter(c.Stdin, "\n") {
				if l != "" {
					b.WriteString("    | " + strings.ReplaceAll(l, " \n", "⏎\n"))
				}
			}
		}
		if op.BestEffort {
			b.WriteString("    (errors ignored)\n")
		}
		if op.Undo != nil {
			b.WriteString("    undo: " + op.Undo.String() + "\n")
		}
	}
	return b.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

// TestGoldenPlans checks the up and down plans of every case against
// testdata/golden, then runs them on a Fake: after up and down the host
// must be as it was.
func TestGoldenPlans(t *testing.T) {
	for _, pc := range planCases {
		t.Run(pc.name, func(t *testing.T) {
			c, wc := pc.load(t)
			h := pc.newHost()
			empty := h.State()
			up := planUp(t, h, c, wc)
			r := &Runner{Exec: h, Stderr: new(strings.Builder)}
			if _, err := r.Run(context.Background(), "up", "wg0", up); err != nil {
				t.Fatalf("up: %v", err)
			}
			upState := h.State()
			down := planDown(t, h, c)
			got := "# up\n" + formatPlan(up) + "\n# state after up\n" + upState + "\n\n# down\n" + formatPlan(down)
			if _, err := r.Run(context.Background(), "down", "wg0", down); err != nil {
				t.Fatalf("down: %v", err)
			}
			for file, b := range h.Saved {
				got += "\n# saved " + file + "\n" + string(b)
			}
			checkGolden(t, pc.name, got)
			if s := h.State(); s != empty {
				t.Errorf("state after up and down differs from before (-before +after):\n%s", cmp.Diff(empty, s))
			}
			// down is idempotent in effect: a second one finds no
			// interface and changes nothing.
			f, err := GatherDown(h, "wg0")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := PlanDown(c, f); err == nil || !strings.Contains(err.Error(), "`wg0' is not a WireGuard interface") {
				t.Errorf("second down: got %v, want not a WireGuard interface", err)
			}
		})
	}
}

// TestUnwind fails each step of every up plan in turn and checks that the
// steps undone are exactly the undos of the steps done, in reverse, and
// that the host is left as it was.
func TestUnwind(t *testing.T) {
	for _, pc := range planCases {
		c, wc := pc.load(t)
		plan := planUp(t, pc.newHost(), c, wc)
		for i := range plan {
			t.Run(fmt.Sprintf("%s/fail-%d", pc.name, i+1), func(t *testing.T) {
				h := pc.newHost()
				before := h.State()
				h.FailAt = i + 1
				r := &Runner{Exec: h, Stderr: new(strings.Builder)}
				undone, err := r.Run(context.Background(), "up", "wg0", plan)
				if err == nil {
					t.Fatal("up succeeded despite the injected failure")
				}
				if !strings.Contains(err.Error(), plan[i].Display) || !strings.Contains(err.Error(), errFakeInjected.Error()) {
					t.Errorf("error %q does not name step %q and the cause", err, plan[i].Display)
				}
				var want []string
				for j := i - 1; j >= 0; j-- {
					if u := plan[j].Undo; u != nil {
						want = append(want, u.Display)
					}
				}
				var got []string
				for _, u := range undone {
					got = append(got, u.Display)
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("undo steps (-want +got):\n%s", d)
				}
				var steps []string
				for _, op := range plan[:i+1] {
					steps = append(steps, op.String())
				}
				if d := cmp.Diff(steps, h.Log[:i+1]); d != "" {
					t.Errorf("steps done before the failure differ from the plan:\n%s", d)
				}
				if s := h.State(); s != before {
					t.Errorf("state not restored (-before +after):\n%s", cmp.Diff(before, s))
				}
			})
		}
	}
}
