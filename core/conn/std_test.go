package conn

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/wgshim/wgshim/internal/testenv"
)

// haveIPv6 reports whether ::1 can be bound on this host.
func haveIPv6(t testing.TB) bool {
	t.Helper()
	c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func openStd(t testing.TB, port uint16) (*StdBind, []ReceiveFunc, uint16) {
	t.Helper()
	b := NewStdBind().(*StdBind)
	fns, actual, err := b.Open(port)
	if err != nil {
		t.Fatalf("Open(%d): %v", port, err)
	}
	t.Cleanup(func() { b.Close() })
	return b, fns, actual
}

// recvOne calls every fn concurrently and returns the first datagram.
func recvOne(t testing.TB, fns []ReceiveFunc) ([]byte, Endpoint) {
	t.Helper()
	type result struct {
		data []byte
		ep   Endpoint
		err  error
	}
	ch := make(chan result, len(fns))
	for _, fn := range fns {
		go func() {
			bufs := [][]byte{make([]byte, 2048)}
			sizes := []int{0}
			eps := []Endpoint{nil}
			n, err := fn(bufs, sizes, eps)
			if err != nil || n != 1 {
				ch <- result{err: fmt.Errorf("n=%d: %w", n, err)}
				return
			}
			ch <- result{data: bufs[0][:sizes[0]], ep: eps[0]}
		}()
	}
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("receive: %v", r.err)
		}
		return r.data, r.ep
	case <-time.After(5 * time.Second):
		t.Fatal("receive: timeout")
	}
	return nil, nil
}

func TestStdBindSendReceive(t *testing.T) {
	tests := []struct {
		name string
		addr netip.Addr
		v6   bool
	}{
		{name: "ipv4", addr: netip.MustParseAddr("127.0.0.1")},
		{name: "ipv6", addr: netip.MustParseAddr("::1"), v6: true},
		{name: "ipv4-mapped", addr: netip.MustParseAddr("::ffff:127.0.0.1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.v6 && !haveIPv6(t) {
				testenv.Skip(t, "no IPv6 loopback on this host")
			}
			a, afns, aport := openStd(t, 0)
			b, bfns, bport := openStd(t, 0)

			payload := []byte("\x04\x00\x00\x00hello over " + tt.name)
			headroom := 16
			buf := append(make([]byte, headroom), payload...)
			ep := a.Endpoint(netip.AddrPortFrom(tt.addr, bport))
			if err := a.Send([][]byte{buf}, headroom, ep); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got, from := recvOne(t, bfns)
			if !bytes.Equal(got, payload) {
				t.Errorf("payload = %q, want %q", got, payload)
			}
			wantFrom := netip.AddrPortFrom(tt.addr.Unmap(), aport)
			if from.Dst() != wantFrom {
				t.Errorf("source = %v, want %v", from.Dst(), wantFrom)
			}
			if from.Src().IsValid() {
				t.Errorf("Src() = %v, want zero Addr", from.Src())
			}

			// Reply on the received endpoint.
			if err := b.Send([][]byte{[]byte("pong")}, 0, from); err != nil {
				t.Fatalf("reply: %v", err)
			}
			got, from = recvOne(t, afns)
			if string(got) != "pong" {
				t.Errorf("reply = %q, want pong", got)
			}
			if want := netip.AddrPortFrom(tt.addr.Unmap(), bport); from.Dst() != want {
				t.Errorf("reply source = %v, want %v", from.Dst(), want)
			}
		})
	}
}

func TestStdBindSendMany(t *testing.T) {
	a, _, _ := openStd(t, 0)
	_, bfns, bport := openStd(t, 0)
	ep := a.Endpoint(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), bport))
	var bufs [][]byte
	for i := range 20 {
		bufs = append(bufs, bytes.Repeat([]byte{byte(i)}, 100+i*37))
	}
	if err := a.Send(bufs, 0, ep); err != nil {
		t.Fatalf("Send: %v", err)
	}
	for i := range bufs {
		got, _ := recvOne(t, bfns[:1])
		if !bytes.Equal(got, bufs[i]) {
			t.Fatalf("datagram %d: got %d bytes of %d, want %d bytes of %d", i, len(got), got[0], len(bufs[i]), i)
		}
	}
}

func TestStdBindPortChoice(t *testing.T) {
	b, fns, port := openStd(t, 0)
	if port == 0 {
		t.Fatal("Open(0) returned port 0")
	}
	wantFns := 1
	if haveIPv6(t) {
		wantFns = 2
		if got := b.v6.LocalAddr().(*net.UDPAddr).Port; got != int(port) {
			t.Errorf("IPv6 port = %d, want %d", got, port)
		}
	}
	if len(fns) != wantFns {
		t.Errorf("got %d receive funcs, want %d", len(fns), wantFns)
	}
	if got := b.v4.LocalAddr().(*net.UDPAddr).Port; got != int(port) {
		t.Errorf("IPv4 port = %d, want %d", got, port)
	}

	// A second bind on the same explicit port must fail with EADDRINUSE.
	other := NewStdBind()
	if _, _, err := other.Open(port); !IsAddrInUse(err) {
		other.Close()
		t.Errorf("Open(%d) on a taken port: err = %v, want EADDRINUSE", port, err)
	}
}

func TestStdBindExplicitPort(t *testing.T) {
	// Learn a free port, release it, then ask for it explicitly.
	first := NewStdBind()
	_, p, err := first.Open(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	_, fns, got := openStd(t, p)
	if got != p {
		t.Errorf("Open(%d) bound %d", p, got)
	}
	peer, _, _ := openStd(t, 0)
	ep := peer.Endpoint(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), p))
	if err := peer.Send([][]byte{[]byte("x")}, 0, ep); err != nil {
		t.Fatal(err)
	}
	if data, _ := recvOne(t, fns); string(data) != "x" {
		t.Errorf("got %q, want x", data)
	}
}

func TestStdBindCloseUnblocks(t *testing.T) {
	b, fns, _ := openStd(t, 0)
	errs := make(chan error, len(fns))
	for _, fn := range fns {
		go func() {
			_, err := fn([][]byte{make([]byte, 1500)}, []int{0}, []Endpoint{nil})
			errs <- err
		}()
	}
	time.Sleep(20 * time.Millisecond) // let the receivers block
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for range fns {
		select {
		case err := <-errs:
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("receive after Close: err = %v, want net.ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("receive still blocked after Close")
		}
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ep := b.Endpoint(netip.MustParseAddrPort("127.0.0.1:9"))
	if err := b.Send([][]byte{{1}}, 0, ep); !errors.Is(err, ErrBindClosed) {
		t.Errorf("Send after Close: err = %v, want ErrBindClosed", err)
	}
}

func TestStdBindReopen(t *testing.T) {
	b, oldFns, port := openStd(t, 0)
	if _, _, err := b.Open(0); !errors.Is(err, errAlreadyOpen) {
		t.Errorf("Open on an open bind: err = %v, want errAlreadyOpen", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	fns, got, err := b.Open(port)
	if err != nil {
		t.Fatalf("reopen on port %d: %v", port, err)
	}
	if got != port {
		t.Errorf("reopen bound %d, want %d", got, port)
	}
	// Receive functions of the old Open stay closed.
	if _, err := oldFns[0]([][]byte{make([]byte, 10)}, []int{0}, []Endpoint{nil}); !errors.Is(err, net.ErrClosed) {
		t.Errorf("stale ReceiveFunc: err = %v, want net.ErrClosed", err)
	}
	peer, _, _ := openStd(t, 0)
	ep := peer.Endpoint(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port))
	if err := peer.Send([][]byte{[]byte("again")}, 0, ep); err != nil {
		t.Fatal(err)
	}
	if data, _ := recvOne(t, fns); string(data) != "again" {
		t.Errorf("after reopen got %q", data)
	}
}

func TestStdBindSetMark(t *testing.T) {
	b := NewStdBind()
	if err := b.SetMark(1); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("SetMark: err = %v, want errors.ErrUnsupported", err)
	}
	if got := b.BatchSize(); got != 1 {
		t.Errorf("BatchSize = %d, want 1", got)
	}
}

func TestStdBindEndpointCache(t *testing.T) {
	b := &StdBind{}
	ap := netip.MustParseAddrPort("192.0.2.1:51820")
	e1 := b.endpoint(ap)
	e2 := b.endpoint(netip.MustParseAddrPort("[::ffff:192.0.2.1]:51820"))
	if e1 != e2 {
		t.Error("mapped and plain IPv4 source got different endpoints")
	}
	if e1.Dst() != ap {
		t.Errorf("Dst = %v, want %v", e1.Dst(), ap)
	}
	for i := range stdMaxEndpoints + 10 {
		b.endpoint(netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(i)))
	}
	if len(b.eps) > stdMaxEndpoints {
		t.Errorf("cache grew to %d entries, limit %d", len(b.eps), stdMaxEndpoints)
	}
}

func TestStdBindSteadyStateAllocs(t *testing.T) {
	a, _, _ := openStd(t, 0)
	_, bfns, bport := openStd(t, 0)
	ep := a.Endpoint(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), bport))
	send := [][]byte{make([]byte, 1400)}
	recv := [][]byte{make([]byte, 1500)}
	sizes := []int{0}
	eps := []Endpoint{nil}
	allocs := testing.AllocsPerRun(100, func() {
		if err := a.Send(send, 0, ep); err != nil {
			t.Fatal(err)
		}
		if _, err := bfns[0](recv, sizes, eps); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("send+receive allocates %v times per datagram, want 0", allocs)
	}
}

func BenchmarkStdBind(b *testing.B) {
	a, _, _ := openStd(b, 0)
	_, rfns, rport := openStd(b, 0)
	ep := a.Endpoint(netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), rport))
	send := [][]byte{make([]byte, 1400)}
	recv := [][]byte{make([]byte, 1500)}
	sizes := []int{0}
	eps := []Endpoint{nil}
	b.ReportAllocs()
	b.SetBytes(1400)
	for b.Loop() {
		if err := a.Send(send, 0, ep); err != nil {
			b.Fatal(err)
		}
		if _, err := rfns[0](recv, sizes, eps); err != nil {
			b.Fatal(err)
		}
	}
}
