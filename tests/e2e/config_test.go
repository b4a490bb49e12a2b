package e2e_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// TestAllowedIPsSource checks cryptokey routing on receive: a hub (wgshim)
// with two spokes drops a packet whose inner source is outside the sending
// peer's allowed IPs, whether the source belongs to nobody (10.0.0.99) or to
// the other spoke (10.0.0.3). The packet arrives and decrypts (the peer's
// rx_bytes grow) but never reaches the hub's TUN (rx_packets stand still),
// and nothing reaches the spoke the source belongs to (its TUN rx_packets
// stand still: counting the hub's bytes to it instead would also count a
// handshake response to a retry, which wireguard-go can send 5 s after a
// completed handshake when the response beats its retry timer).
//
//	spoke B 10.0.0.2 -- 192.168.1.0/24 -- hub H 10.0.0.1 -- 192.168.2.0/24 -- spoke C 10.0.0.3
func TestAllowedIPsSource(t *testing.T) {
	requireEnv(t)
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			nm := newNames()
			nsH, nsB, nsC := newNetns(t, nm.ns("h")), newNetns(t, nm.ns("b")), newNetns(t, nm.ns("c"))
			type spoke struct {
				ns, veth, hubVeth string
				subnet            int
				inner             netip.Addr
				port              int
				d                 *daemon
				priv              wgtypes.Key
			}
			spokes := []*spoke{
				{ns: nsB, veth: nm.veth("b"), hubVeth: nm.veth("hb"), subnet: 1, inner: netip.MustParseAddr("10.0.0.2"), port: 51821},
				{ns: nsC, veth: nm.veth("c"), hubVeth: nm.veth("hc"), subnet: 2, inner: netip.MustParseAddr("10.0.0.3"), port: 51822},
			}
			hub := startDaemon(t, v.a, nsH, nm.iface("h"))
			hubPriv, hubPort := mustKey(t), 51820
			hubInner := netip.MustParseAddr("10.0.0.1")
			var hubPeers []wgtypes.PeerConfig
			for i, s := range spokes {
				run(t, "ip", "link", "add", s.hubVeth, "netns", nsH, "type", "veth", "peer", "name", s.veth, "netns", s.ns)
				hubOuter := netip.AddrFrom4([4]byte{192, 168, byte(s.subnet), 1})
				outer := netip.AddrFrom4([4]byte{192, 168, byte(s.subnet), 2})
				run(t, "ip", "-n", nsH, "addr", "add", hubOuter.String()+"/24", "dev", s.hubVeth)
				run(t, "ip", "-n", s.ns, "addr", "add", outer.String()+"/24", "dev", s.veth)
				run(t, "ip", "-n", nsH, "link", "set", s.hubVeth, "up")
				run(t, "ip", "-n", s.ns, "link", "set", s.veth, "up")
				s.d = startDaemon(t, v.b, s.ns, nm.iface(string(rune('b'+i))))
				s.priv = mustKey(t)
				hubEP := netip.AddrPortFrom(hubOuter, uint16(hubPort))
				s.d.set(t, wgtypes.Config{PrivateKey: &s.priv, ListenPort: &s.port, Peers: []wgtypes.PeerConfig{{
					PublicKey:  hubPriv.PublicKey(),
					Endpoint:   &hubEP,
					AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")},
				}}})
				ep := netip.AddrPortFrom(outer, uint16(s.port))
				hubPeers = append(hubPeers, wgtypes.PeerConfig{
					PublicKey:  s.priv.PublicKey(),
					Endpoint:   &ep,
					AllowedIPs: []netip.Prefix{netip.PrefixFrom(s.inner, 32)},
				})
				run(t, "ip", "-n", s.ns, "addr", "add", s.inner.String()+"/24", "dev", s.d.iface)
				run(t, "ip", "-n", s.ns, "link", "set", s.d.iface, "up")
			}
			hub.set(t, wgtypes.Config{PrivateKey: &hubPriv, ListenPort: &hubPort, Peers: hubPeers})
			run(t, "ip", "-n", nsH, "addr", "add", hubInner.String()+"/24", "dev", hub.iface)
			run(t, "ip", "-n", nsH, "link", "set", hub.iface, "up")
			waitListening(t, nsH, hubPort)
			for _, s := range spokes {
				waitListening(t, s.ns, s.port)
			}

			b, c := spokes[0], spokes[1]
			ping(t, b.ns, hubInner)
			ping(t, c.ns, hubInner)
			// Spoofed sources on B: one nobody owns, one that is C's.
			run(t, "ip", "-n", b.ns, "addr", "add", "10.0.0.99/32", "dev", b.d.iface)
			run(t, "ip", "-n", b.ns, "addr", "add", "10.0.0.3/32", "dev", b.d.iface)

			tunRx0 := sysfsCounter(t, nsH, hub.iface, "rx_packets")
			bRx0 := hub.peer(t, b.priv.PublicKey()).ReceiveBytes
			cRx0 := sysfsCounter(t, c.ns, c.d.iface, "rx_packets")
			pingFails(t, b.ns, hubInner, 3, "-I", "10.0.0.99")
			pingFails(t, b.ns, hubInner, 3, "-I", "10.0.0.3")
			if d := sysfsCounter(t, nsH, hub.iface, "rx_packets") - tunRx0; d != 0 {
				t.Errorf("hub TUN rx_packets grew by %d while B sent from foreign sources, want 0", d)
			}
			// Six echo requests of 84 bytes each reached the hub.
			if d := hub.peer(t, b.priv.PublicKey()).ReceiveBytes - bRx0; d < 6*84 {
				t.Errorf("hub rx_bytes from B grew by %d, want at least %d (the spoofed packets must arrive to be dropped)", d, 6*84)
			}
			if d := sysfsCounter(t, c.ns, c.d.iface, "rx_packets") - cRx0; d != 0 {
				t.Errorf("C's TUN rx_packets grew by %d while B spoofed C's address, want 0", d)
			}

			// The right source still works, and does reach the TUN.
			ping(t, b.ns, hubInner, "-I", "10.0.0.2")
			if d := sysfsCounter(t, nsH, hub.iface, "rx_packets") - tunRx0; d < 3 {
				t.Errorf("hub TUN rx_packets grew by %d after 3 genuine pings, want at least 3", d)
			}
		})
	}
}

// TestPeerRemoveReadd removes b from a (traffic stops, the peer is gone from
// get and wg show) and adds it back (traffic resumes).
func TestPeerRemoveReadd(t *testing.T) {
	requireEnv(t)
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			p := newPair(t, v.a, v.b, false)
			ping(t, p.a.ns, p.b.inner4)
			p.a.set(t, wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: p.b.pub, Remove: true}}})
			if n := len(p.a.get(t).Peers); n != 0 {
				t.Fatalf("after remove: %d peers, want 0", n)
			}
			if lines := p.a.dump(t); len(lines) != 1 {
				t.Errorf("after remove: wg show dump has %d lines, want 1 (no peers): %q", len(lines), lines)
			}
			pingFails(t, p.a.ns, p.b.inner4, 2)
			pingFails(t, p.b.ns, p.a.inner4, 2)

			p.a.set(t, wgtypes.Config{Peers: []wgtypes.PeerConfig{p.b.peerConfig(false)}})
			pingWithin(t, p.a.ns, p.b.inner4, 10*time.Second)
			ping(t, p.b.ns, p.a.inner6)
			peer := p.a.peer(t, p.b.pub)
			if peer.LastHandshakeTime.IsZero() {
				t.Error("re-added peer: no handshake recorded")
			}
			if got := prefixesString(peer.AllowedIPs); got != "10.0.0.2/32,fd00::2/128" {
				t.Errorf("re-added peer allowed ips = %s, want 10.0.0.2/32,fd00::2/128", got)
			}
		})
	}
}

// TestPresharedKey: a matching preshared key on both ends works; with
// mismatching keys no handshake completes and nothing gets through; fixing
// one end's key lets the next handshake succeed.
func TestPresharedKey(t *testing.T) {
	requireEnv(t)
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			p := newPair(t, v.a, v.b, false)
			psk1, psk2 := mustKey(t), mustKey(t)
			setPSK := func(n, other *node, psk wgtypes.Key) {
				n.set(t, wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: other.pub, UpdateOnly: true, PresharedKey: &psk}}})
			}
			setPSK(p.a, p.b, psk1)
			setPSK(p.b, p.a, psk1)
			ping(t, p.a.ns, p.b.inner4)
			ping(t, p.b.ns, p.a.inner6)
			for _, n := range []*node{p.a, p.b} {
				if f := strings.Split(n.dump(t)[1], "\t"); f[1] != psk1.String() {
					t.Errorf("%s: wg show dump preshared-key = %s, want the one set", n.iface, f[1])
				}
			}

			// Start over (no session) with different keys on each end.
			for _, x := range []struct {
				n, other *node
				psk      wgtypes.Key
			}{{p.a, p.b, psk1}, {p.b, p.a, psk2}} {
				pc := x.other.peerConfig(false)
				pc.PresharedKey = &x.psk
				x.n.set(t, wgtypes.Config{ReplacePeers: true, Peers: []wgtypes.PeerConfig{pc}})
			}
			pingFails(t, p.a.ns, p.b.inner4, 3)
			if h := p.a.peer(t, p.b.pub).LastHandshakeTime; !h.IsZero() {
				t.Errorf("mismatched psk: a recorded a handshake at %v", h)
			}
			if h := p.b.peer(t, p.a.pub).LastHandshakeTime; !h.IsZero() {
				t.Errorf("mismatched psk: b recorded a handshake at %v", h)
			}

			setPSK(p.b, p.a, psk1)
			pingWithin(t, p.a.ns, p.b.inner4, 15*time.Second)
			if p.a.peer(t, p.b.pub).LastHandshakeTime.IsZero() {
				t.Error("matching psk again: no handshake recorded on a")
			}
		})
	}
}

// TestPrivateKeyChange changes b's private key: a, still knowing b's old
// public key, cannot reach b; after a is reconfigured with b's new public
// key, traffic recovers.
func TestPrivateKeyChange(t *testing.T) {
	requireEnv(t)
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			p := newPair(t, v.a, v.b, false)
			ping(t, p.a.ns, p.b.inner4)
			old := p.b.pub
			p.b.priv = mustKey(t)
			p.b.pub = p.b.priv.PublicKey()
			p.b.set(t, wgtypes.Config{PrivateKey: &p.b.priv})
			if f := strings.Split(p.b.dump(t)[0], "\t"); f[1] != p.b.pub.String() {
				t.Errorf("b: wg show dump public key = %s, want %s", f[1], p.b.pub)
			}
			pingFails(t, p.a.ns, p.b.inner4, 3)
			pingFails(t, p.b.ns, p.a.inner4, 2)

			p.a.set(t, wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: old, Remove: true}, p.b.peerConfig(false)}})
			pingWithin(t, p.a.ns, p.b.inner4, 15*time.Second)
			ping(t, p.b.ns, p.a.inner6)
			if got := p.a.get(t).Peers; len(got) != 1 || got[0].PublicKey != p.b.pub || got[0].LastHandshakeTime.IsZero() {
				t.Errorf("a: peers after reconfiguring = %+v, want only b's new key with a handshake", got)
			}
		})
	}
}

// TestListenPortChange moves a to another UDP port: the old port is closed,
// traffic continues, and b learns a's new endpoint from authenticated
// packets (roaming).
func TestListenPortChange(t *testing.T) {
	requireEnv(t)
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			p := newPair(t, v.a, v.b, false)
			ping(t, p.a.ns, p.b.inner4)
			p.a.set(t, wgtypes.Config{ListenPort: ptr(51900)})
			if got := p.a.get(t).ListenPort; got != 51900 {
				t.Errorf("a: listen port = %d, want 51900", got)
			}
			if f := strings.Split(p.a.dump(t)[0], "\t"); f[2] != "51900" {
				t.Errorf("a: wg show dump listen-port = %s, want 51900", f[2])
			}
			socks := nsRun(t, p.a.ns, "ss", "-Hunl")
			if !strings.Contains(socks, ":51900 ") || strings.Contains(socks, ":51820 ") {
				t.Errorf("a: udp sockets should be on 51900 only:\n%s", socks)
			}
			ping(t, p.a.ns, p.b.inner4)
			if got := p.b.dumpEndpoint(t, p.a.pub); got != "192.168.241.1:51900" {
				t.Errorf("b: endpoint of a = %s, want 192.168.241.1:51900", got)
			}
			ping(t, p.b.ns, p.a.inner4)
			ping(t, p.b.ns, p.a.inner6)
		})
	}
}

func prefixesString(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}
