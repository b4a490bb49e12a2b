package e2e_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// manyPeers builds a configuration of n peers with perPeer allowed IPs
// each (half IPv4, half IPv6, assorted prefix lengths, all distinct), every
// other peer with a preshared key, every third with a keepalive, and
// endpoints of both families. It is deterministic for a seed.
func manyPeers(t testing.TB, seed uint64, n, perPeer int) []wgtypes.PeerConfig {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	seen := map[netip.Prefix]bool{}
	peers := make([]wgtypes.PeerConfig, n)
	for i := range peers {
		priv := mustKey(t)
		pc := wgtypes.PeerConfig{PublicKey: priv.PublicKey(), ReplaceAllowedIPs: true}
		if i%2 == 0 {
			psk := mustKey(t)
			pc.PresharedKey = &psk
		}
		if i%3 == 0 {
			pc.PersistentKeepalive = ptr(uint16(1 + r.IntN(600)))
		}
		var ep netip.AddrPort
		if i%4 == 1 {
			var a [16]byte
			a[0], a[1] = 0x20, 0x01
			for j := 2; j < 16; j++ {
				a[j] = byte(r.Uint32())
			}
			ep = netip.AddrPortFrom(netip.AddrFrom16(a), uint16(1+r.IntN(65535)))
		} else {
			ep = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(r.Uint32()), byte(r.Uint32()), byte(1 + r.IntN(254))}), uint16(1+r.IntN(65535)))
		}
		pc.Endpoint = &ep
		for len(pc.AllowedIPs) < perPeer {
			var p netip.Prefix
			if len(pc.AllowedIPs)%2 == 0 {
				var a [4]byte
				for j := range a {
					a[j] = byte(r.Uint32())
				}
				p = netip.PrefixFrom(netip.AddrFrom4(a), 8+r.IntN(25)).Masked()
			} else {
				var a [16]byte
				a[0] = 0xfd
				for j := 1; j < 16; j++ {
					a[j] = byte(r.Uint32())
				}
				p = netip.PrefixFrom(netip.AddrFrom16(a), 16+r.IntN(113)).Masked()
			}
			if !seen[p] {
				seen[p] = true
				pc.AllowedIPs = append(pc.AllowedIPs, p)
			}
		}
		peers[i] = pc
	}
	return peers
}

// state is the part of a device's configuration that set controls, in a
// canonical form: device line first, then one line per peer sorted by
// public key, allowed IPs sorted. Counters and handshake times are included
// so that a configuration-only test also notices traffic it did not expect.
func state(d *wgtypes.Device) []string {
	lines := []string{fmt.Sprintf("private=%s port=%d fwmark=%d", d.PrivateKey, d.ListenPort, d.FirewallMark)}
	for _, p := range d.Peers {
		aips := make([]string, len(p.AllowedIPs))
		for i, a := range p.AllowedIPs {
			aips[i] = a.String()
		}
		slices.Sort(aips)
		lines = append(lines, fmt.Sprintf("peer=%s psk=%s endpoint=%v keepalive=%d handshake=%d rx=%d tx=%d allowed=%s",
			p.PublicKey, p.PresharedKey, p.Endpoint, p.PersistentKeepalive,
			unixOrZero(p.LastHandshakeTime), p.ReceiveBytes, p.TransmitBytes, strings.Join(aips, ",")))
	}
	slices.Sort(lines[1:])
	return lines
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// expectState is the device that results from applying cfg to prev (nil:
// an empty device), for a device that is down (so no traffic and no
// handshakes).
func expectState(cfg wgtypes.Config, prev *wgtypes.Device) *wgtypes.Device {
	d := &wgtypes.Device{}
	if prev != nil {
		d.PrivateKey, d.ListenPort, d.FirewallMark = prev.PrivateKey, prev.ListenPort, prev.FirewallMark
	}
	if cfg.PrivateKey != nil {
		d.PrivateKey = *cfg.PrivateKey
	}
	if cfg.ListenPort != nil {
		d.ListenPort = *cfg.ListenPort
	}
	if cfg.FirewallMark != nil {
		d.FirewallMark = *cfg.FirewallMark
	}
	peers := map[wgtypes.Key]wgtypes.Peer{}
	if !cfg.ReplacePeers && prev != nil {
		for _, p := range prev.Peers {
			peers[p.PublicKey] = p
		}
	}
	for _, pc := range cfg.Peers {
		if pc.Remove {
			delete(peers, pc.PublicKey)
			continue
		}
		p := peers[pc.PublicKey]
		p.PublicKey = pc.PublicKey
		if pc.PresharedKey != nil {
			p.PresharedKey = *pc.PresharedKey
		}
		if pc.Endpoint != nil {
			p.Endpoint = *pc.Endpoint
		}
		if pc.PersistentKeepalive != nil {
			p.PersistentKeepalive = *pc.PersistentKeepalive
		}
		if pc.ReplaceAllowedIPs {
			p.AllowedIPs = nil
		}
		p.AllowedIPs = slices.Clone(p.AllowedIPs)
		for _, a := range pc.AllowedIPs {
			// An identical prefix moves from its previous owner.
			for k, o := range peers {
				if k != pc.PublicKey && slices.Contains(o.AllowedIPs, a) {
					o.AllowedIPs = slices.DeleteFunc(slices.Clone(o.AllowedIPs), func(x netip.Prefix) bool { return x == a })
					peers[k] = o
				}
			}
			if !slices.Contains(p.AllowedIPs, a) {
				p.AllowedIPs = append(p.AllowedIPs, a)
			}
		}
		peers[pc.PublicKey] = p
	}
	for _, p := range peers {
		d.Peers = append(d.Peers, p)
	}
	return d
}

// diffLines reports the first differences between two line lists.
func diffLines(t testing.TB, what string, want, got []string) {
	t.Helper()
	if slices.Equal(want, got) {
		return
	}
	wantSet := map[string]bool{}
	for _, l := range want {
		wantSet[l] = true
	}
	gotSet := map[string]bool{}
	for _, l := range got {
		gotSet[l] = true
	}
	var msgs []string
	for _, l := range want {
		if !gotSet[l] && len(msgs) < 6 {
			msgs = append(msgs, "- "+clipLong(l))
		}
	}
	for _, l := range got {
		if !wantSet[l] && len(msgs) < 12 {
			msgs = append(msgs, "+ "+clipLong(l))
		}
	}
	t.Errorf("%s: %d lines, want %d; first differences (-want +got):\n%s", what, len(got), len(want), strings.Join(msgs, "\n"))
}

// dumpLines is what Debian's "wg show IFACE dump" must print for d (a device
// without traffic), with each peer's allowed IPs sorted, peers sorted.
func dumpLines(d *wgtypes.Device) []string {
	opt := func(s string, ok bool) string {
		if ok {
			return s
		}
		return "(none)"
	}
	fwmark := "off"
	if d.FirewallMark != 0 {
		fwmark = "0x" + strconv.FormatUint(uint64(d.FirewallMark), 16)
	}
	lines := []string{strings.Join([]string{d.PrivateKey.String(), d.PrivateKey.PublicKey().String(), strconv.Itoa(d.ListenPort), fwmark}, "\t")}
	for _, p := range d.Peers {
		aips := make([]string, len(p.AllowedIPs))
		for i, a := range p.AllowedIPs {
			aips[i] = a.String()
		}
		slices.Sort(aips)
		ka := "off"
		if p.PersistentKeepalive != 0 {
			ka = strconv.Itoa(int(p.PersistentKeepalive))
		}
		lines = append(lines, strings.Join([]string{
			p.PublicKey.String(),
			opt(p.PresharedKey.String(), !p.PresharedKey.IsZero()),
			opt(p.Endpoint.String(), p.Endpoint.IsValid()),
			opt(strings.Join(aips, ","), len(aips) > 0),
			"0", "0", "0", ka,
		}, "\t"))
	}
	slices.Sort(lines[1:])
	return lines
}

// sortedDump normalises wg show dump output like dumpLines.
func sortedDump(lines []string) []string {
	out := slices.Clone(lines)
	for i := 1; i < len(out); i++ {
		f := strings.Split(out[i], "\t")
		if len(f) == 8 {
			aips := strings.Split(f[3], ",")
			slices.Sort(aips)
			f[3] = strings.Join(aips, ",")
			out[i] = strings.Join(f, "\t")
		}
	}
	slices.Sort(out[1:])
	return out
}

// TestManyPeers sets 1000 peers with 20 allowed IPs each (20k prefixes) in
// one UAPI request, reads them back through the UAPI client and through
// Debian's wg show dump, then updates a tenth of them (removals, replaced
// allowed IPs, changed keys) and checks again.
func TestManyPeers(t *testing.T) {
	requireEnv(t)
	for i, impl := range []string{wgshim, wggo} {
		t.Run(impl, func(t *testing.T) {
			nm := newNames()
			ns := newNetns(t, nm.ns("m"))
			d := startDaemon(t, impl, ns, nm.iface("m"))
			priv := mustKey(t)
			cfg := wgtypes.Config{
				PrivateKey:   &priv,
				ListenPort:   ptr(51820),
				FirewallMark: ptr[uint32](0x1234),
				ReplacePeers: true,
				Peers:        manyPeers(t, uint64(i+1), 1000, 20),
			}
			start := time.Now()
			d.set(t, cfg)
			setTime := time.Since(start)
			start = time.Now()
			got := d.get(t)
			getTime := time.Since(start)
			want := expectState(cfg, nil)
			diffLines(t, "uapi get after 1000 peers", state(want), state(got))
			diffLines(t, "wg show dump after 1000 peers", dumpLines(want), sortedDump(d.dump(t)))
			t.Logf("%s: set 1000 peers / 20000 allowed ips in %v, get in %v", impl, setTime.Round(time.Millisecond), getTime.Round(time.Millisecond))

			// Update: remove 50 peers, replace the allowed IPs of 50,
			// change the psk/keepalive/endpoint of 50, and add 50 new ones.
			fresh := manyPeers(t, uint64(i+100), 100, 20)
			var upd wgtypes.Config
			for j := 0; j < 50; j++ {
				upd.Peers = append(upd.Peers, wgtypes.PeerConfig{PublicKey: cfg.Peers[j].PublicKey, Remove: true})
			}
			for j := 50; j < 100; j++ {
				aips := fresh[j].AllowedIPs
				if j < 60 { // take a prefix away from another peer
					aips = append(slices.Clone(aips), cfg.Peers[500+j].AllowedIPs[0])
				}
				upd.Peers = append(upd.Peers, wgtypes.PeerConfig{
					PublicKey: cfg.Peers[j].PublicKey, UpdateOnly: true,
					ReplaceAllowedIPs: true, AllowedIPs: aips,
				})
			}
			for j := 100; j < 150; j++ {
				ep := netip.MustParseAddrPort(fmt.Sprintf("[fd99::%x]:%d", j, 1000+j))
				upd.Peers = append(upd.Peers, wgtypes.PeerConfig{
					PublicKey: cfg.Peers[j].PublicKey, PresharedKey: &wgtypes.Key{},
					PersistentKeepalive: ptr[uint16](0), Endpoint: &ep,
				})
			}
			upd.Peers = append(upd.Peers, fresh[:50]...)
			d.set(t, upd)
			want = expectState(upd, want)
			got = d.get(t)
			if len(got.Peers) != 1000 {
				t.Errorf("after update: %d peers, want 1000", len(got.Peers))
			}
			for j := 550; j < 560; j++ {
				for _, p := range got.Peers {
					if p.PublicKey == cfg.Peers[j].PublicKey && slices.Contains(p.AllowedIPs, cfg.Peers[j].AllowedIPs[0]) {
						t.Errorf("peer %d still owns %v after another peer took it", j, cfg.Peers[j].AllowedIPs[0])
					}
				}
			}
			diffLines(t, "uapi get after update", state(want), state(got))
			diffLines(t, "wg show dump after update", dumpLines(want), sortedDump(d.dump(t)))
		})
	}
}

func clipLong(s string) string {
	if len(s) > 400 {
		return s[:400] + "..."
	}
	return s
}

// TestUAPIBadInput sends malformed requests to the UAPI socket: each gets
// its errno reply (negative for set, as wg(8) expects), the daemon stays up,
// and with wgshim the previous configuration is intact (wgshim validates a
// whole request before applying it; wireguard-go applies line by line, so
// only the replies and liveness are checked against it).
func TestUAPIBadInput(t *testing.T) {
	requireEnv(t)
	hexKey := func(k wgtypes.Key) string { return k.Hex() }
	peer1, peer2 := mustKey(t).PublicKey(), mustKey(t).PublicKey()
	long := strings.Repeat("a", 1<<20)
	cases := []struct {
		name      string
		req       string
		halfClose bool
		want      string // the whole reply; "" means the connection closes without one
		wantWGGo  string // wireguard-go's reply where it differs
	}{
		{"invalid hex key", "set=1\nprivate_key=" + strings.Repeat("zz", 32) + "\n\n", false, "errno=-22\n\n", ""},
		{"short key", "set=1\nprivate_key=abcd\n\n", false, "errno=-22\n\n", ""},
		{"unknown device key", "set=1\nlisten_port=5555\nfoo=bar\n\n", false, "errno=-22\n\n", ""},
		{"unknown peer key", "set=1\npublic_key=" + hexKey(peer1) + "\nfoo=bar\n\n", false, "errno=-22\n\n", ""},
		{"allowed_ip before any peer", "set=1\nallowed_ip=10.9.0.0/16\n\n", false, "errno=-22\n\n", ""},
		{"bad endpoint after good lines", "set=1\nlisten_port=5555\npublic_key=" + hexKey(peer1) +
			"\nallowed_ip=10.99.0.0/16\nendpoint=bogus\n\n", false, "errno=-22\n\n", ""},
		{"port out of range", "set=1\nlisten_port=70000\n\n", false, "errno=-22\n\n", ""},
		{"replace_peers not true", "set=1\nreplace_peers=false\n\n", false, "errno=-22\n\n", ""},
		{"prefix length out of range", "set=1\npublic_key=" + hexKey(peer2) + "\nallowed_ip=10.0.0.0/33\n\n", false, "errno=-22\n\n", ""},
		{"line without equals", "set=1\nreplace_peers\n\n", false, "errno=-71\n\n", ""},
		{"truncated request", "set=1\nlisten_port=5556\npublic_key=" + hexKey(peer1) + "\nallowed_ip=10.9.", true, "errno=-22\n\n", ""},
		{"truncated key", "set=1\nreplace_peers=true\npublic_key=" + hexKey(peer1)[:40], true, "errno=-22\n\n", ""},
		// wireguard-go's line scanner gives up with EIO.
		{"one megabyte line", "set=1\npublic_key=" + long + "\n\n", false, "errno=-22\n\n", "errno=-5\n\n"},
		{"unknown operation", "hello=1\n\n", false, "", ""},
	}
	for _, impl := range []string{wgshim, wggo} {
		t.Run(impl, func(t *testing.T) {
			nm := newNames()
			ns := newNetns(t, nm.ns("u"))
			d := startDaemon(t, impl, ns, nm.iface("u"))
			priv := mustKey(t)
			ep := netip.MustParseAddrPort("192.0.2.1:51820")
			base := wgtypes.Config{PrivateKey: &priv, ListenPort: ptr(51830), Peers: []wgtypes.PeerConfig{
				{PublicKey: peer1, Endpoint: &ep, AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}},
				{PublicKey: peer2, PersistentKeepalive: ptr[uint16](25), AllowedIPs: []netip.Prefix{netip.MustParsePrefix("fd00:1::/64")}},
			}}
			d.set(t, base)
			want := state(d.get(t))
			for _, c := range cases {
				reply := rawRequest(t, d, c.req, c.halfClose)
				wantReply := c.want
				if impl == wggo && c.wantWGGo != "" {
					wantReply = c.wantWGGo
				}
				if reply != wantReply {
					t.Errorf("%s: reply %q, want %q", c.name, reply, wantReply)
				}
				if d.exited() {
					t.Fatalf("%s: daemon exited: %v", c.name, d.waitErr)
				}
				got := state(d.get(t))
				if impl == wgshim {
					diffLines(t, c.name+": configuration after the bad request", want, got)
				}
				want = got // wireguard-go may have applied a prefix
			}
			// The socket still takes good requests.
			d.set(t, wgtypes.Config{ListenPort: ptr(51831)})
			if got := d.get(t).ListenPort; got != 51831 {
				t.Errorf("listen port after a good set = %d, want 51831", got)
			}
		})
	}
}
