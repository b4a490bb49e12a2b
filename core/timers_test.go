package core

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/wgshim/wgshim/core/conn"
	"github.com/wgshim/wgshim/core/conn/conntest"
	"github.com/wgshim/wgshim/core/wgtypes"
)

// Timer behaviour on virtual time (protocol.md §8 and §15.5). tn.advance
// lets the engines go idle after every timer, so counts are exact when it
// returns.

func (tn *testNet) peerOf(n *node, of *node) *Peer { return n.dev.lookupPeer(of.pub) }

// handshake makes a initiate a session with b and waits until both
// sides use it.
func (tn *testNet) handshake(t testing.TB) {
	t.Helper()
	tn.ping(t, tn.a, tn.b, 0)
}

func TestRetransmitCadenceAndGiveUp(t *testing.T) {
	tn := newTestNet(t, true)
	var times []time.Time
	tn.net.SetFilter(func(from, to netip.AddrPort, p []byte) bool {
		if p[0] == msgInitiation {
			times = append(times, tn.clock.Now()) // only a sends them
		}
		return false // the network is down
	})
	tn.a.tun.Inject(ipv4Packet(tn.a.inner4, tn.b.inner4, 1, 10))
	tn.settle()
	tn.advance(130 * time.Second)
	if len(times) != maxTimerHandshakes+2 {
		t.Fatalf("sent %d initiations, want %d before giving up", len(times), maxTimerHandshakes+2)
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < RekeyTimeout || gap > RekeyTimeout+rekeyJitterMax {
			t.Errorf("retry %d came %v after the previous one", i, gap)
		}
	}
	p := tn.peerOf(tn.a, tn.b)
	p.stagedMu.Lock()
	staged := len(p.staged)
	p.stagedMu.Unlock()
	if staged != 0 {
		t.Errorf("%d packets still staged after giving up", staged)
	}
	// Nothing more goes out until new traffic arrives.
	sent := len(times)
	tn.advance(10 * time.Minute)
	if len(times) != sent {
		t.Fatalf("%d initiations after giving up", len(times)-sent)
	}
	tn.net.SetFilter(nil)
	tn.ping(t, tn.a, tn.b, 2)
}

func TestKeepaliveAfterReceivingData(t *testing.T) {
	tn := newTestNet(t, true)
	tn.handshake(t)
	if c := tn.count("keepalive", tn.b); c != 0 {
		t.Fatalf("b sent %d keepalives before the timeout", c)
	}
	tn.advance(KeepaliveTimeout - time.Millisecond)
	if c := tn.count("keepalive", tn.b); c != 0 {
		t.Fatalf("b sent a keepalive early")
	}
	tn.advance(time.Millisecond)
	if c := tn.count("keepalive", tn.b); c != 1 {
		t.Fatalf("b sent %d keepalives at 10 s, want 1", c)
	}
	// The keepalive is authenticated but not data: a does not answer it.
	tn.advance(time.Minute)
	if c := tn.count("keepalive", tn.a); c != 0 {
		t.Fatalf("a answered a keepalive with %d keepalives", c)
	}
}

func TestNewHandshakeWhenDataGoesUnanswered(t *testing.T) {
	tn := newTestNet(t, true)
	tn.handshake(t)
	tn.dropAll.Store(true)
	tn.a.tun.Inject(ipv4Packet(tn.a.inner4, tn.b.inner4, 1, 10))
	waitFor(t, "data sent", func() bool { return tn.count("4", tn.a) == 2 })
	tn.advance(KeepaliveTimeout + RekeyTimeout - time.Millisecond)
	if c := tn.count("1", tn.a); c != 1 {
		t.Fatalf("new handshake before 15 s (%d initiations)", c)
	}
	tn.advance(rekeyJitterMax + time.Millisecond)
	if c := tn.count("1", tn.a); c != 2 {
		t.Fatalf("%d initiations after 15 s of silence, want 2", c)
	}
}

func TestRekeyAfterTimeByInitiatorOnly(t *testing.T) {
	tn := newTestNet(t, true)
	tn.handshake(t)
	tn.advance(RekeyAfterTime + time.Second)
	// The responder sends on the old session without rekeying.
	tn.ping(t, tn.b, tn.a, 1)
	if c := tn.count("1", tn.b); c != 0 {
		t.Fatalf("responder initiated a rekey")
	}
	// The initiator's next send starts a rekey, and the data still flows.
	tn.ping(t, tn.a, tn.b, 2)
	waitFor(t, "rekey", func() bool { return tn.count("1", tn.a) == 2 })
	waitFor(t, "new session", func() bool {
		return tn.peerOf(tn.a, tn.b).keypairs.Current().created.Equal(tn.clock.Now())
	})
	tn.ping(t, tn.a, tn.b, 3)
	tn.ping(t, tn.b, tn.a, 4)
}

func TestLastMinuteRekeyOnReceive(t *testing.T) {
	tn := newTestNet(t, true)
	tn.handshake(t)
	// Keep a from sending so that only the receive rule can fire.
	tn.advance(RejectAfterTime - KeepaliveTimeout - RekeyTimeout + time.Second)
	before := tn.count("1", tn.a)
	tn.ping(t, tn.b, tn.a, 1)
	waitFor(t, "last-minute rekey", func() bool { return tn.count("1", tn.a) == before+1 })
}

func TestRejectAfterTime(t *testing.T) {
	tn := newTestNet(t, true)
	var lastIndex uint32
	tn.net.SetFilter(func(from, to netip.AddrPort, p []byte) bool {
		tn.mu.Lock()
		tn.counts[fmt.Sprintf("%d@%v", p[0], from.Addr())]++
		if p[0] == msgTransport && from == tn.a.udp && len(p) > keepaliveSize {
			lastIndex = binary.LittleEndian.Uint32(p[4:])
		}
		tn.mu.Unlock()
		return true
	})
	tn.handshake(t)
	oldIndex := lastIndex
	tn.advance(RejectAfterTime)
	if c := tn.count("1", tn.a); c != 1 {
		t.Fatalf("%d initiations without traffic", c)
	}
	tn.ping(t, tn.a, tn.b, 1)
	if c := tn.count("1", tn.a); c != 2 {
		t.Fatalf("sending after 180 s made %d handshakes, want 1", c-1)
	}
	if lastIndex == oldIndex {
		t.Fatal("data was sent on the expired session")
	}
}

func TestZeroKeyMaterialAfterThreeRejectTimes(t *testing.T) {
	tn := newTestNet(t, true)
	tn.handshake(t)
	tn.dropAll.Store(true) // no keepalives or rekeys get through
	p := tn.peerOf(tn.a, tn.b)
	tn.advance(3*RejectAfterTime - time.Second)
	if p.keypairs.Current() == nil {
		t.Fatal("keys wiped early")
	}
	tn.advance(time.Second)
	p.keypairs.mu.RLock()
	defer p.keypairs.mu.RUnlock()
	if p.keypairs.current != nil || p.keypairs.previous != nil || p.keypairs.next != nil {
		t.Fatal("keys not wiped after 540 s")
	}
}

func TestPersistentKeepalive(t *testing.T) {
	tn := newTestNet(t, true)
	ka := uint16(25)
	// Turning it on while up sends a keepalive at once (which handshakes).
	if err := tn.a.dev.Set(wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: tn.b.pub, PersistentKeepalive: &ka}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "handshake", func() bool { return tn.count("1", tn.a) == 1 })
	waitFor(t, "first keepalive", func() bool { return tn.count("keepalive", tn.a) == 1 })
	for i := 2; i <= 5; i++ {
		tn.advance(25 * time.Second)
		waitFor(t, "next keepalive", func() bool { return tn.count("keepalive", tn.a) >= i })
	}
	if c := tn.count("keepalive", tn.a); c != 5 {
		t.Fatalf("%d keepalives in 100 s, want 5", c)
	}
}

func TestLongTransferAcrossRekeys(t *testing.T) {
	tn := newTestNet(t, true)
	tn.handshake(t)
	var seq uint32
	for step := 0; step < 12*60; step++ {
		tn.advance(time.Second)
		seq++
		tn.ping(t, tn.a, tn.b, seq)
		seq++
		tn.ping(t, tn.b, tn.a, seq)
	}
	// 12 minutes with traffic both ways: a rekey every two minutes or so.
	if hs := tn.count("1", tn.a) + tn.count("1", tn.b); hs < 5 {
		t.Fatalf("only %d handshakes in 12 minutes", hs)
	}
}

func TestCookieReplyUnderLoad(t *testing.T) {
	tn := newTestNet(t, true)
	tn.b.dev.forceUnderLoad.Store(true)
	tn.a.tun.Inject(ipv4Packet(tn.a.inner4, tn.b.inner4, 1, 10))
	waitFor(t, "cookie reply", func() bool { return tn.count("3", tn.b) == 1 })
	if c := tn.count("2", tn.b); c != 0 {
		t.Fatal("b responded without a cookie while under load")
	}
	// a must not resend at once; its retry carries mac2 and succeeds.
	tn.advance(RekeyTimeout + rekeyJitterMax)
	expectPacket(t, tn.b, ipv4Packet(tn.a.inner4, tn.b.inner4, 1, 10))
	if c := tn.count("3", tn.b); c != 1 {
		t.Fatalf("%d cookie replies, want 1", c)
	}
}

// attacker is a raw sender on the test network.
func (tn *testNet) attacker(t testing.TB) *conntest.Bind {
	t.Helper()
	atk := tn.net.NewBind(netip.MustParseAddr("203.0.113.66"))
	if _, _, err := atk.Open(0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { atk.Close() })
	return atk
}

func send(t testing.TB, b conn.Bind, to netip.AddrPort, msg []byte) {
	t.Helper()
	if err := b.Send([][]byte{msg}, 0, conntest.Endpoint(to)); err != nil {
		t.Fatal(err)
	}
}

func TestReplayedInitiationIsRefused(t *testing.T) {
	tn := newTestNet(t, true)
	var captured []byte
	tn.net.SetFilter(func(from, to netip.AddrPort, p []byte) bool {
		if p[0] == msgInitiation && captured == nil {
			captured = append([]byte(nil), p...)
		}
		tn.mu.Lock()
		if p[0] == msgResponse {
			tn.counts["2@"+from.Addr().String()]++
		}
		tn.mu.Unlock()
		return true
	})
	tn.handshake(t)
	atk := tn.attacker(t)
	tn.advance(time.Second)
	send(t, atk, tn.b.udp, captured)
	time.Sleep(50 * time.Millisecond)
	if c := tn.count("2", tn.b); c != 1 {
		t.Fatalf("b answered a replayed initiation (%d responses)", c)
	}
	// And the session is undisturbed.
	tn.ping(t, tn.a, tn.b, 1)
	tn.ping(t, tn.b, tn.a, 2)
}

func TestInitiationFloodIsRefused(t *testing.T) {
	tn := newTestNet(t, true)
	pa := tn.peerOf(tn.a, tn.b)
	var m1, m2 [initiationSize]byte
	if err := tn.a.dev.createInitiation(pa, &m1); err != nil {
		t.Fatal(err)
	}
	tn.advance(17 * time.Millisecond) // a newer TAI64N, but < 20 ms
	if err := tn.a.dev.createInitiation(pa, &m2); err != nil {
		t.Fatal(err)
	}
	now := tn.clock.Now()
	if tn.b.dev.consumeInitiation(m1[:], now) == nil {
		t.Fatal("first initiation refused")
	}
	if tn.b.dev.consumeInitiation(m2[:], now.Add(10*time.Millisecond)) != nil {
		t.Fatal("second initiation within 20 ms accepted")
	}
	if tn.b.dev.consumeInitiation(m2[:], now.Add(20*time.Millisecond)) == nil {
		t.Fatal("newer initiation 20 ms later refused")
	}
	if tn.b.dev.consumeInitiation(m1[:], now.Add(time.Second)) != nil {
		t.Fatal("older initiation accepted after a newer one")
	}
}

// A completed handshake leaves no retransmission behind, even when the
// response is handled before the goroutine that sent the initiation has
// finished sending it (which happened under load before the timer was
// armed ahead of the send).
func TestNoRetransmitAfterHandshake(t *testing.T) {
	for range 20 {
		tn := newTestNet(t, true)
		tn.handshake(t)
		tn.settle()
		if tn.peerOf(tn.a, tn.b).timers.retransmitHandshake.isPending() {
			t.Fatal("retransmit timer still armed after the handshake completed")
		}
		tn.advance(RekeyTimeout + rekeyJitterMax)
		if c := tn.count("1", tn.a); c != 1 {
			t.Fatalf("%d initiations for one handshake", c)
		}
		tn.a.dev.Close()
		tn.b.dev.Close()
	}
}
