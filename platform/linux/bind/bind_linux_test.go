//go:build linux

package bind

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/core/conn"
	"github.com/wgshim/wgshim/internal/testenv"
)

type knobs struct{ noGSO, noGRO bool }

func (k knobs) String() string {
	return fmt.Sprintf("gso=%v,gro=%v", !k.noGSO, !k.noGRO)
}

var allKnobs = []knobs{{}, {noGRO: true}, {noGSO: true}, {noGSO: true, noGRO: true}}

func openBind(t testing.TB, port uint16, k knobs) (*Bind, []conn.ReceiveFunc, uint16) {
	t.Helper()
	b := &Bind{noGSO: k.noGSO, noGRO: k.noGRO}
	fns, actual, err := b.Open(port)
	if err != nil {
		t.Fatalf("Open(%d): %v", port, err)
	}
	t.Cleanup(func() { b.Close() })
	return b, fns, actual
}

func haveIPv6() bool {
	c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// sock returns the bind's socket for the family of addr.
func (b *Bind) sock(t testing.TB, v6 bool) *socket {
	t.Helper()
	s := b.socks.Load()
	if s == nil {
		t.Fatal("bind is closed")
	}
	if v6 {
		return s.v6
	}
	return s.v4
}

type datagram struct {
	data []byte
	ep   conn.Endpoint
}

// collector drains a ReceiveFunc in the background.
type collector struct {
	ch   chan datagram
	done chan error
}

func collect(fn conn.ReceiveFunc, bufSize int) *collector {
	c := &collector{ch: make(chan datagram, 8192), done: make(chan error, 1)}
	go func() {
		packets := make([][]byte, batchSize)
		for i := range packets {
			packets[i] = make([]byte, bufSize)
		}
		sizes := make([]int, batchSize)
		eps := make([]conn.Endpoint, batchSize)
		for {
			n, err := fn(packets, sizes, eps)
			if err != nil {
				c.done <- err
				close(c.ch)
				return
			}
			for i := range n {
				c.ch <- datagram{data: append([]byte(nil), packets[i][:sizes[i]]...), ep: eps[i]}
			}
		}
	}()
	return c
}

func (c *collector) next(t testing.TB, n int) []datagram {
	t.Helper()
	var out []datagram
	timeout := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case d, ok := <-c.ch:
			if !ok {
				t.Fatalf("receiver stopped after %d of %d datagrams: %v", len(out), n, <-c.done)
			}
			out = append(out, d)
		case <-timeout:
			t.Fatalf("received %d of %d datagrams", len(out), n)
		}
	}
	return out
}

// variedSizes returns n datagram sizes in runs of equal sizes, so that GSO
// has something to coalesce, with some single odd ones in between.
func variedSizes(rng *rand.Rand, n int) []int {
	var sizes []int
	for len(sizes) < n {
		run := 1 + rng.IntN(100)
		size := 4 + rng.IntN(1400-4)
		for range run {
			sizes = append(sizes, size)
		}
		if rng.IntN(3) == 0 {
			sizes = append(sizes, 4+rng.IntN(size-3)) // a shorter tail
		}
	}
	return sizes[:n]
}

func fillDatagram(b []byte, i int) {
	binary.BigEndian.PutUint32(b, uint32(i))
	for j := 4; j < len(b); j++ {
		b[j] = byte(i + j)
	}
}

func checkDatagram(t testing.TB, got []byte, i, size int) {
	t.Helper()
	if len(got) != size {
		t.Fatalf("datagram %d: %d bytes, want %d", i, len(got), size)
	}
	if seq := int(binary.BigEndian.Uint32(got)); seq != i {
		t.Fatalf("datagram %d: got datagram %d (out of order or lost)", i, seq)
	}
	for j := 4; j < len(got); j++ {
		if got[j] != byte(i+j) {
			t.Fatalf("datagram %d: byte %d is %#x, want %#x", i, j, got[j], byte(i+j))
		}
	}
}

func TestBatchLoopback(t *testing.T) {
	families := []struct {
		name string
		addr netip.Addr
	}{
		{"ipv4", netip.MustParseAddr("127.0.0.1")},
		{"ipv6", netip.MustParseAddr("::1")},
	}
	for _, fam := range families {
		for _, k := range allKnobs {
			t.Run(fam.name+"/"+k.String(), func(t *testing.T) {
				v6 := fam.addr.Is6()
				if v6 && !haveIPv6() {
					testenv.Skip(t, "no IPv6 loopback")
				}
				a, _, aport := openBind(t, 0, k)
				b, bfns, bport := openBind(t, 0, k)
				fn := bfns[0]
				if v6 {
					fn = bfns[1]
				}
				col := collect(fn, 2048)

				const total = 1000
				const headroom = 16
				rng := rand.New(rand.NewPCG(uint64(len(fam.name)), 7))
				sizes := variedSizes(rng, total)
				bufs := make([][]byte, total)
				for i, n := range sizes {
					bufs[i] = make([]byte, headroom+n)
					fillDatagram(bufs[i][headroom:], i)
				}
				ep := a.Endpoint(netip.AddrPortFrom(fam.addr, bport))
				wantFrom := netip.AddrPortFrom(fam.addr, aport)
				for i := 0; i < total; {
					n := min(1+rng.IntN(a.BatchSize()), total-i)
					if err := a.Send(bufs[i:i+n], headroom, ep); err != nil {
						t.Fatalf("Send: %v", err)
					}
					for j, d := range col.next(t, n) {
						checkDatagram(t, d.data, i+j, sizes[i+j])
						if d.ep.Dst() != wantFrom {
							t.Fatalf("datagram %d from %v, want %v", i+j, d.ep.Dst(), wantFrom)
						}
						if d.ep.Src() != fam.addr {
							t.Fatalf("datagram %d: sticky source %v, want %v", i+j, d.ep.Src(), fam.addr)
						}
					}
					i += n
				}

				as, bs := a.sock(t, v6), b.sock(t, v6)
				gsoSends, groMsgs := as.gsoSends.Load(), bs.groMessages.Load()
				t.Logf("GSO sends %d, GRO messages %d", gsoSends, groMsgs)
				if k.noGSO && gsoSends != 0 {
					t.Errorf("GSO disabled but %d GSO sends", gsoSends)
				}
				if !k.noGSO && as.gso.Load() && gsoSends == 0 {
					t.Error("GSO available but never used")
				}
				if k.noGRO && groMsgs != 0 {
					t.Errorf("GRO disabled but %d coalesced receives", groMsgs)
				}
				if !k.noGRO && !k.noGSO && bs.gro && as.gso.Load() && groMsgs == 0 {
					t.Error("GSO sends over loopback to a GRO socket never arrived coalesced")
				}
			})
		}
	}
}

func TestGROSplit(t *testing.T) {
	a, _, _ := openBind(t, 0, knobs{})
	b, bfns, bport := openBind(t, 0, knobs{})
	as, bs := a.sock(t, false), b.sock(t, false)
	if !as.gso.Load() || !bs.gro {
		testenv.Skip(t, "kernel lacks UDP GSO (%v) or GRO (%v)", as.gso.Load(), bs.gro)
	}
	sizes := []int{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 500}
	bufs := make([][]byte, len(sizes))
	for i, n := range sizes {
		bufs[i] = make([]byte, n)
		fillDatagram(bufs[i], i)
	}
	ep := a.Endpoint(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), bport))
	if err := a.Send(bufs, 0, ep); err != nil {
		t.Fatal(err)
	}
	if got := as.gsoSends.Load(); got != 1 {
		t.Errorf("%d GSO sends, want 1", got)
	}
	// Receive three at a time: the rest of the coalesced datagram must be
	// kept for the next calls.
	packets := [][]byte{make([]byte, 1500), make([]byte, 1500), make([]byte, 1500)}
	psizes := make([]int, 3)
	eps := make([]conn.Endpoint, 3)
	var first conn.Endpoint
	for i := 0; i < len(sizes); {
		n, err := bfns[0](packets, psizes, eps)
		if err != nil {
			t.Fatal(err)
		}
		if want := min(3, len(sizes)-i); n != want {
			t.Fatalf("receive returned %d, want %d", n, want)
		}
		for j := range n {
			checkDatagram(t, packets[j][:psizes[j]], i+j, sizes[i+j])
			if first == nil {
				first = eps[j]
			}
			if eps[j] != first {
				t.Errorf("segment %d has another endpoint", i+j)
			}
		}
		i += n
	}
	if got := bs.groMessages.Load(); got != 1 {
		t.Errorf("%d coalesced receives, want 1", got)
	}

	// Segments still pending at Close are not handed out afterwards.
	if err := a.Send(bufs, 0, ep); err != nil {
		t.Fatal(err)
	}
	if n, err := bfns[0](packets, psizes, eps); err != nil || n != 3 {
		t.Fatalf("receive = %d, %v; want 3 datagrams", n, err)
	}
	b.Close()
	if n, err := bfns[0](packets, psizes, eps); !errors.Is(err, net.ErrClosed) {
		t.Errorf("receive after Close with pending segments = %d, %v; want net.ErrClosed", n, err)
	}
}

// TestGSODisable provokes a real EINVAL from the kernel (more segments
// than UDP_MAX_SEGMENTS) and checks that the bind turns GSO off for the
// socket and resends everything.
func TestGSODisable(t *testing.T) {
	a, _, _ := openBind(t, 0, knobs{})
	_, bfns, bport := openBind(t, 0, knobs{noGRO: true})
	col := collect(bfns[0], 100)
	as := a.sock(t, false)
	if !as.gso.Load() {
		testenv.Skip(t, "no UDP GSO on this kernel")
	}
	as.maxGSOSegs = 1000 // the kernel allows 64 or 128
	const n = 300
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = make([]byte, 8)
		fillDatagram(bufs[i], i)
	}
	if err := a.Send(bufs, 0, a.Endpoint(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), bport))); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if as.gso.Load() {
		t.Error("GSO still on after EINVAL")
	}
	for i, d := range col.next(t, n) {
		checkDatagram(t, d.data, i, 8)
	}
}

func TestPortChoiceAndV6Only(t *testing.T) {
	b, fns, port := openBind(t, 0, knobs{})
	if port == 0 {
		t.Fatal("Open(0) returned port 0")
	}
	s := b.socks.Load()
	if s.v4.port() != port {
		t.Errorf("IPv4 port %d, want %d", s.v4.port(), port)
	}
	want := 1
	if haveIPv6() {
		want = 2
		if s.v6.port() != port {
			t.Errorf("IPv6 port %d, want %d", s.v6.port(), port)
		}
		var v6only int
		var gerr error
		s.v6.rc.Control(func(fd uintptr) { v6only, gerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY) })
		if gerr != nil || v6only != 1 {
			t.Errorf("IPV6_V6ONLY = %d (%v), want 1", v6only, gerr)
		}
	}
	if len(fns) != want {
		t.Errorf("%d receive funcs, want %d", len(fns), want)
	}
	if _, _, err := (&Bind{}).Open(port); !errors.Is(err, unix.EADDRINUSE) {
		t.Errorf("Open on a taken port: %v, want EADDRINUSE", err)
	}
}

func TestCloseAndReopen(t *testing.T) {
	b, fns, port := openBind(t, 0, knobs{})
	if _, _, err := b.Open(0); !errors.Is(err, errAlreadyOpen) {
		t.Errorf("second Open: %v, want errAlreadyOpen", err)
	}
	errs := make(chan error, len(fns))
	for _, fn := range fns {
		go func() {
			_, err := fn([][]byte{make([]byte, 1500)}, []int{0}, []conn.Endpoint{nil})
			errs <- err
		}()
	}
	time.Sleep(20 * time.Millisecond)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for range fns {
		select {
		case err := <-errs:
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("receive after Close: %v, want net.ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("receive still blocked after Close")
		}
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ep := b.Endpoint(netip.MustParseAddrPort("127.0.0.1:9"))
	if err := b.Send([][]byte{{1}}, 0, ep); !errors.Is(err, conn.ErrBindClosed) {
		t.Errorf("Send after Close: %v, want conn.ErrBindClosed", err)
	}

	fns2, port2, err := b.Open(port)
	if err != nil || port2 != port {
		t.Fatalf("reopen on %d: port %d, %v", port, port2, err)
	}
	if _, err := fns[0]([][]byte{make([]byte, 10)}, []int{0}, []conn.Endpoint{nil}); !errors.Is(err, net.ErrClosed) {
		t.Errorf("stale ReceiveFunc: %v, want net.ErrClosed", err)
	}
	peer, _, _ := openBind(t, 0, knobs{})
	if err := peer.Send([][]byte{[]byte("again")}, 0, peer.Endpoint(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port))); err != nil {
		t.Fatal(err)
	}
	if d := collect(fns2[0], 100).next(t, 1); string(d[0].data) != "again" {
		t.Errorf("after reopen got %q", d[0].data)
	}
}

func TestSendMappedAndZeroLength(t *testing.T) {
	a, _, aport := openBind(t, 0, knobs{})
	_, bfns, bport := openBind(t, 0, knobs{})
	col := collect(bfns[0], 100)
	ep := a.Endpoint(netip.MustParseAddrPort(fmt.Sprintf("[::ffff:127.0.0.1]:%d", bport)))
	if err := a.Send([][]byte{{}, []byte("x"), {}}, 0, ep); err != nil {
		t.Fatal(err)
	}
	got := col.next(t, 3)
	for i, want := range []string{"", "x", ""} {
		if string(got[i].data) != want {
			t.Errorf("datagram %d = %q, want %q", i, got[i].data, want)
		}
		if want := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), aport); got[i].ep.Dst() != want {
			t.Errorf("datagram %d from %v, want %v", i, got[i].ep.Dst(), want)
		}
	}
}

// TestConcurrentSendClose runs senders on several goroutines, with a
// receiver, and closes the sending bind under them (run it with -race).
func TestConcurrentSendClose(t *testing.T) {
	a, _, _ := openBind(t, 0, knobs{})
	_, bfns, bport := openBind(t, 0, knobs{})
	col := collect(bfns[0], 2048)
	ep := a.Endpoint(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), bport))
	const senders, rounds = 4, 50
	errs := make(chan error, senders)
	for g := range senders {
		go func() {
			bufs := make([][]byte, 16)
			for i := range bufs {
				bufs[i] = make([]byte, 200+g)
			}
			for range rounds {
				if err := a.Send(bufs, 0, ep); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range senders {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent Send: %v", err)
		}
	}
	got := col.next(t, senders*rounds*16)
	perSize := map[int]int{}
	for _, d := range got {
		perSize[len(d.data)]++
	}
	for g := range senders {
		if perSize[200+g] != rounds*16 {
			t.Errorf("sender %d: %d datagrams arrived, want %d", g, perSize[200+g], rounds*16)
		}
	}

	// Close while sends are in flight: they end with ErrBindClosed, never
	// anything else.
	for range senders {
		go func() {
			bufs := [][]byte{make([]byte, 100)}
			for {
				if err := a.Send(bufs, 0, ep); err != nil {
					if errors.Is(err, conn.ErrBindClosed) {
						errs <- nil
					} else {
						errs <- err
					}
					return
				}
			}
		}()
	}
	time.Sleep(10 * time.Millisecond)
	a.Close()
	for range senders {
		if err := <-errs; err != nil {
			t.Errorf("Send racing Close: %v, want conn.ErrBindClosed", err)
		}
	}
}

func TestSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	for _, k := range []knobs{{}, {noGSO: true, noGRO: true}} {
		t.Run(k.String(), func(t *testing.T) {
			a, _, _ := openBind(t, 0, k)
			_, bfns, bport := openBind(t, 0, k)
			ep := a.Endpoint(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), bport))
			send, recv := make([][]byte, batchSize), make([][]byte, batchSize)
			for i := range send {
				send[i] = make([]byte, 1400)
				recv[i] = make([]byte, 1500)
			}
			sizes := make([]int, batchSize)
			eps := make([]conn.Endpoint, batchSize)
			allocs := testing.AllocsPerRun(50, func() {
				if err := a.Send(send, 0, ep); err != nil {
					t.Fatal(err)
				}
				for got := 0; got < batchSize; {
					n, err := bfns[0](recv, sizes, eps)
					if err != nil {
						t.Fatal(err)
					}
					got += n
				}
			})
			if allocs != 0 {
				t.Errorf("send+receive of %d datagrams allocates %v times, want 0", batchSize, allocs)
			}
		})
	}
}

func BenchmarkSendReceive(b *testing.B) {
	for _, k := range []knobs{{}, {noGSO: true, noGRO: true}} {
		b.Run(k.String(), func(b *testing.B) {
			a, _, _ := openBind(b, 0, k)
			_, rfns, rport := openBind(b, 0, k)
			ep := a.Endpoint(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), rport))
			send, recv := make([][]byte, batchSize), make([][]byte, batchSize)
			for i := range send {
				send[i] = make([]byte, 1400)
				recv[i] = make([]byte, 1500)
			}
			sizes := make([]int, batchSize)
			eps := make([]conn.Endpoint, batchSize)
			b.ReportAllocs()
			b.SetBytes(batchSize * 1400)
			for b.Loop() {
				if err := a.Send(send, 0, ep); err != nil {
					b.Fatal(err)
				}
				for got := 0; got < batchSize; {
					n, err := rfns[0](recv, sizes, eps)
					if err != nil {
						b.Fatal(err)
					}
					got += n
				}
			}
		})
	}
}
