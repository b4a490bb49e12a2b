package core

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/wgshim/wgshim/core/clock/clocktest"
	"github.com/wgshim/wgshim/core/conn"
	"github.com/wgshim/wgshim/core/conn/conntest"
	"github.com/wgshim/wgshim/core/tun"
	"github.com/wgshim/wgshim/core/tun/tuntest"
	"github.com/wgshim/wgshim/core/wgtypes"
)

// Benchmarks report their ratio against a reference measured in the same
// run, as "x-ref" (higher is better for us).

const benchPacket = 1420

// interleaved times ours and ref alternately in blocks of the same size,
// so that both see the same machine load, and returns the ratio
// ref/ours (above 1: we are faster). Which one goes first alternates
// too, so neither always finds the other's data in the cache.
func interleaved(b *testing.B, ours, ref func(i int)) float64 {
	const block = 256
	var tOurs, tRef time.Duration
	run := func(f func(int), from, n int) time.Duration {
		start := time.Now()
		for i := from; i < from+n; i++ {
			f(i)
		}
		return time.Since(start)
	}
	b.ResetTimer()
	for k, done := 0, 0; done < b.N; k, done = k+1, done+block {
		n := min(block, b.N-done)
		if k%2 == 0 {
			tOurs += run(ours, done, n)
			b.StopTimer()
			tRef += run(ref, done, n)
			b.StartTimer()
		} else {
			b.StopTimer()
			tRef += run(ref, done, n)
			b.StartTimer()
			tOurs += run(ours, done, n)
		}
	}
	return float64(tRef) / float64(tOurs)
}

// BenchmarkSeal compares sealing a 1420-byte packet into a transport
// message with raw x/crypto ChaCha20-Poly1305 on the same buffer.
func BenchmarkSeal(b *testing.B) {
	key := make([]byte, 32)
	aead, _ := chacha20poly1305.New(key)
	kp := &keypair{send: aead, remoteIndex: 7}
	buf := make([]byte, bufferSize)
	ref := make([]byte, bufferSize)
	var nonce, refNonce [chacha20poly1305.NonceSize]byte
	b.SetBytes(benchPacket)
	b.ReportAllocs()
	ratio := interleaved(b, func(i int) {
		seal(buf, benchPacket, kp, uint64(i), DefaultMTU, &nonce)
	}, func(i int) {
		binary.LittleEndian.PutUint64(refNonce[4:], uint64(i))
		plain := ref[transportHeaderSize : transportHeaderSize+benchPacket]
		aead.Seal(plain[:0], refNonce[:], plain, nil)
	})
	b.ReportMetric(ratio, "x-ref")
}

// BenchmarkOpen compares the decryption workers' open of one message with
// a bare x/crypto Open.
func BenchmarkOpen(b *testing.B) {
	key := make([]byte, 32)
	aead, _ := chacha20poly1305.New(key)
	var nonce [chacha20poly1305.NonceSize]byte
	const count = 1024
	msgs := make([][]byte, count)
	for i := range msgs {
		msgs[i] = make([]byte, bufferSize)
		msgs[i] = seal(msgs[i], benchPacket, &keypair{send: aead}, uint64(i), DefaultMTU, &nonce)
	}
	work := make([]byte, bufferSize)
	kp := &keypair{recv: aead}
	b.SetBytes(benchPacket)
	b.ReportAllocs()
	ratio := interleaved(b, func(i int) {
		m := msgs[i%count]
		copy(work, m)
		if _, ok := open(work[:len(m)], kp, &nonce); !ok {
			b.Fatal("open failed")
		}
	}, func(i int) {
		m := msgs[i%count]
		copy(work, m)
		binary.LittleEndian.PutUint64(nonce[4:], uint64(i%count))
		body := work[transportHeaderSize:len(m)]
		aead.Open(body[:0], nonce[:], body, nil)
	})
	b.ReportMetric(ratio, "x-ref")
}

// benchHandshakes runs complete handshakes between initiators[i%n] and
// one responder: it is how both implementations are measured, so that the
// 20 ms per-peer flood guard never fires.
func BenchmarkHandshake(b *testing.B) {
	const initiators = 512
	clk := clocktest.New(time.Unix(1700000000, 0))
	net := conntest.NewNetwork()
	newDev := func(i int) *Device {
		d := NewDevice(tuntest.New(1420), net.NewBind(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})), Options{Clock: clk, Workers: 1})
		b.Cleanup(func() { d.Close() })
		return d
	}
	resKey, _ := wgtypes.GeneratePrivateKey()
	res := newDev(9999)
	res.Set(wgtypes.Config{PrivateKey: &resKey})
	var inis []*Device
	var iniPeers, resPeers []*Peer
	for i := range initiators {
		k, _ := wgtypes.GeneratePrivateKey()
		d := newDev(i)
		d.Set(wgtypes.Config{PrivateKey: &k, Peers: []wgtypes.PeerConfig{{PublicKey: resKey.PublicKey()}}})
		res.Set(wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: k.PublicKey()}}})
		inis = append(inis, d)
		iniPeers = append(iniPeers, d.lookupPeer(resKey.PublicKey()))
		resPeers = append(resPeers, res.lookupPeer(k.PublicKey()))
	}
	waitUp := func(d *Device) {
		for !d.IsUp() {
			time.Sleep(time.Millisecond)
		}
	}
	waitUp(res)
	var ini [initiationSize]byte
	var resp [responseSize]byte
	handshake := func(i int) {
		k := i % initiators
		if k == 0 {
			clk.Advance(50 * time.Millisecond) // newer timestamps, past the flood guard
		}
		now := clk.Now()
		d, p := inis[k], iniPeers[k]
		if err := d.createInitiation(p, &ini); err != nil {
			b.Fatal(err)
		}
		if res.consumeInitiation(ini[:], now) != resPeers[k] {
			b.Fatal("initiation refused")
		}
		if err := res.createResponse(resPeers[k], &resp); err != nil {
			b.Fatal(err)
		}
		if d.consumeResponse(resp[:]) != p {
			b.Fatal("response refused")
		}
		if err := d.beginSession(p, now); err != nil {
			b.Fatal(err)
		}
		if err := res.beginSession(resPeers[k], now); err != nil {
			b.Fatal(err)
		}
	}
	ref := wireguardGoHandshakes(b)
	if ref == nil {
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			handshake(i)
		}
		return
	}
	b.ReportAllocs()
	b.ReportMetric(interleaved(b, handshake, func(i int) { ref(i, 1) }), "x-ref")
}

// wireguardGoHandshakes is set by a test file that imports wireguard-go;
// it prepares wireguard-go's side and returns a function running n of its
// handshakes from index i, returning the time taken.
var wireguardGoHandshakes = func(b *testing.B) func(i, n int) time.Duration { return nil }

// Datapath benchmarks: a device between a TUN that always has packets and
// a bind that swallows them (send), or a bind that always has messages and
// a TUN that swallows them (receive). One op is one packet.

type sourceTUN struct {
	packet  []byte
	left    atomic.Int64
	more    chan struct{} // wakes Read
	reached chan struct{} // Write has seen want packets
	done    chan struct{}
	writes  atomic.Int64
	want    int64
	events  chan tun.Event
	once    sync.Once
}

func newSourceTUN(packet []byte) *sourceTUN {
	t := &sourceTUN{packet: packet, more: make(chan struct{}, 1), reached: make(chan struct{}, 1), done: make(chan struct{}), events: make(chan tun.Event, 1)}
	t.events <- tun.EventUp
	return t
}

func (t *sourceTUN) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	for t.left.Load() <= 0 {
		select {
		case <-t.more:
		case <-t.done:
			return 0, errClosedForBench
		}
	}
	n := 0
	for n < len(bufs) && t.left.Add(-1) >= 0 {
		sizes[n] = copy(bufs[n][offset:], t.packet)
		n++
	}
	return n, nil
}

func (t *sourceTUN) Write(bufs [][]byte, offset int) (int, error) {
	if t.writes.Add(int64(len(bufs))) >= t.want {
		select {
		case t.reached <- struct{}{}:
		default:
		}
	}
	return len(bufs), nil
}
func (t *sourceTUN) MTU() (int, error)        { return DefaultMTU, nil }
func (t *sourceTUN) Name() (string, error)    { return "bench", nil }
func (t *sourceTUN) Events() <-chan tun.Event { return t.events }
func (t *sourceTUN) BatchSize() int           { return maxBatch }
func (t *sourceTUN) Close() error {
	t.once.Do(func() { close(t.done); close(t.events) })
	return nil
}

var errClosedForBench = conn.ErrBindClosed

type sinkBind struct {
	sent    atomic.Int64
	want    atomic.Int64
	reached chan struct{}
	recv    conn.ReceiveFunc
	closed  chan struct{}
	mu      sync.Mutex
}

type benchEndpoint struct{}

func (benchEndpoint) Dst() netip.AddrPort { return netip.MustParseAddrPort("192.0.2.1:1") }
func (benchEndpoint) Src() netip.Addr     { return netip.Addr{} }
func (benchEndpoint) ClearSrc()           {}

func (s *sinkBind) Open(port uint16) ([]conn.ReceiveFunc, uint16, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = make(chan struct{})
	closed := s.closed
	fn := s.recv
	if fn == nil {
		fn = func([][]byte, []int, []conn.Endpoint) (int, error) {
			<-closed
			return 0, errClosedForBench
		}
	}
	return []conn.ReceiveFunc{func(p [][]byte, sz []int, eps []conn.Endpoint) (int, error) {
		select {
		case <-closed:
			return 0, netErrClosed
		default:
		}
		return fn(p, sz, eps)
	}}, port, nil
}
func (s *sinkBind) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed != nil {
		close(s.closed)
		s.closed = nil
	}
	return nil
}
func (s *sinkBind) SetMark(uint32) error { return nil }
func (s *sinkBind) Send(bufs [][]byte, offset int, ep conn.Endpoint) error {
	if s.sent.Add(int64(len(bufs))) >= s.want.Load() {
		select {
		case s.reached <- struct{}{}:
		default:
		}
	}
	return nil
}
func (s *sinkBind) Endpoint(netip.AddrPort) conn.Endpoint { return benchEndpoint{} }
func (s *sinkBind) BatchSize() int                        { return maxBatch }

// installSession gives p a current keypair with the given keys, as a
// completed handshake would.
func installSession(d *Device, p *Peer, sendKey, recvKey []byte, localIndex uint32) {
	kp := &keypair{created: d.now(), isInitiator: true, localIndex: localIndex, remoteIndex: 1, peer: p}
	kp.send, _ = chacha20poly1305.New(sendKey)
	kp.recv, _ = chacha20poly1305.New(recvKey)
	d.indices.mu.Lock()
	d.indices.m[localIndex] = indexEntry{peer: p, keypair: kp}
	d.indices.mu.Unlock()
	p.keypairs.mu.Lock()
	p.keypairs.current = kp
	p.keypairs.mu.Unlock()
}

func benchDevice(b *testing.B, t tun.Device, bind conn.Bind) (*Device, *Peer) {
	d := NewDevice(t, bind, Options{})
	b.Cleanup(func() { d.Close() })
	priv, _ := wgtypes.GeneratePrivateKey()
	peerKey, _ := wgtypes.GeneratePrivateKey()
	ep := netip.MustParseAddrPort("192.0.2.1:1")
	d.Set(wgtypes.Config{PrivateKey: &priv, Peers: []wgtypes.PeerConfig{{
		PublicKey: peerKey.PublicKey(), Endpoint: &ep,
		AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
	}}})
	for !d.IsUp() {
		time.Sleep(time.Millisecond)
	}
	return d, d.lookupPeer(peerKey.PublicKey())
}

func BenchmarkSendPath(b *testing.B) {
	pkt := ipv4Packet(netip.MustParseAddr("10.9.9.9"), netip.MustParseAddr("10.0.0.2"), 0, benchPacket-28)
	src := newSourceTUN(pkt)
	sink := &sinkBind{reached: make(chan struct{}, 1)}
	d, p := benchDevice(b, src, sink)
	installSession(d, p, make([]byte, 32), make([]byte, 32), 42)
	run := func(n int) {
		sink.want.Store(sink.sent.Load() + int64(n))
		src.left.Store(int64(n))
		src.more <- struct{}{}
		<-sink.reached
	}
	run(10000) // warm the pools
	b.SetBytes(benchPacket)
	b.ReportAllocs()
	b.ResetTimer()
	run(b.N)
}

func BenchmarkReceivePath(b *testing.B) {
	sendKey := make([]byte, 32)
	sendKey[0] = 1
	aead, _ := chacha20poly1305.New(sendKey)
	pkt := ipv4Packet(netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.9.9.9"), 0, benchPacket-28)
	var (
		counter uint64
		left    atomic.Int64
		more    = make(chan struct{}, 1)
		nonce   [chacha20poly1305.NonceSize]byte
	)
	kp := &keypair{send: aead, remoteIndex: 42}
	sink := &sinkBind{}
	ep := benchEndpoint{}
	sink.recv = func(bufs [][]byte, sizes []int, eps []conn.Endpoint) (int, error) {
		for left.Load() <= 0 {
			sink.mu.Lock()
			closed := sink.closed
			sink.mu.Unlock()
			if closed == nil {
				return 0, netErrClosed
			}
			select {
			case <-more:
			case <-closed:
				return 0, netErrClosed
			}
		}
		n := 0
		for n < len(bufs) && left.Add(-1) >= 0 {
			copy(bufs[n][transportHeaderSize:], pkt)
			sizes[n] = len(seal(bufs[n], len(pkt), kp, counter, DefaultMTU, &nonce))
			eps[n] = ep
			counter++
			n++
		}
		return n, nil
	}
	dst := newSourceTUN(nil)
	d, p := benchDevice(b, dst, sink)
	installSession(d, p, make([]byte, 32), sendKey, 42)
	run := func(n int) {
		dst.want = dst.writes.Load() + int64(n)
		left.Store(int64(n))
		more <- struct{}{}
		<-dst.reached
	}
	run(10000)
	b.SetBytes(benchPacket)
	b.ReportAllocs()
	b.ResetTimer()
	run(b.N)
}
