//go:build linux

package wgquick_test

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/tests/internal/snapshot"
)

// Keys: the protocol.md §14 test keys and two more from `wg genkey`.
const (
	privA = "uB34nMlTO5lB6hs/X7LIysRkRBqIwxBfKM4IyaUFLEY="
	peerB = "P/zhmqcVuvNg92ZOEPLVOyjYeCNA7B9CHvBqwWX3yUQ="
	peerC = "XXmq5PyeOkyPfRrB/nUcqHlKgQZ+4wjIxXgqrc5CxW4="
	psk   = "BzxtCBKK0wLoZKN3c2tNk/3p6HGOUwcpSpPPcLV+qCs="
)

// hooks writes one marker line per hook into the namespace's /run/marks.
const hooks = `PreUp = echo pre-up %i >> /run/marks
PostUp = echo post-up %i >> /run/marks
PostUp = echo "post-up 2" >> /run/marks
PreDown = echo pre-down %i >> /run/marks
PostDown = echo post-down %i >> /run/marks
`

// fullTunnel is a road-warrior client: both default routes through wgq0.
const fullTunnel = `[Interface]
PrivateKey = ` + privA + `
ListenPort = 51820
Address = 10.200.0.2/32, fd42:42:42::2/128
%EXTRA%
[Peer]
PublicKey = ` + peerB + `
PresharedKey = ` + psk + `
Endpoint = peer.wgq.test:51820
AllowedIPs = 0.0.0.0/0, ::/0
PersistentKeepalive = 25
`

func full(extra string) string { return strings.Replace(fullTunnel, "%EXTRA%", extra, 1) }

// siteToSite has two peers with nested and v6 ranges (route order matters).
func siteToSite(extra string) string {
	return `[Interface]
PrivateKey = ` + privA + `
ListenPort = 51821
Address = 10.1.0.1/24
` + extra + `
[Peer]
PublicKey = ` + peerB + `
Endpoint = 192.0.2.7:51820
AllowedIPs = 10.1.0.2/32, 10.9.0.0/16, fd09::/64

[Peer]
PublicKey = ` + peerC + `
Endpoint = [2001:db8::7]:51820
AllowedIPs = 10.9.8.0/24, 172.16.0.0/12
`
}

// good are configurations every implementation must bring up identically.
var good = []scenario{
	{name: "full-tunnel", conf: full("")},
	{name: "full-tunnel-fwmark", conf: full("FwMark = 0x1234\n")},
	{name: "table-off", conf: siteToSite("Table = off\n")},
	{name: "table-1234", conf: siteToSite("Table = 1234\n")},
	{name: "table-auto", conf: siteToSite("")},
	{name: "several-addresses", conf: siteToSite("Address = 10.1.1.1/24, fd01::1/64\nAddress = fd01:1::1/64\n")},
	{name: "hooks", conf: siteToSite(hooks)},
	{name: "mtu-set", conf: siteToSite("MTU = 1280\n")},
	{name: "random-port", randomPort: true, conf: strings.Replace(siteToSite(""), "ListenPort = 51821\n", "", 1)},
	{name: "dns", resolvconf: true, conf: full("DNS = 10.200.0.1, fd42:42:42::1, corp.example, example.test\n")},
}

// bad are configurations whose up must fail at a given step and undo
// everything.
var bad = []scenario{
	{name: "preup-fails", conf: full("PreUp = echo pre-up %i >> /run/marks\nPreUp = false\n")},
	{name: "postup-fails", conf: full(hooks + "PostUp = exit 3\n")},
	{name: "address-twice", conf: siteToSite("Address = 10.1.0.1/24\n")},
	{name: "route-exists", setup: "ip route add 10.9.0.0/16 dev uplink0", conf: siteToSite("")},
	{name: "route-exists-table", setup: "ip route add 172.16.0.0/12 dev uplink0 table 1234", conf: siteToSite("Table = 1234\n")},
	{name: "endpoint-unresolvable", conf: strings.Replace(full(""), "peer.wgq.test", "nowhere.wgq.test", 1)},
	{name: "nft-missing", noNft: true, conf: full("")},
	{name: "resolvconf-fails", resolvconf: true, setup: "touch /run/fake-resolvconf/fail", conf: full("DNS = 10.200.0.1\n")},
	{name: "mtu-impossible", conf: siteToSite("MTU = 70000\n"), noTOML: "our parser rejects MTU 70000 (up fails before any change)"},
}

// TestCompareUp brings each good configuration up and down with every
// implementation: up must succeed, the up states must be identical to
// Debian's, and down must restore the state before up.
func TestCompareUp(t *testing.T) {
	debian := prereq(t)
	for _, sc := range good {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			var ref *run
			for _, im := range impls(debian) {
				r := execute(t, im, sc, "snap:pre", "up=up", "snap:up", "down=down", "snap:down")
				if r == nil {
					continue
				}
				if r.rc["up"] != 0 {
					t.Errorf("%s: up failed (status %d):\n%s", im.name, r.rc["up"], r.logs["up"])
					continue
				}
				if r.rc["down"] != 0 {
					t.Errorf("%s: down failed (status %d):\n%s", im.name, r.rc["down"], r.logs["down"])
				}
				if d := snapshot.Diff(r.snaps["pre"].Without(notRestored...), r.snaps["down"].Without(notRestored...)); d != "" {
					t.Errorf("%s: state after down differs from before up (-before +after):\n%s", im.name, d)
				}
				if r.snaps["up"]["sockets.txt"] != iface+".sock\n" {
					t.Errorf("%s: sockets after up = %q, want %s.sock (userspace daemon)", im.name, r.snaps["up"]["sockets.txt"], iface)
				}
				if ref == nil {
					ref = r
					checkReference(t, sc, r)
					continue
				}
				if d := snapshot.Diff(ref.snaps["up"], r.snaps["up"]); d != "" {
					t.Errorf("%s: state after up differs from debian (-debian +%s):\n%s\ndebian log:\n%s\n%s log:\n%s",
						im.name, im.name, d, ref.logs["up"], im.name, r.logs["up"])
				}
				if d := snapshot.Diff(ref.snaps["down"], r.snaps["down"]); d != "" {
					t.Errorf("%s: state after down differs from debian (-debian +%s):\n%s", im.name, im.name, d)
				}
			}
		})
	}
}

// checkReference makes sure the reference run did what the scenario is
// about, so a comparison against a broken reference cannot pass quietly.
func checkReference(t *testing.T, sc scenario, r *run) {
	t.Helper()
	up := r.snaps["up"]
	has := func(component, s string) {
		t.Helper()
		if !strings.Contains(up[component], s) {
			t.Errorf("debian up state: %s lacks %q:\n%s", component, s, up[component])
		}
	}
	has("addr.json", `"ifname": "wgq0"`)
	has("wg.txt", peerB)
	switch sc.name {
	case "full-tunnel":
		has("rule4.json", `"suppress_prefixlen": 0`)
		has("rule6.json", `"table": "51820"`)
		has("nft.json", `"name": "wg-quick-wgq0"`)
		has("sysctl.txt", "1")
		has("addr.json", `"mtu": 1320`) // uplink0 1400 - 80
	case "full-tunnel-fwmark":
		has("rule4.json", `"table": "4660"`)
	case "table-1234":
		has("route4.json", `"table": "1234"`)
	case "hooks":
		if got, want := up["marks.txt"], "pre-up wgq0\npost-up wgq0\npost-up 2\n"; got != want {
			t.Errorf("markers after up = %q, want %q", got, want)
		}
		if got, want := r.snaps["down"]["marks.txt"], "pre-up wgq0\npost-up wgq0\npost-up 2\npre-down wgq0\npost-down wgq0\n"; got != want {
			t.Errorf("markers after down = %q, want %q", got, want)
		}
	case "mtu-set":
		has("addr.json", `"mtu": 1280`)
	case "dns":
		has("resolvconf.txt", "nameserver 10.200.0.1\nnameserver fd42:42:42::1\nsearch corp.example example.test")
	}
}

// TestFailureRollback makes each step of up fail in turn: every
// implementation must fail (as Debian's does) and leave the namespace
// exactly as it was before up.
func TestFailureRollback(t *testing.T) {
	debian := prereq(t)
	for _, sc := range bad {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			for _, im := range impls(debian) {
				r := execute(t, im, sc, "snap:pre", "up=up", "snap:after")
				if r == nil {
					continue
				}
				if r.rc["up"] == 0 {
					t.Errorf("%s: up succeeded, want a failure:\n%s", im.name, r.logs["up"])
					continue
				}
				if d := snapshot.Diff(r.snaps["pre"].Without(notRestored...), r.snaps["after"].Without(notRestored...)); d != "" {
					t.Errorf("%s: failed up left changes (-before +after):\n%s\nlog:\n%s", im.name, d, r.logs["up"])
				}
				if testing.Verbose() {
					t.Logf("%s: up failed as expected (status %d):\n%s", im.name, r.rc["up"], r.logs["up"])
				}
			}
		})
	}
}

// TestSaveThenUp: up, save, down, up from the saved file must reproduce the
// running state, and the file must have been rewritten.
func TestSaveThenUp(t *testing.T) {
	debian := prereq(t)
	sc := scenario{name: "save", resolvconf: true, conf: full("DNS = 10.200.0.1\nMTU = 1380\nTable = auto\n" + hooks)}
	savedINI := map[string]string{} // by implementation
	for _, im := range impls(debian) {
		t.Run(im.name, func(t *testing.T) {
			r := execute(t, im, sc, "snap:pre", "up1=up", "snap:up1", "save=save", "down1=down", "up2=up", "snap:up2", "down2=down", "snap:down")
			for _, step := range []string{"up1", "save", "down1", "up2", "down2"} {
				if r.rc[step] != 0 {
					t.Fatalf("%s failed (status %d):\n%s", step, r.rc[step], r.logs[step])
				}
			}
			// The hooks append to the marker file on every run.
			if d := snapshot.Diff(r.snaps["up1"].Without("marks.txt"), r.snaps["up2"].Without("marks.txt")); d != "" {
				saved, _ := os.ReadFile(r.conf)
				t.Errorf("state after up of the saved file differs (-first +second):\n%s\nsaved file:\n%s", d, saved)
			}
			if d := snapshot.Diff(r.snaps["pre"].Without(notRestored...), r.snaps["down"].Without(notRestored...)); d != "" {
				t.Errorf("state after the last down differs from before up:\n%s", d)
			}
			saved, err := os.ReadFile(r.conf)
			if err != nil {
				t.Fatal(err)
			}
			if string(saved) == r.orig {
				t.Errorf("save did not rewrite %s", r.conf)
			}
			if testing.Verbose() {
				t.Logf("saved %s:\n%s", r.conf, saved)
			}
			if !im.toml {
				savedINI[im.name] = string(saved)
			}
		})
	}
	// Both write wg-quick.md §9's layout: the same bytes.
	if ours, ok := savedINI["ours-ini"]; ok && savedINI["debian"] != "" {
		if d := cmp.Diff(strings.Split(savedINI["debian"], "\n"), strings.Split(ours, "\n")); d != "" {
			t.Errorf("saved INI files differ (-debian +ours):\n%s", d)
		}
	}
}

// TestMixedUpDown: an interface brought up by one wg-quick is taken down by
// the other (wg-quick.md §13: the resulting state, rule priorities, table
// numbers and nft table names must be the same so that this cleans up).
func TestMixedUpDown(t *testing.T) {
	debian := prereq(t)
	list := impls(debian)
	deb, ours := list[0], list[1] // INI: Debian's wg-quick cannot read TOML
	sc := scenario{name: "mixed", resolvconf: true, conf: full("DNS = 10.200.0.1, example.test\n" + hooks)}
	for _, tc := range []struct {
		name     string
		up, down impl
	}{
		{"ours-up-debian-down", ours, deb},
		{"debian-up-ours-down", deb, ours},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			down := tc.down
			r := executeMixed(t, tc.up, &down, sc, "snap:pre", "up=up", "snap:up", "down@=down", "snap:down")
			if r.rc["up"] != 0 {
				t.Fatalf("%s: up failed (status %d):\n%s", tc.up.name, r.rc["up"], r.logs["up"])
			}
			if r.rc["down"] != 0 {
				t.Errorf("%s: down failed (status %d):\n%s", tc.down.name, r.rc["down"], r.logs["down"])
			}
			if !strings.Contains(r.snaps["up"]["nft.json"], "wg-quick-wgq0") || !strings.Contains(r.snaps["up"]["resolvconf.txt"], "nameserver 10.200.0.1") {
				t.Errorf("up did not install the firewall table and DNS:\n%s\n%s", r.snaps["up"]["nft.json"], r.snaps["up"]["resolvconf.txt"])
			}
			if d := snapshot.Diff(r.snaps["pre"].Without(notRestored...), r.snaps["down"].Without(notRestored...)); d != "" {
				t.Errorf("state after %s's down differs from before %s's up (-before +after):\n%s\ndown log:\n%s", tc.down.name, tc.up.name, d, r.logs["down"])
			}
			if got, want := r.snaps["down"]["marks.txt"], "pre-up wgq0\npost-up wgq0\npost-up 2\npre-down wgq0\npost-down wgq0\n"; got != want {
				t.Errorf("hook markers = %q, want %q", got, want)
			}
		})
	}
}
