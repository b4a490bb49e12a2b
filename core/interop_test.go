package core_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	wgconn "golang.zx2c4.com/wireguard/conn"
	wgdevice "golang.zx2c4.com/wireguard/device"
	wgtuntest "golang.zx2c4.com/wireguard/tun/tuntest"

	"github.com/wgshim/wgshim/core"
	"github.com/wgshim/wgshim/core/clock"
	"github.com/wgshim/wgshim/core/clock/clocktest"
	"github.com/wgshim/wgshim/core/conn"
	"github.com/wgshim/wgshim/core/conn/conntest"
	"github.com/wgshim/wgshim/core/tun/tuntest"
	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/internal/testenv"
)

// Interoperability with wireguard-go, an independent implementation, used
// here (in tests only) as the peer on the other end of the tunnel.
//
//	ours: 10.0.0.1                              wireguard-go: 10.0.0.2
//	[tuntest]--core.Device--bind ~~~ bind--wgdevice.Device--[wg tuntest]

// wgBind adapts a conntest.Bind to wireguard-go's conn.Bind.
type wgBind struct{ b *conntest.Bind }

type wgEndpoint netip.AddrPort

func (e wgEndpoint) ClearSrc()           {}
func (e wgEndpoint) SrcToString() string { return "" }
func (e wgEndpoint) DstToString() string { return netip.AddrPort(e).String() }
func (e wgEndpoint) DstToBytes() []byte  { b, _ := netip.AddrPort(e).MarshalBinary(); return b }
func (e wgEndpoint) DstIP() netip.Addr   { return netip.AddrPort(e).Addr() }
func (e wgEndpoint) SrcIP() netip.Addr   { return netip.Addr{} }

func (w wgBind) Open(port uint16) ([]wgconn.ReceiveFunc, uint16, error) {
	fns, actual, err := w.b.Open(port)
	if err != nil {
		return nil, 0, err
	}
	var out []wgconn.ReceiveFunc
	for _, fn := range fns {
		out = append(out, func(packets [][]byte, sizes []int, eps []wgconn.Endpoint) (int, error) {
			ours := make([]conn.Endpoint, len(eps))
			n, err := fn(packets, sizes, ours)
			for i := range n {
				eps[i] = wgEndpoint(ours[i].Dst())
			}
			return n, err
		})
	}
	return out, actual, nil
}
func (w wgBind) Close() error              { return w.b.Close() }
func (w wgBind) SetMark(mark uint32) error { return nil }
func (w wgBind) BatchSize() int            { return 1 }
func (w wgBind) Send(bufs [][]byte, ep wgconn.Endpoint) error {
	return w.b.Send(bufs, 0, conntest.Endpoint(netip.AddrPort(ep.(wgEndpoint))))
}
func (w wgBind) ParseEndpoint(s string) (wgconn.Endpoint, error) {
	ap, err := netip.ParseAddrPort(s)
	return wgEndpoint(ap), err
}

type interop struct {
	ours     *core.Device
	oursTUN  *tuntest.ChannelTUN
	theirs   *wgdevice.Device
	theirTUN *wgtuntest.ChannelTUN
	ourKey   wgtypes.Key
	theirKey wgtypes.Key
	ourAddr  netip.AddrPort
	theirUDP netip.AddrPort
	clock    *clocktest.Fake

	mu     sync.Mutex
	counts map[string]int // message type @ sender
}

var (
	ourInner   = netip.MustParseAddr("10.0.0.1")
	theirInner = netip.MustParseAddr("10.0.0.2")
)

// newInterop connects our engine to wireguard-go. With ourPSK != theirPSK
// the handshake must fail. virtual gives our side a fake clock (theirs
// always runs on real time).
func newInterop(t *testing.T, ourPSK, theirPSK wgtypes.Key, virtual bool) *interop {
	t.Helper()
	it := &interop{counts: make(map[string]int)}
	network := conntest.NewNetwork()
	network.SetFilter(func(from, to netip.AddrPort, p []byte) bool {
		if len(p) > 0 {
			it.mu.Lock()
			it.counts[fmt.Sprintf("%d@%v", p[0], from)]++
			it.mu.Unlock()
		}
		return true
	})
	it.ourAddr = netip.MustParseAddrPort("192.0.2.1:51820")
	it.theirUDP = netip.MustParseAddrPort("192.0.2.2:51821")
	it.ourKey, _ = wgtypes.GeneratePrivateKey()
	it.theirKey, _ = wgtypes.GeneratePrivateKey()

	var c clock.Clock = clock.Real
	if virtual {
		it.clock = clocktest.New(time.Now())
		c = it.clock
	}
	it.oursTUN = tuntest.New(1420)
	it.ours = core.NewDevice(it.oursTUN, network.NewBind(it.ourAddr.Addr()), core.Options{Clock: c})
	t.Cleanup(func() { it.ours.Close() })
	port := int(it.ourAddr.Port())
	ep := it.theirUDP
	if err := it.ours.Set(wgtypes.Config{
		PrivateKey: &it.ourKey, ListenPort: &port,
		Peers: []wgtypes.PeerConfig{{
			PublicKey: it.theirKey.PublicKey(), PresharedKey: &ourPSK, Endpoint: &ep,
			AllowedIPs: []netip.Prefix{netip.PrefixFrom(theirInner, 32)},
		}},
	}); err != nil {
		t.Fatal(err)
	}

	it.theirTUN = wgtuntest.NewChannelTUN()
	it.theirs = wgdevice.NewDevice(it.theirTUN.TUN(), wgBind{network.NewBind(it.theirUDP.Addr())},
		wgdevice.NewLogger(wgdevice.LogLevelError, "wireguard-go: "))
	t.Cleanup(it.theirs.Close)
	cfg := fmt.Sprintf("private_key=%s\nlisten_port=%d\npublic_key=%s\npreshared_key=%s\nendpoint=%s\nallowed_ip=%s/32\n",
		it.theirKey.Hex(), it.theirUDP.Port(), it.ourKey.PublicKey().Hex(), theirPSK.Hex(), it.ourAddr, ourInner)
	if err := it.theirs.IpcSet(cfg); err != nil {
		t.Fatal(err)
	}
	if err := it.theirs.Up(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !it.ours.IsUp() {
		if time.Now().After(deadline) {
			t.Fatal("our device did not come up")
		}
		time.Sleep(time.Millisecond)
	}
	return it
}

func (it *interop) count(typ int, from netip.AddrPort) int {
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.counts[fmt.Sprintf("%d@%v", typ, from)]
}

func udpPacket(src, dst netip.Addr, payload string) []byte {
	p := make([]byte, 28+len(payload))
	p[0] = 0x45
	p[2], p[3] = byte(len(p)>>8), byte(len(p))
	p[8], p[9] = 64, 17
	s, d := src.As4(), dst.As4()
	copy(p[12:], s[:])
	copy(p[16:], d[:])
	p[24], p[25] = byte((8+len(payload))>>8), byte(8+len(payload))
	copy(p[28:], payload)
	return p
}

// toTheirs sends a packet from our side and expects wireguard-go to
// deliver it unchanged.
func (it *interop) toTheirs(t *testing.T, payload string, wait time.Duration) error {
	t.Helper()
	p := udpPacket(ourInner, theirInner, payload)
	it.oursTUN.Inject(p)
	select {
	case got := <-it.theirTUN.Inbound:
		if !bytes.Equal(got, p) {
			return fmt.Errorf("wireguard-go delivered %x, want %x", got, p)
		}
		return nil
	case <-time.After(wait):
		return errors.New("wireguard-go delivered nothing")
	}
}

// toOurs sends a packet from wireguard-go's side and expects us to deliver
// it unchanged.
func (it *interop) toOurs(t *testing.T, payload string, wait time.Duration) error {
	t.Helper()
	p := udpPacket(theirInner, ourInner, payload)
	select {
	case it.theirTUN.Outbound <- p:
	case <-time.After(wait):
		return errors.New("wireguard-go did not read its TUN")
	}
	select {
	case got := <-it.oursTUN.Outbound:
		if !bytes.Equal(got, p) {
			return fmt.Errorf("we delivered %x, want %x", got, p)
		}
		return nil
	case <-time.After(wait):
		return errors.New("we delivered nothing")
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestInteropWeInitiate(t *testing.T) {
	it := newInterop(t, wgtypes.Key{}, wgtypes.Key{}, false)
	for i := range 20 {
		must(t, it.toTheirs(t, fmt.Sprintf("ours %d", i), 5*time.Second))
		must(t, it.toOurs(t, fmt.Sprintf("theirs %d", i), 5*time.Second))
	}
	if c := it.count(1, it.ourAddr); c != 1 {
		t.Errorf("we sent %d initiations, want 1", c)
	}
	if c := it.count(1, it.theirUDP); c != 0 {
		t.Errorf("wireguard-go sent %d initiations, want 0", c)
	}
	checkCounters(t, it)
}

func TestInteropTheyInitiate(t *testing.T) {
	it := newInterop(t, wgtypes.Key{}, wgtypes.Key{}, false)
	for i := range 20 {
		must(t, it.toOurs(t, fmt.Sprintf("theirs %d", i), 5*time.Second))
		must(t, it.toTheirs(t, fmt.Sprintf("ours %d", i), 5*time.Second))
	}
	if c := it.count(1, it.theirUDP); c != 1 {
		t.Errorf("wireguard-go sent %d initiations, want 1", c)
	}
	checkCounters(t, it)
}

// checkCounters compares our view of the traffic with wireguard-go's.
func checkCounters(t *testing.T, it *interop) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		dev, err := it.ours.Get()
		must(t, err)
		theirs, err := it.theirs.IpcGet()
		must(t, err)
		ours := dev.Peers[0]
		want := fmt.Sprintf("tx_bytes=%d\nrx_bytes=%d\n", ours.ReceiveBytes, ours.TransmitBytes)
		if strings.Contains(theirs, want) && !ours.LastHandshakeTime.IsZero() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("counters disagree: ours rx=%d tx=%d; wireguard-go:\n%s", ours.ReceiveBytes, ours.TransmitBytes, theirs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestInteropPresharedKeys(t *testing.T) {
	psk, _ := wgtypes.GenerateKey()
	t.Run("matching", func(t *testing.T) {
		it := newInterop(t, psk, psk, false)
		must(t, it.toTheirs(t, "hello", 5*time.Second))
		must(t, it.toOurs(t, "hello back", 5*time.Second))
	})
	other, _ := wgtypes.GenerateKey()
	t.Run("mismatching, we initiate", func(t *testing.T) {
		it := newInterop(t, psk, other, false)
		if err := it.toTheirs(t, "hello", 500*time.Millisecond); err == nil {
			t.Fatal("data crossed a tunnel with mismatched preshared keys")
		}
		if it.count(2, it.theirUDP) == 0 {
			t.Fatal("wireguard-go never responded (the psk only enters message 2)")
		}
	})
	t.Run("mismatching, they initiate", func(t *testing.T) {
		it := newInterop(t, psk, other, false)
		if err := it.toOurs(t, "hello", 500*time.Millisecond); err == nil {
			t.Fatal("data crossed a tunnel with mismatched preshared keys")
		}
		if it.count(2, it.ourAddr) == 0 {
			t.Fatal("we never responded")
		}
	})
}

func TestInteropRekey(t *testing.T) {
	it := newInterop(t, wgtypes.Key{}, wgtypes.Key{}, true)
	must(t, it.toTheirs(t, "first session", 5*time.Second))
	must(t, it.toOurs(t, "first session reply", 5*time.Second))
	// Our clock moves past RekeyAfterTime; as the session's initiator our
	// next send starts a new handshake, which wireguard-go answers once
	// its real-time 20 ms flood guard has passed.
	time.Sleep(25 * time.Millisecond)
	it.clock.Advance(core.RekeyAfterTime + time.Second)
	must(t, it.toTheirs(t, "triggers the rekey", 5*time.Second))
	deadline := time.Now().Add(5 * time.Second)
	for it.count(2, it.theirUDP) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no rekey: %d initiations, %d responses", it.count(1, it.ourAddr), it.count(2, it.theirUDP))
		}
		time.Sleep(time.Millisecond)
	}
	for i := range 10 {
		must(t, it.toTheirs(t, fmt.Sprintf("second session %d", i), 5*time.Second))
		must(t, it.toOurs(t, fmt.Sprintf("second session reply %d", i), 5*time.Second))
	}
}

func TestInteropCookieUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for wireguard-go's 5 s retransmission")
	}
	it := newInterop(t, wgtypes.Key{}, wgtypes.Key{}, false)
	core.ForceUnderLoad(it.ours, true)
	// wireguard-go initiates; we answer with a cookie; its retransmission
	// (after 5 s of real time) carries a mac2 made with our cookie.
	if err := it.toOurs(t, "needs a cookie", 8*time.Second); err != nil {
		t.Fatal(err)
	}
	if c := it.count(3, it.ourAddr); c != 1 {
		t.Fatalf("we sent %d cookie replies, want 1", c)
	}
	if c := it.count(1, it.theirUDP); c != 2 {
		t.Fatalf("wireguard-go sent %d initiations, want 2", c)
	}
	must(t, it.toTheirs(t, "and back", 5*time.Second))
}

// Over real UDP sockets on loopback, IPv4 and IPv6.
func TestInteropLoopbackUDP(t *testing.T) {
	for _, lo := range []string{"127.0.0.1", "::1"} {
		t.Run(lo, func(t *testing.T) {
			if lo == "::1" {
				if c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback}); err != nil {
					testenv.Skip(t, "no IPv6 loopback: %v", err)
				} else {
					c.Close()
				}
			}
			ourKey, _ := wgtypes.GeneratePrivateKey()
			theirKey, _ := wgtypes.GeneratePrivateKey()
			ourTUN := tuntest.New(1420)
			ours := core.NewDevice(ourTUN, conn.NewStdBind(), core.Options{})
			defer ours.Close()
			zero := 0
			must(t, ours.Set(wgtypes.Config{PrivateKey: &ourKey, ListenPort: &zero}))
			for !ours.IsUp() {
				time.Sleep(time.Millisecond)
			}
			dev, _ := ours.Get()

			theirTUN := wgtuntest.NewChannelTUN()
			theirs := wgdevice.NewDevice(theirTUN.TUN(), wgconn.NewDefaultBind(), wgdevice.NewLogger(wgdevice.LogLevelError, ""))
			defer theirs.Close()
			ourEP := netip.AddrPortFrom(netip.MustParseAddr(lo), uint16(dev.ListenPort))
			must(t, theirs.IpcSet(fmt.Sprintf("private_key=%s\nlisten_port=0\npublic_key=%s\nendpoint=%s\nallowed_ip=10.0.0.1/32\n",
				theirKey.Hex(), ourKey.PublicKey().Hex(), ourEP)))
			must(t, theirs.Up())
			get, _ := theirs.IpcGet()
			var theirPort int
			for _, line := range strings.Split(get, "\n") {
				fmt.Sscanf(line, "listen_port=%d", &theirPort)
			}
			theirEP := netip.AddrPortFrom(netip.MustParseAddr(lo), uint16(theirPort))
			must(t, ours.Set(wgtypes.Config{Peers: []wgtypes.PeerConfig{{
				PublicKey: theirKey.PublicKey(), Endpoint: &theirEP,
				AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32")},
			}}}))
			it := &interop{ours: ours, oursTUN: ourTUN, theirs: theirs, theirTUN: theirTUN}
			for i := range 50 {
				must(t, it.toTheirs(t, fmt.Sprintf("udp %d", i), 5*time.Second))
				must(t, it.toOurs(t, fmt.Sprintf("udp reply %d", i), 5*time.Second))
			}
		})
	}
}
