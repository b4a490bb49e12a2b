package core

import (
	"encoding/base64"
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// Malformed and hostile input is dropped and counted, and changes nothing
// (protocol.md §2.5 and §15.4).

// snapshot is the state an attacker must not be able to change.
type snapshot struct {
	dev      *wgtypes.Device
	current  *keypair
	next     *keypair
	hsState  handshakeState
	endpoint netip.AddrPort
}

func takeSnapshot(t *testing.T, n *node, peer *node) snapshot {
	t.Helper()
	d, err := n.dev.Get()
	if err != nil {
		t.Fatal(err)
	}
	p := n.dev.lookupPeer(peer.pub)
	p.keypairs.mu.RLock()
	defer p.keypairs.mu.RUnlock()
	p.handshake.mu.RLock()
	defer p.handshake.mu.RUnlock()
	return snapshot{dev: d, current: p.keypairs.current, next: p.keypairs.next, hsState: p.handshake.state, endpoint: p.getEndpoint().Dst()}
}

func TestMalformedPacketsChangeNothing(t *testing.T) {
	tn := newTestNet(t, true)
	var initiation, response, transport []byte
	tn.net.SetFilter(func(from, to netip.AddrPort, p []byte) bool {
		tn.mu.Lock()
		defer tn.mu.Unlock()
		switch {
		case len(p) == 0:
		case p[0] == msgInitiation && initiation == nil:
			initiation = append([]byte(nil), p...)
		case p[0] == msgResponse && response == nil:
			response = append([]byte(nil), p...)
		case p[0] == msgTransport && from == tn.a.udp && len(p) > keepaliveSize:
			transport = append([]byte(nil), p...)
		}
		return true
	})
	tn.handshake(t)
	tn.settle()
	before := takeSnapshot(t, tn.b, tn.a)
	atk := tn.attacker(t)
	rng := rand.New(rand.NewPCG(1, 2))

	var msgs [][]byte
	// Truncated, oversized and bit-flipped versions of every real message.
	for _, m := range [][]byte{initiation, response, transport} {
		for _, n := range []int{0, 1, 4, 31, 32, len(m) - 1, len(m) + 1} {
			if n <= len(m) {
				msgs = append(msgs, m[:n])
			} else {
				msgs = append(msgs, append(append([]byte(nil), m...), 0))
			}
		}
		for bit := 0; bit < len(m)*8; bit += 7 {
			c := append([]byte(nil), m...)
			c[bit/8] ^= 1 << (bit % 8)
			msgs = append(msgs, c)
		}
	}
	// Garbage of every type and a few lengths, and non-zero reserved bytes.
	for typ := byte(0); typ < 6; typ++ {
		for _, n := range []int{32, 64, 92, 148, 200, 1500} {
			g := make([]byte, n)
			for i := range g {
				g[i] = byte(rng.Uint32())
			}
			g[0], g[1], g[2], g[3] = typ, 0, 0, 0
			msgs = append(msgs, g)
		}
	}
	reserved := append([]byte(nil), transport...)
	reserved[2] = 1
	msgs = append(msgs, reserved)
	// Replays of the transport message and the initiation.
	msgs = append(msgs, transport, initiation)

	invalidBefore := tn.b.dev.stats.InvalidMessage.Load() + tn.b.dev.stats.DecryptFailed.Load() + tn.b.dev.stats.Replayed.Load()
	for _, m := range msgs {
		send(t, atk, tn.b.udp, m)
	}
	tn.settle()
	after := takeSnapshot(t, tn.b, tn.a)
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("state changed:\nbefore %+v\nafter  %+v", before, after)
	}
	dropped := tn.b.dev.stats.InvalidMessage.Load() + tn.b.dev.stats.DecryptFailed.Load() + tn.b.dev.stats.Replayed.Load() - invalidBefore
	// Every message is dropped and counted; a bit flip in the initiation's
	// mac2, unchecked when not under load, still fails the timestamp rule.
	if dropped != uint64(len(msgs)) {
		t.Errorf("counted %d drops for %d hostile messages", dropped, len(msgs))
	}
	select {
	case p := <-tn.b.tun.Outbound:
		t.Fatalf("hostile input reached the TUN: %x", p)
	default:
	}
	tn.ping(t, tn.a, tn.b, 1)
	tn.ping(t, tn.b, tn.a, 2)
}

func TestStaleCounterIsDropped(t *testing.T) {
	tn := newTestNet(t, false)
	var msgs [][]byte
	tn.net.SetFilter(func(from, to netip.AddrPort, p []byte) bool {
		if p[0] == msgTransport && from == tn.a.udp && len(p) > keepaliveSize {
			tn.mu.Lock()
			msgs = append(msgs, append([]byte(nil), p...))
			tn.mu.Unlock()
		}
		return true
	})
	tn.ping(t, tn.a, tn.b, 0)
	for i := uint32(1); i <= 3; i++ {
		tn.ping(t, tn.a, tn.b, i)
	}
	atk := tn.attacker(t)
	tn.mu.Lock()
	old := msgs[1]
	tn.mu.Unlock()
	if c := binary.LittleEndian.Uint64(old[8:]); c != 1 {
		t.Fatalf("captured counter %d, want 1", c)
	}
	send(t, atk, tn.b.udp, old)
	expectNoPacket(t, tn.b, 100*time.Millisecond)
	if r := tn.b.dev.stats.Replayed.Load(); r != 1 {
		t.Fatalf("Replayed = %d, want 1", r)
	}
	// A replay must not move the endpoint to the attacker.
	d, _ := tn.b.dev.Get()
	if d.Peers[0].Endpoint != tn.a.udp {
		t.Fatalf("endpoint moved to %v by a replayed packet", d.Peers[0].Endpoint)
	}
}

// Low-order public keys (from the kernel's tests) configured as peers with
// an endpoint and persistent keepalive must produce no packets at all.
func TestLowOrderPeerKeysSendNothing(t *testing.T) {
	tn := newTestNet(t, true)
	var sent []netip.AddrPort
	tn.net.SetFilter(func(from, to netip.AddrPort, p []byte) bool {
		tn.mu.Lock()
		sent = append(sent, to)
		tn.mu.Unlock()
		return true
	})
	ka := uint16(1)
	var peers []wgtypes.PeerConfig
	for i, s := range []string{
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"4Ot6fDtBuK4WVuP68Z/EatoJjeucMrH9hmIFFl9JuAA=",
		"X5yVvKNQjCSx0LFVnIPvWwREXMRYHI6G2CJO3dCfEVc=",
		"7P///////////////////////////////////////38=",
		"7f///////////////////////////////////////38=",
		"7v///////////////////////////////////////38=",
	} {
		b, _ := base64.StdEncoding.DecodeString(s)
		ep := netip.AddrPortFrom(netip.MustParseAddr("192.0.2.200"), uint16(1000+i))
		peers = append(peers, wgtypes.PeerConfig{
			PublicKey: wgtypes.Key(b), Endpoint: &ep, PersistentKeepalive: &ka,
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.9.0." + string(rune('1'+i)) + "/32")},
		})
	}
	if err := tn.a.dev.Set(wgtypes.Config{Peers: peers}); err != nil {
		t.Fatal(err)
	}
	tn.a.tun.Inject(ipv4Packet(tn.a.inner4, netip.MustParseAddr("10.9.0.1"), 1, 10))
	tn.advance(time.Minute)
	tn.mu.Lock()
	defer tn.mu.Unlock()
	for _, to := range sent {
		if to.Addr() == netip.MustParseAddr("192.0.2.200") {
			t.Fatalf("a packet went to a low-order peer at %v", to)
		}
	}
}
