package core

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wgshim/wgshim/core/clock"
	"github.com/wgshim/wgshim/core/clock/clocktest"
	"github.com/wgshim/wgshim/core/conn/conntest"
	"github.com/wgshim/wgshim/core/tun/tuntest"
	"github.com/wgshim/wgshim/core/wgtypes"
)

// Engine-to-engine tests: two devices joined by an in-memory network.
//
//	  a: tunnel 10.0.0.1, fd00::1          b: tunnel 10.0.0.2, fd00::2
//	  [tuntest] -- Device -- 192.0.2.1:51820 ~~ 192.0.2.2:51821 -- Device -- [tuntest]

type node struct {
	dev    *Device
	tun    *tuntest.ChannelTUN
	bind   *conntest.Bind
	priv   wgtypes.Key
	pub    wgtypes.Key
	inner4 netip.Addr
	inner6 netip.Addr
	udp    netip.AddrPort
}

type testNet struct {
	net   *conntest.Network
	clock *clocktest.Fake
	a, b  *node

	mu      sync.Mutex
	counts  map[string]int // "type@from" -> messages seen
	dropAll atomic.Bool
}

func newNode(t testing.TB, tn *testNet, i int, c clock.Clock) *node {
	t.Helper()
	priv, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	n := &node{
		tun:    tuntest.New(1420),
		priv:   priv,
		pub:    priv.PublicKey(),
		inner4: netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}),
		inner6: netip.MustParseAddr(fmt.Sprintf("fd00::%d", i)),
		udp:    netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), uint16(51819+i)),
	}
	n.bind = tn.net.NewBind(n.udp.Addr())
	n.dev = NewDevice(n.tun, n.bind, Options{Clock: c})
	t.Cleanup(func() { n.dev.Close() })
	port := int(n.udp.Port())
	if err := n.dev.Set(wgtypes.Config{PrivateKey: &priv, ListenPort: &port}); err != nil {
		t.Fatal(err)
	}
	return n
}

// newTestNet returns two devices that are each other's peer; c may be nil
// for the real clock.
func newTestNet(t testing.TB, virtual bool) *testNet {
	t.Helper()
	tn := &testNet{net: conntest.NewNetwork(), counts: make(map[string]int)}
	var c clock.Clock = clock.Real
	if virtual {
		tn.clock = clocktest.New(time.Unix(1700000000, 0))
		c = tn.clock
	}
	tn.net.SetFilter(func(from, to netip.AddrPort, payload []byte) bool {
		if len(payload) == 0 {
			return !tn.dropAll.Load()
		}
		tn.mu.Lock()
		kind := fmt.Sprintf("%d", payload[0])
		if payload[0] == msgTransport && len(payload) == keepaliveSize {
			kind = "keepalive"
		}
		tn.counts[kind+"@"+from.Addr().String()]++
		tn.mu.Unlock()
		return !tn.dropAll.Load()
	})
	tn.a, tn.b = newNode(t, tn, 1, c), newNode(t, tn, 2, c)
	peerOf := func(n *node) wgtypes.PeerConfig {
		ep := n.udp
		return wgtypes.PeerConfig{
			PublicKey:  n.pub,
			Endpoint:   &ep,
			AllowedIPs: []netip.Prefix{netip.PrefixFrom(n.inner4, 32), netip.PrefixFrom(n.inner6, 128)},
		}
	}
	if err := tn.a.dev.Set(wgtypes.Config{Peers: []wgtypes.PeerConfig{peerOf(tn.b)}}); err != nil {
		t.Fatal(err)
	}
	if err := tn.b.dev.Set(wgtypes.Config{Peers: []wgtypes.PeerConfig{peerOf(tn.a)}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "devices up", func() bool { return tn.a.dev.IsUp() && tn.b.dev.IsUp() })
	return tn
}

// idle reports whether no packet or work item is anywhere in flight.
func (tn *testNet) idle() bool {
	return tn.net.Outstanding() == 0 &&
		tn.a.tun.Outstanding() == 0 && tn.b.tun.Outstanding() == 0 &&
		tn.a.dev.busy.Load() == 0 && tn.b.dev.busy.Load() == 0
}

// settle waits until the engines and the network are idle. Every hand-off
// is counted before the previous holder lets go, so one idle reading is
// enough.
func (tn *testNet) settle() {
	deadline := time.Now().Add(10 * time.Second)
	for !tn.idle() {
		if time.Now().After(deadline) {
			panic("engines never became idle")
		}
		time.Sleep(20 * time.Microsecond)
	}
}

// advance moves virtual time forward, letting the work of each timer
// finish before the next one fires, as it would in real time.
func (tn *testNet) advance(d time.Duration) {
	tn.settle()
	tn.clock.AdvanceWith(d, tn.settle)
	tn.settle()
}

func (tn *testNet) count(kind string, n *node) int {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	return tn.counts[kind+"@"+n.udp.Addr().String()]
}

// waitFor polls cond in real time: the engine works in goroutines even
// when protocol time is virtual.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// ipv4Packet builds a UDP-in-IPv4 packet with a payload of n bytes
// numbered by seq.
func ipv4Packet(src, dst netip.Addr, seq uint32, n int) []byte {
	p := make([]byte, 28+n)
	p[0] = 0x45
	binary.BigEndian.PutUint16(p[2:], uint16(len(p)))
	p[8] = 64
	p[9] = 17
	s, d := src.As4(), dst.As4()
	copy(p[12:], s[:])
	copy(p[16:], d[:])
	binary.BigEndian.PutUint16(p[24:], uint16(8+n))
	for i := 28; i < len(p); i++ {
		p[i] = byte(i)
	}
	if n >= 4 {
		binary.BigEndian.PutUint32(p[28:], seq)
	}
	return p
}

func ipv6Packet(src, dst netip.Addr, n int) []byte {
	p := make([]byte, 40+8+n)
	p[0] = 0x60
	binary.BigEndian.PutUint16(p[4:], uint16(8+n))
	p[6] = 17
	p[7] = 64
	s, d := src.As16(), dst.As16()
	copy(p[8:], s[:])
	copy(p[24:], d[:])
	for i := 48; i < len(p); i++ {
		p[i] = byte(i * 7)
	}
	return p
}

func expectPacket(t testing.TB, n *node, want []byte) {
	t.Helper()
	select {
	case got := <-n.tun.Outbound:
		if !bytes.Equal(got, want) {
			t.Fatalf("received packet differs:\n got %x\nwant %x", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no packet arrived at %v", n.inner4)
	}
}

func expectNoPacket(t testing.TB, n *node, wait time.Duration) {
	t.Helper()
	select {
	case got := <-n.tun.Outbound:
		t.Fatalf("unexpected packet at %v: %x", n.inner4, got)
	case <-time.After(wait):
	}
}

func (tn *testNet) ping(t testing.TB, from, to *node, seq uint32) {
	t.Helper()
	p := ipv4Packet(from.inner4, to.inner4, seq, 64)
	from.tun.Inject(p)
	expectPacket(t, to, p)
}

func TestPingBothWays(t *testing.T) {
	tn := newTestNet(t, false)
	tn.ping(t, tn.a, tn.b, 1)
	tn.ping(t, tn.b, tn.a, 2)
	p6 := ipv6Packet(tn.b.inner6, tn.a.inner6, 100)
	tn.b.tun.Inject(p6)
	expectPacket(t, tn.a, p6)

	// Let the last packet's counters settle, then compare both sides.
	waitFor(t, "counters to agree", func() bool {
		da, _ := tn.a.dev.Get()
		db, _ := tn.b.dev.Get()
		return da.Peers[0].TransmitBytes == db.Peers[0].ReceiveBytes &&
			db.Peers[0].TransmitBytes == da.Peers[0].ReceiveBytes
	})
	da, _ := tn.a.dev.Get()
	pa := da.Peers[0]
	if pa.LastHandshakeTime.IsZero() {
		t.Error("no last handshake time")
	}
	if pa.Endpoint != tn.b.udp {
		t.Errorf("endpoint %v, want %v", pa.Endpoint, tn.b.udp)
	}
	// a initiated: 148 out, 92 in; its staged ping (92 bytes, padded to 96,
	// plus 32) confirms the session, so no keepalive; b's IPv6 packet is
	// 148 bytes, padded to 160.
	if want := uint64(148 + 128); pa.TransmitBytes != want {
		t.Errorf("a tx = %d, want %d", pa.TransmitBytes, want)
	}
	if want := uint64(92 + 128 + 192); pa.ReceiveBytes != want {
		t.Errorf("a rx = %d, want %d", pa.ReceiveBytes, want)
	}
}

func TestManyPacketsStayInOrder(t *testing.T) {
	tn := newTestNet(t, false)
	tn.ping(t, tn.a, tn.b, 0)
	const total = 20000
	go func() {
		for i := 1; i <= total; i++ {
			tn.a.tun.Inject(ipv4Packet(tn.a.inner4, tn.b.inner4, uint32(i), 1000+i%400))
		}
	}()
	for i := 1; i <= total; i++ {
		select {
		case got := <-tn.b.tun.Outbound:
			if seq := binary.BigEndian.Uint32(got[28:]); seq != uint32(i) {
				t.Fatalf("packet %d arrived as number %d", seq, i)
			}
			if want := ipv4Packet(tn.a.inner4, tn.b.inner4, uint32(i), 1000+i%400); !bytes.Equal(got, want) {
				t.Fatalf("packet %d corrupted", i)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d packets arrived", i-1, total)
		}
	}
}

func TestSourceNotAllowedIsDropped(t *testing.T) {
	tn := newTestNet(t, false)
	tn.ping(t, tn.a, tn.b, 1)
	spoofed := ipv4Packet(netip.MustParseAddr("10.0.0.99"), tn.a.inner4, 2, 32)
	// b routes 10.0.0.1 to a, so the packet is sent; a must refuse it.
	tn.b.tun.Inject(spoofed)
	expectNoPacket(t, tn.a, 200*time.Millisecond)
	if got := tn.a.dev.stats.SourceNotAllowed.Load(); got != 1 {
		t.Fatalf("SourceNotAllowed = %d, want 1", got)
	}
	tn.ping(t, tn.b, tn.a, 3) // the tunnel still works
}

func TestEndpointRoams(t *testing.T) {
	tn := newTestNet(t, false)
	tn.ping(t, tn.a, tn.b, 1)
	moved := netip.MustParseAddr("198.51.100.7")
	if err := tn.b.bind.Move(moved); err != nil {
		t.Fatal(err)
	}
	tn.ping(t, tn.b, tn.a, 2) // authenticated data from the new address
	da, _ := tn.a.dev.Get()
	if want := netip.AddrPortFrom(moved, tn.b.udp.Port()); da.Peers[0].Endpoint != want {
		t.Fatalf("a's endpoint for b = %v, want %v", da.Peers[0].Endpoint, want)
	}
	tn.ping(t, tn.a, tn.b, 3) // and replies follow it
}

func TestPresharedKeyMismatch(t *testing.T) {
	tn := newTestNet(t, true)
	psk, _ := wgtypes.GenerateKey()
	other, _ := wgtypes.GenerateKey()
	tn.a.dev.Set(wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: tn.b.pub, PresharedKey: &psk}}})
	tn.b.dev.Set(wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: tn.a.pub, PresharedKey: &other}}})
	tn.a.tun.Inject(ipv4Packet(tn.a.inner4, tn.b.inner4, 1, 10))
	// b cannot tell: the psk only enters message 2, which a then rejects.
	waitFor(t, "b's response", func() bool { return tn.count("2", tn.b) == 1 })
	expectNoPacket(t, tn.b, 100*time.Millisecond)
	if got := tn.a.dev.stats.InvalidMessage.Load(); got != 1 {
		t.Fatalf("a counted %d invalid messages, want 1 (the response)", got)
	}

	tn.b.dev.Set(wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: tn.a.pub, PresharedKey: &psk}}})
	tn.clock.Advance(RekeyTimeout + rekeyJitterMax) // a retransmits
	expectPacket(t, tn.b, ipv4Packet(tn.a.inner4, tn.b.inner4, 1, 10))
}
