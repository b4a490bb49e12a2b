//go:build linux

package tools_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/linux/wgnl"
)

func genKey(t *testing.T) wgtypes.Key {
	t.Helper()
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var fields = []string{"public-key", "private-key", "listen-port", "fwmark", "peers", "preshared-keys",
	"endpoints", "allowed-ips", "latest-handshakes", "transfer", "persistent-keepalive", "dump", "bogus-field"}

// wgEnv is the environment of every wg run: no colours unless asked.
var wgEnv = []string{"WG_COLOR_MODE=never", "WG_ENDPOINT_RESOLUTION_RETRIES=0"}

// same runs Debian's wg and ours with args and fails on any difference in
// stdout, stderr or exit status.
func same(t *testing.T, e env, n *netns, extraEnv []string, args ...string) result {
	t.Helper()
	env := append(append([]string{}, wgEnv...), extraEnv...)
	want := n.exec(t, env, e.debianWG, args...)
	got := n.exec(t, env, e.ourWG, args...)
	if want != got {
		t.Errorf("wg %s (%v): output differs (-debian +ours):\n%s", strings.Join(args, " "), extraEnv,
			cmp.Diff(strings.SplitAfter(want.String(), "\n"), strings.SplitAfter(got.String(), "\n")))
	}
	return got
}

// TestKernelWgShow sets up kernel links with Debian's wg setconf, one per
// configuration, and compares every read-only command of both tools.
func TestKernelWgShow(t *testing.T) {
	e := kernelVM(t)
	n := newNetns(t)
	priv, p1, p2, p3, psk := genKey(t), genKey(t), genKey(t), genKey(t), genKey(t)
	several := fmt.Sprintf("[Interface]\nPrivateKey = %s\nListenPort = 51821\nFwMark = 0xca6c\n", priv)
	for i := range 12 {
		several += fmt.Sprintf("\n[Peer]\nPublicKey = %s\n", genKey(t).PublicKey())
		switch i % 4 {
		case 0:
			several += fmt.Sprintf("Endpoint = 192.0.2.%d:%d\nAllowedIPs = 10.1.%d.0/24, 10.101.%d.7/32\n", i+1, 1000+i, i, i)
		case 1:
			several += fmt.Sprintf("Endpoint = [2001:db8::%x]:%d\nAllowedIPs = fd00:%x::/64, 10.2.%d.1/32\nPresharedKey = %s\n", i, 2000+i, i, i, genKey(t))
		case 2:
			several += fmt.Sprintf("Endpoint = [::ffff:198.51.100.%d]:51820\nAllowedIPs = ::1.2.3.%d/128\nPersistentKeepalive = %d\n", i, i, i*100)
		case 3:
			several += fmt.Sprintf("AllowedIPs = 0.0.0.0/0, ::/0\nPersistentKeepalive = %d\nPresharedKey = %s\n", 65535-i, genKey(t))
		}
	}
	configs := []struct {
		name, conf string
		up         bool // up with listen-port 0: the kernel picks a port
	}{
		{"wgk-empty", "", false},
		{"wgk-nopeers", fmt.Sprintf("[Interface]\nPrivateKey = %s\nListenPort = 51820\n", priv), false},
		{"wgk-full", fmt.Sprintf("[Interface]\nPrivateKey = %s\nListenPort = 65535\nFwMark = 1\n\n"+
			"[Peer]\nPublicKey = %s\nPresharedKey = %s\nEndpoint = [2001:db8::1]:51820\nAllowedIPs = 10.0.0.2/32, fd00::2/128\nPersistentKeepalive = 25\n\n"+
			"[Peer]\nPublicKey = %s\nEndpoint = 203.0.113.9:1\nAllowedIPs = 10.0.1.0/24\n\n"+
			"[Peer]\nPublicKey = %s\n", priv, p1.PublicKey(), psk, p2.PublicKey(), p3.PublicKey()), false},
		{"wgk-several", several, false},
		{"wgk-fwmark", fmt.Sprintf("[Interface]\nFwMark = 4294967295\n[Peer]\nPublicKey = %s\nEndpoint = 127.0.0.1:9\n", p1.PublicKey()), false},
		// No endpoint: nothing is ever sent, so the counters stay put.
		{"wgk-port0", fmt.Sprintf("[Interface]\nPrivateKey = %s\nListenPort = 0\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.0.0.0/8\n", genKey(t), p2.PublicKey()), true},
	}
	for _, c := range configs {
		n.must(t, "ip", "link", "add", c.name, "type", "wireguard")
		n.must(t, e.debianWG, "setconf", c.name, writeFile(t, "conf", c.conf))
		if c.up {
			n.must(t, "ip", "link", "set", c.name, "up")
		}
	}
	if out := n.must(t, e.debianWG, "show", "wgk-port0", "listen-port"); out == "0\n" {
		t.Errorf("wgk-port0 is up but has listen port 0")
	}
	// show and show dump of every interface are in "global" (show all);
	// showconf has no all form.
	for _, c := range configs {
		same(t, e, n, nil, "showconf", c.name)
	}
	// Each field once per interface without the name, then for all.
	t.Run("fields", func(t *testing.T) {
		same(t, e, n, []string{"WG_COLOR_MODE=always", "WG_HIDE_KEYS=never"}, "show", "wgk-full")
		same(t, e, n, nil, "show", "wgk-port0")
		for _, f := range fields {
			same(t, e, n, nil, "show", "wgk-several", f)
		}
	})
	t.Run("global", func(t *testing.T) {
		var names []string
		for _, c := range configs {
			names = append(names, c.name)
		}
		if r := same(t, e, n, nil, "show", "interfaces"); r.stdout != strings.Join(names, " ")+"\n" {
			t.Errorf("show interfaces = %q, want %q (ifindex order)", r.stdout, names)
		}
		same(t, e, n, nil)
		for _, f := range fields {
			if f != "endpoints" {
				same(t, e, n, nil, "show", "all", f)
				continue
			}
			// v1.0.20210914 prints the interface name once before an
			// interface's endpoints instead of on each line (fixed in later
			// wireguard-tools; spec wg-cli.md §2.3): build the fixed output
			// from Debian's per-interface output.
			var want strings.Builder
			for _, name := range names {
				for _, line := range strings.SplitAfter(n.must(t, e.debianWG, "show", name, f), "\n") {
					if line != "" {
						want.WriteString(name + "\t" + line)
					}
				}
			}
			got := n.exec(t, wgEnv, e.ourWG, "show", "all", f)
			if got.code != 0 || got.stderr != "" || got.stdout != want.String() {
				t.Errorf("wg show all endpoints: %v\nwant stdout:\n%s", got, want.String())
			}
		}
		same(t, e, n, nil, "show", "nonexistent0")
		same(t, e, n, nil, "showconf", "nonexistent0")
		// A link that is not WireGuard.
		n.must(t, "ip", "link", "add", "dummyk0", "type", "dummy")
		same(t, e, n, nil, "show", "dummyk0")
		same(t, e, n, nil, "showconf", "dummyk0")
	})
}

// TestKernelWgSet applies the same change with each tool to twin kernel
// links configured alike, and compares the messages and the state left.
func TestKernelWgSet(t *testing.T) {
	e := kernelVM(t)
	n := newNetns(t)
	priv, p1, p2, p3, psk := genKey(t), genKey(t), genKey(t), genKey(t), genKey(t)
	P1, P2, P3 := p1.PublicKey().String(), p2.PublicKey().String(), p3.PublicKey().String()
	// The base state, set over generic netlink before every case (fewer
	// process starts: the VM runs them slowly).
	port, mark, keep := 51820, uint32(7), uint16(5)
	ep1, ep2 := netip.MustParseAddrPort("192.0.2.1:1"), netip.MustParseAddrPort("[2001:db8::2]:2")
	base := wgtypes.Config{PrivateKey: &priv, ListenPort: &port, FirewallMark: &mark, ReplacePeers: true, Peers: []wgtypes.PeerConfig{
		{PublicKey: p1.PublicKey(), PresharedKey: &psk, Endpoint: &ep1, PersistentKeepalive: &keep, ReplaceAllowedIPs: true,
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32")}},
		{PublicKey: p2.PublicKey(), Endpoint: &ep2, ReplaceAllowedIPs: true,
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32"), netip.MustParsePrefix("fd00::2/128")}},
	}}
	var nl *wgnl.Client
	var err error
	n.do(func() { nl, err = wgnl.Open() })
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	twins := []string{"wgsd0", "wgso0"} // Debian's, ours
	for _, name := range twins {
		n.must(t, "ip", "link", "add", name, "type", "wireguard")
	}
	keyFile := writeFile(t, "key", genKey(t).String()+"\n")
	pskFile := writeFile(t, "psk", genKey(t).String())
	conf := func(text string, args ...any) string { return writeFile(t, "conf", fmt.Sprintf(text, args...)) }
	sameFile := conf("[Interface]\nPrivateKey = %s\nListenPort = 51820\nFwMark = 7\n"+
		"[Peer]\nPublicKey = %s\nPresharedKey = %s\nAllowedIPs = 10.0.0.1/32\nEndpoint = 192.0.2.1:1\nPersistentKeepalive = 5\n", priv, P1, psk)
	changed := conf("[Interface]\nPrivateKey = %s\nListenPort = 0\n"+
		"[Peer]\nPublicKey = %s\nPresharedKey = %s\nAllowedIPs = 10.9.0.0/16, fd09::/48\nPersistentKeepalive = 5\n"+
		"[Peer]\nPublicKey = %s\nEndpoint = [::1]:65535\nAllowedIPs = 10.0.0.3/32\n", genKey(t), P1, psk, P3)
	newOnly := conf("[Peer]\nPublicKey = %s\nAllowedIPs = 10.0.0.1/32\nEndpoint = 198.51.100.3:3\n", P3)
	badLine := conf("[Interface]\nAddress = 10.0.0.1/24\n")
	badKey := conf("[Peer]\nPublicKey = abc\n")
	cases := [][]string{
		{"set", "IFACE", "listen-port", "51999", "fwmark", "0x10", "private-key", keyFile},
		{"set", "IFACE", "listen-port", "0", "fwmark", "off", "private-key", "/dev/null"},
		{"set", "IFACE", "peer", P1, "remove"},
		{"set", "IFACE", "peer", P2, "allowed-ips", "10.9.0.0/16,fd09::/48", "endpoint", "[2001:db8::9]:9",
			"persistent-keepalive", "off", "preshared-key", pskFile},
		{"set", "IFACE", "peer", P1, "allowed-ips", "", "preshared-key", "/dev/null", "persistent-keepalive", "0"},
		{"set", "IFACE", "peer", P3, "allowed-ips", "10.0.0.1/32,10.0.0.0/8", "endpoint", "198.51.100.7:51820", "persistent-keepalive", "65535"},
		{"set", "IFACE", "peer", P3, "allowed-ips", "10.21.0.9/24,::1.2.3.4"},
		{"set", "IFACE", "peer", P3, "endpoint", "1.2.3.4"},
		{"set", "IFACE", "fwmark", "0x100000000"},
		{"set", "nonexistent0", "listen-port", "1"},
		{"setconf", "IFACE", changed},
		{"setconf", "IFACE", badLine},
		{"addconf", "IFACE", changed},
		{"addconf", "IFACE", badKey},
		// Debian's older syncconf keeps a preshared key or keepalive that
		// the file drops (wg-cli.md §5): these files keep both as they are.
		{"syncconf", "IFACE", sameFile},
		{"syncconf", "IFACE", changed},
		{"syncconf", "IFACE", newOnly},
	}
	for i, args := range cases {
		t.Run(fmt.Sprintf("%d_%s", i, args[0]), func(t *testing.T) {
			var outs []result
			var states []*wgtypes.Device
			for i, tool := range []string{e.debianWG, e.ourWG} {
				iface := twins[i]
				if err := nl.Set(iface, base); err != nil {
					t.Fatal(err)
				}
				a := make([]string, len(args))
				for i, s := range args {
					a[i] = strings.ReplaceAll(s, "IFACE", iface)
				}
				r := n.exec(t, wgEnv, tool, a...)
				r.stderr = strings.ReplaceAll(r.stderr, iface, "IFACE")
				outs = append(outs, r)
				d, err := nl.Get(iface)
				if err != nil {
					t.Fatal(err)
				}
				d.Name = ""
				states = append(states, d)
			}
			if outs[0] != outs[1] {
				t.Errorf("wg %s: output differs (-debian +ours):\n%s", strings.Join(args, " "), cmp.Diff(outs[0].String(), outs[1].String()))
			}
			if diff := cmp.Diff(states[0], states[1], stateOpts...); diff != "" {
				t.Errorf("wg %s: state differs (-debian +ours):\n%s", strings.Join(args, " "), diff)
			}
		})
	}
}

var stateOpts = []cmp.Option{
	cmpopts.EquateComparable(netip.Addr{}, netip.AddrPort{}, netip.Prefix{}),
	cmpopts.EquateEmpty(),
}
