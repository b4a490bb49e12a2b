package bind

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/wgshim/wgshim/core/conn"
)

// fakeSock records writes (payload and control bytes) and serves reads
// from a queue; it stands in for a Winsock UDP socket.
type fakeSock struct {
	network string
	port    uint16

	mu       sync.Mutex
	writes   []fakeWrite
	writeErr func(b, oob []byte) error // nil: every write succeeds
	reads    chan fakeRead
	nreads   int
	closed   chan struct{}
	once     sync.Once
	uroErr   error // returned by setRecvCoalescing(non-zero)
	usoErr   error // returned by probeSendSegmentation
	uroCalls []uint32
}

type fakeWrite struct {
	data, oob []byte
	dst       netip.AddrPort
}

type fakeRead struct {
	data, oob []byte
	from      netip.AddrPort
	err       error
}

func newFakeSock(network string, port uint16) *fakeSock {
	return &fakeSock{network: network, port: port, reads: make(chan fakeRead, 64), closed: make(chan struct{})}
}

func (f *fakeSock) ReadMsgUDPAddrPort(b, oob []byte) (n, oobn, flags int, addr netip.AddrPort, err error) {
	select {
	case r := <-f.reads:
		f.mu.Lock()
		f.nreads++
		f.mu.Unlock()
		if r.err != nil {
			return 0, 0, 0, netip.AddrPort{}, r.err
		}
		if len(r.data) > len(b) {
			return 0, 0, 0, netip.AddrPort{}, &net.OpError{Op: "wsarecvmsg", Err: os.NewSyscallError("wsarecvmsg", wsaemsgsize)}
		}
		return copy(b, r.data), copy(oob, r.oob), 0, r.from, nil
	case <-f.closed:
		return 0, 0, 0, netip.AddrPort{}, &net.OpError{Op: "read", Err: net.ErrClosed}
	}
}

func (f *fakeSock) WriteMsgUDPAddrPort(b, oob []byte, addr netip.AddrPort) (n, oobn int, err error) {
	select {
	case <-f.closed:
		return 0, 0, &net.OpError{Op: "write", Err: net.ErrClosed}
	default:
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.writeErr != nil {
		if err := f.writeErr(b, oob); err != nil {
			return 0, 0, &net.OpError{Op: "write", Net: f.network, Err: err}
		}
	}
	f.writes = append(f.writes, fakeWrite{data: bytes.Clone(b), oob: bytes.Clone(oob), dst: addr})
	return len(b), len(oob), nil
}

func (f *fakeSock) Close() error {
	f.once.Do(func() { close(f.closed) })
	return nil
}

func (f *fakeSock) localPort() uint16 { return f.port }

func (f *fakeSock) setRecvCoalescing(max uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.uroCalls = append(f.uroCalls, max)
	if max != 0 {
		return f.uroErr
	}
	return nil
}

func (f *fakeSock) probeSendSegmentation() error { return f.usoErr }

func (f *fakeSock) takeWrites() []fakeWrite {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.writes
	f.writes = nil
	return w
}

func (f *fakeSock) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.nreads
}

// fakeNet hands out fake sockets; configure, if set, adjusts each before
// the bind probes it, and fail may refuse a listen.
type fakeNet struct {
	mu        sync.Mutex
	socks     []*fakeSock
	nextPort  uint16
	configure func(*fakeSock)
	fail      func(network string, port uint16) error
}

func (n *fakeNet) listen(network string, port uint16) (sock, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail != nil {
		if err := n.fail(network, port); err != nil {
			return nil, err
		}
	}
	if port == 0 {
		if n.nextPort == 0 {
			n.nextPort = 40000
		}
		port = n.nextPort
		n.nextPort++
	}
	s := newFakeSock(network, port)
	if n.configure != nil {
		n.configure(s)
	}
	n.socks = append(n.socks, s)
	return s, nil
}

// sockFor returns the open fake socket of a family.
func (n *fakeNet) sockFor(t *testing.T, network string) *fakeSock {
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	for i := len(n.socks) - 1; i >= 0; i-- {
		if n.socks[i].network == network {
			return n.socks[i]
		}
	}
	t.Fatalf("no %s socket", network)
	return nil
}

func openFake(t *testing.T, n *fakeNet, l layout) (*Bind, []conn.ReceiveFunc) {
	t.Helper()
	b := &Bind{listen: n.listen, layout: l}
	fns, _, err := b.Open(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, fns
}

const testOffset = 16 // headroom the engine leaves before each datagram

// datagrams returns bufs with testOffset bytes of headroom and payloads of
// the given sizes, each filled with its index.
func datagrams(sizes ...int) [][]byte {
	out := make([][]byte, len(sizes))
	for i, n := range sizes {
		b := make([]byte, testOffset+n)
		for j := testOffset; j < len(b); j++ {
			b[j] = byte(i + 1)
		}
		out[i] = b
	}
	return out
}

func joined(bufs [][]byte) []byte {
	var out []byte
	for _, b := range bufs {
		out = append(out, b[testOffset:]...)
	}
	return out
}

func repeat(n, size int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = size
	}
	return s
}

var (
	peer4 = netip.MustParseAddrPort("192.0.2.1:51820")
	peer6 = netip.MustParseAddrPort("[2001:db8::1]:51820")
)

func TestSendSegments(t *testing.T) {
	for _, lt := range layouts {
		t.Run(lt.name, func(t *testing.T) {
			fn := &fakeNet{}
			b, _ := openFake(t, fn, lt.l)
			s4 := fn.sockFor(t, "udp4")
			ep := b.Endpoint(peer4)

			// Ten equal datagrams and a shorter one: one write.
			bufs := datagrams(append(repeat(10, 1200), 300)...)
			if err := b.Send(bufs, testOffset, ep); err != nil {
				t.Fatal(err)
			}
			w := s4.takeWrites()
			if len(w) != 1 {
				t.Fatalf("%d writes, want 1", len(w))
			}
			if !bytes.Equal(w[0].data, joined(bufs)) || w[0].dst != peer4 {
				t.Errorf("write carries %d bytes to %v, want the %d joined bytes to %v", len(w[0].data), w[0].dst, len(joined(bufs)), peer4)
			}
			if want := rawCmsg(lt.l, ipprotoUDP, udpSendMsgSize, le32(1200)); !bytes.Equal(w[0].oob, want) {
				t.Errorf("control message\n%x\nwant\n%x", w[0].oob, want)
			}

			// One datagram: no control message.
			if err := b.Send(datagrams(1200), testOffset, ep); err != nil {
				t.Fatal(err)
			}
			if w := s4.takeWrites(); len(w) != 1 || len(w[0].oob) != 0 || len(w[0].data) != 1200 {
				t.Errorf("single datagram: %d writes, oob %x", len(w), w[0].oob)
			}

			// Mixed sizes follow udpseg.PlanSends: [1000 1000 500] [1400 600] [600].
			bufs = datagrams(1000, 1000, 500, 1400, 600, 600)
			if err := b.Send(bufs, testOffset, ep); err != nil {
				t.Fatal(err)
			}
			w = s4.takeWrites()
			var got []string
			for _, x := range w {
				got = append(got, fmt.Sprintf("%d/%d", len(x.data), parseSendMsgSizeOrZero(x.oob, lt.l)))
			}
			if want := []string{"2500/1000", "2000/1400", "600/0"}; !slices.Equal(got, want) {
				t.Errorf("writes (bytes/segment) %v, want %v", got, want)
			}
			if n := s4.takeWrites(); len(n) != 0 {
				t.Errorf("extra writes %d", len(n))
			}
			if got := b.socks.Load().v4.usoSends.Load(); got != 3 {
				t.Errorf("usoSends = %d, want 3", got)
			}
		})
	}
}

func parseSendMsgSizeOrZero(oob []byte, l layout) int {
	if len(oob) == 0 {
		return 0
	}
	return parseSendMsgSize(oob, l)
}

func TestSendIPv6AndMapped(t *testing.T) {
	fn := &fakeNet{}
	b, _ := openFake(t, fn, hostLayout)
	if err := b.Send(datagrams(100, 100), testOffset, b.Endpoint(peer6)); err != nil {
		t.Fatal(err)
	}
	if w := fn.sockFor(t, "udp6").takeWrites(); len(w) != 1 || w[0].dst != peer6 {
		t.Errorf("ipv6 writes %+v", w)
	}
	mapped := netip.AddrPortFrom(netip.AddrFrom16(peer4.Addr().As16()), peer4.Port())
	if err := b.Send(datagrams(100), testOffset, &conn.StdEndpoint{AddrPort: mapped}); err != nil {
		t.Fatal(err)
	}
	if w := fn.sockFor(t, "udp4").takeWrites(); len(w) != 1 || w[0].dst != peer4 {
		t.Errorf("mapped address writes %+v", w)
	}
}

func wsaErr(e syscall.Errno) error { return os.NewSyscallError("wsasendmsg", e) }

func TestSendFallback(t *testing.T) {
	tests := []struct {
		name string
		// err fails segmented writes (oob set); plainErr fails plain ones.
		err, plainErr error
		wantErr       bool
		wantUSO       bool
		wantFallbacks uint64
	}{
		{name: "WSAEINVAL switches USO off", err: wsaErr(wsaeinval), wantFallbacks: 1},
		{name: "WSAEOPNOTSUPP switches USO off", err: wsaErr(wsaeopnotsupp), wantFallbacks: 1},
		{name: "WSAENOPROTOOPT switches USO off", err: wsaErr(wsaenoprotoopt), wantFallbacks: 1},
		{name: "WSAEMSGSIZE resends but keeps USO", err: wsaErr(wsaemsgsize), wantUSO: true, wantFallbacks: 1},
		{name: "unreachable is returned", err: wsaErr(syscall.Errno(10051)), wantErr: true, wantUSO: true},
		{name: "plain write failing too keeps USO", err: wsaErr(wsaeinval), plainErr: wsaErr(wsaeinval), wantErr: true, wantUSO: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := &fakeNet{configure: func(s *fakeSock) {
				s.writeErr = func(b, oob []byte) error {
					if len(oob) > 0 {
						return tt.err
					}
					return tt.plainErr
				}
			}}
			b, _ := openFake(t, fn, hostLayout)
			s4 := fn.sockFor(t, "udp4")
			bufs := datagrams(500, 500, 500, 200)
			err := b.Send(bufs, testOffset, b.Endpoint(peer4))
			if (err != nil) != tt.wantErr {
				t.Fatalf("Send error %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, errors.Unwrap(tt.err)) {
				t.Errorf("error %v does not wrap %v", err, errors.Unwrap(tt.err))
			}
			sk := b.socks.Load().v4
			if got := sk.uso.Load(); got != tt.wantUSO {
				t.Errorf("USO on = %v, want %v", got, tt.wantUSO)
			}
			if got := sk.usoFallbacks.Load(); got != tt.wantFallbacks {
				t.Errorf("fallbacks = %d, want %d", got, tt.wantFallbacks)
			}
			w := s4.takeWrites()
			if tt.wantErr {
				if len(w) != 0 {
					t.Errorf("%d writes went out", len(w))
				}
				return
			}
			var got []int
			for _, x := range w {
				if len(x.oob) != 0 {
					t.Errorf("a write with a control message succeeded")
				}
				got = append(got, len(x.data))
			}
			if want := []int{500, 500, 500, 200}; !slices.Equal(got, want) {
				t.Errorf("resent %v, want %v", got, want)
			}
			// The next batch: one datagram per write without trying USO
			// again if it is off, or trying (and falling back) if on.
			if err := b.Send(bufs, testOffset, b.Endpoint(peer4)); err != nil {
				t.Fatal(err)
			}
			if w := s4.takeWrites(); len(w) != 4 {
				t.Errorf("second batch: %d writes, want 4", len(w))
			}
			wantFallbacks := tt.wantFallbacks
			if tt.wantUSO {
				wantFallbacks++
			}
			if got := sk.usoFallbacks.Load(); got != wantFallbacks {
				t.Errorf("after second batch fallbacks = %d, want %d", got, wantFallbacks)
			}
		})
	}
}

func TestProbes(t *testing.T) {
	fn := &fakeNet{configure: func(s *fakeSock) {
		s.usoErr = wsaErr(wsaenoprotoopt)
		s.uroErr = wsaErr(wsaenoprotoopt)
	}}
	b, fns := openFake(t, fn, hostLayout)
	s4 := fn.sockFor(t, "udp4")
	if err := b.Send(datagrams(repeat(8, 100)...), testOffset, b.Endpoint(peer4)); err != nil {
		t.Fatal(err)
	}
	for _, w := range s4.takeWrites() {
		if len(w.oob) != 0 {
			t.Fatalf("segmented write although the probe failed")
		}
	}
	// Without coalescing the datagram lands in packets[0] directly.
	s4.reads <- fakeRead{data: []byte("hello"), from: peer4}
	packets, sizes, eps := recvBufs(4, 100)
	n, err := fns[0](packets, sizes, eps)
	if err != nil || n != 1 || string(packets[0][:sizes[0]]) != "hello" || eps[0].Dst() != peer4 {
		t.Fatalf("receive = %d %v %q", n, err, packets[0][:sizes[0]])
	}
	if r := b.socks.Load().v4; r.uro || r.uso.Load() {
		t.Errorf("uro %v uso %v after failed probes", r.uro, r.uso.Load())
	}
	if got := s4.uroCalls; !slices.Equal(got, []uint32{uroMaxSize}) {
		t.Errorf("UDP_RECV_MAX_COALESCED_SIZE set to %v", got)
	}
}

func recvBufs(n, size int) ([][]byte, []int, []conn.Endpoint) {
	packets := make([][]byte, n)
	for i := range packets {
		packets[i] = make([]byte, size)
	}
	return packets, make([]int, n), make([]conn.Endpoint, n)
}

// coalesced returns n segments of seg bytes and a last one of last bytes
// (none if 0), each filled with its index, joined.
func coalesced(n, seg, last int) ([]byte, [][]byte) {
	var segs [][]byte
	for i := range n {
		segs = append(segs, bytes.Repeat([]byte{byte(i + 1)}, seg))
	}
	if last > 0 {
		segs = append(segs, bytes.Repeat([]byte{byte(n + 1)}, last))
	}
	return bytes.Join(segs, nil), segs
}

func TestReceiveSplits(t *testing.T) {
	for _, lt := range layouts {
		t.Run(lt.name, func(t *testing.T) {
			fn := &fakeNet{}
			b, fns := openFake(t, fn, lt.l)
			s4 := fn.sockFor(t, "udp4")
			data, segs := coalesced(5, 1000, 400)
			oob := bytes.Join([][]byte{
				rawCmsg(lt.l, 0, 50, le32(0)), // an unrelated IPPROTO_IP message
				rawCmsg(lt.l, ipprotoUDP, udpCoalescedInfo, le32(1000)),
			}, nil)
			s4.reads <- fakeRead{data: data, oob: oob, from: peer4}
			s4.reads <- fakeRead{data: []byte("next"), from: peer4}

			// Four buffers: four segments, then the remaining two
			// without another read, then the next datagram.
			packets, sizes, eps := recvBufs(4, 2000)
			var got [][]byte
			for _, want := range []struct{ n, reads int }{{4, 1}, {2, 1}, {1, 2}} {
				n, err := fns[0](packets, sizes, eps)
				if err != nil {
					t.Fatal(err)
				}
				if n != want.n || s4.readCount() != want.reads {
					t.Fatalf("receive = %d packets after %d reads, want %d after %d", n, s4.readCount(), want.n, want.reads)
				}
				for i := range n {
					if eps[i].Dst() != peer4 {
						t.Errorf("endpoint %v", eps[i].Dst())
					}
					got = append(got, bytes.Clone(packets[i][:sizes[i]]))
				}
			}
			want := append(segs, []byte("next"))
			if !slices.EqualFunc(got, want, bytes.Equal) {
				t.Errorf("received %d datagrams, not the %d sent", len(got), len(want))
			}
			if c := b.socks.Load().v4.uroReads.Load(); c != 1 {
				t.Errorf("uroReads = %d, want 1", c)
			}
		})
	}
}

func TestReceiveEdgeCases(t *testing.T) {
	fn := &fakeNet{}
	b, fns := openFake(t, fn, hostLayout)
	s4 := fn.sockFor(t, "udp4")
	info := func(seg uint32) []byte { return rawCmsg(hostLayout, ipprotoUDP, udpCoalescedInfo, le32(seg)) }
	tests := []struct {
		name  string
		read  fakeRead
		sizes []int
	}{
		{name: "plain datagram", read: fakeRead{data: make([]byte, 1400)}, sizes: []int{1400}},
		{name: "segment size not below the length", read: fakeRead{data: make([]byte, 1400), oob: info(1400)}, sizes: []int{1400}},
		{name: "empty datagram", read: fakeRead{data: nil}, sizes: []int{0}},
		{name: "exact multiple", read: fakeRead{data: make([]byte, 3000), oob: info(1000)}, sizes: []int{1000, 1000, 1000}},
		{name: "truncated control message", read: fakeRead{data: make([]byte, 3000), oob: info(1000)[:hostLayout.msgLen(4)-1]}, sizes: []int{3000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.read.from = peer4
			s4.reads <- tt.read
			packets, sizes, eps := recvBufs(8, 4000)
			n, err := fns[0](packets, sizes, eps)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sizes[:n], tt.sizes) {
				t.Errorf("sizes %v, want %v", sizes[:n], tt.sizes)
			}
		})
	}
	_ = b
}

// transportMsg is a WireGuard transport message for receiver index idx:
// header, counter, and size-16 bytes of "ciphertext".
func transportMsg(idx uint32, counter uint64, size int) []byte {
	m := make([]byte, size)
	m[0] = msgTransport
	m[4], m[5], m[6], m[7] = byte(idx), byte(idx>>8), byte(idx>>16), byte(idx>>24)
	for i := range 8 {
		m[8+i] = byte(counter >> (8 * i))
	}
	for i := 16; i < size; i++ {
		m[i] = byte(i*7 + int(counter)) // never the header pattern
	}
	return m
}

func TestTransportRun(t *testing.T) {
	run := func(idx uint32, sizes ...int) []byte {
		var out []byte
		for i, n := range sizes {
			out = append(out, transportMsg(idx, uint64(i), n)...)
		}
		return out
	}
	tests := []struct {
		name string
		in   []byte
		want int
	}{
		{name: "three equal", in: run(7, 1452, 1452, 1452), want: 1452},
		{name: "shorter last", in: run(7, 1452, 1452, 96), want: 1452},
		{name: "keepalive-sized", in: run(7, 32, 32, 32), want: 32},
		{name: "single message", in: run(7, 1452), want: 0},
		{name: "two peers", in: append(run(7, 500), run(8, 500)...), want: 0},
		{name: "irregular sizes", in: run(7, 500, 400, 500), want: 0},
		{name: "last too short for a message", in: append(run(7, 500, 500), 4, 0, 0, 0, 7, 0, 0, 0), want: 0},
		{name: "handshake initiation", in: append([]byte{1, 0, 0, 0}, make([]byte, 144)...), want: 0},
		{name: "tiny", in: []byte{4, 0, 0, 0}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := transportRun(tt.in); got != tt.want {
				t.Errorf("transportRun = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestReceiveCoalescedWithoutInfo: a run of transport messages that came
// without UDP_COALESCED_INFO is split, and coalescing is switched off.
func TestReceiveCoalescedWithoutInfo(t *testing.T) {
	fn := &fakeNet{}
	b, fns := openFake(t, fn, hostLayout)
	s4 := fn.sockFor(t, "udp4")
	var msgs [][]byte
	for i := range 3 {
		msgs = append(msgs, transportMsg(9, uint64(i), 1200))
	}
	msgs = append(msgs, transportMsg(9, 3, 80))
	s4.reads <- fakeRead{data: bytes.Join(msgs, nil), from: peer4}
	packets, sizes, eps := recvBufs(8, 2000)
	n, err := fns[0](packets, sizes, eps)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	for i := range n {
		got = append(got, packets[i][:sizes[i]])
	}
	if !slices.EqualFunc(got, msgs, bytes.Equal) {
		t.Errorf("got %d datagrams, want the %d messages", n, len(msgs))
	}
	sk := b.socks.Load().v4
	if sk.uroBroken.Load() != 1 {
		t.Errorf("uroBroken = %d", sk.uroBroken.Load())
	}
	if want := []uint32{uroMaxSize, 0}; !slices.Equal(s4.uroCalls, want) {
		t.Errorf("UDP_RECV_MAX_COALESCED_SIZE set to %v, want %v", s4.uroCalls, want)
	}
}

// TestReceiveTrustsLabelledStack: once a receive has carried
// UDP_COALESCED_INFO, plain receives are taken as single datagrams, so
// the per-packet transportRun scan stops and coalescing stays on.
func TestReceiveTrustsLabelledStack(t *testing.T) {
	fn := &fakeNet{}
	b, fns := openFake(t, fn, hostLayout)
	s4 := fn.sockFor(t, "udp4")
	labelled := bytes.Join([][]byte{transportMsg(9, 0, 1200), transportMsg(9, 1, 1200)}, nil)
	s4.reads <- fakeRead{data: labelled, oob: rawCmsg(hostLayout, ipprotoUDP, udpCoalescedInfo, le32(1200)), from: peer4}
	// A single datagram that happens to look like a run (it cannot come
	// from a stack that labels its runs).
	lookalike := bytes.Join([][]byte{transportMsg(9, 2, 100), transportMsg(9, 3, 100)}, nil)
	s4.reads <- fakeRead{data: lookalike, from: peer4}
	packets, sizes, eps := recvBufs(8, 4000)
	if n, err := fns[0](packets, sizes, eps); err != nil || n != 2 || sizes[0] != 1200 || sizes[1] != 1200 {
		t.Fatalf("labelled run: %d datagrams (sizes %v), %v; want 2 of 1200", n, sizes[:2], err)
	}
	n, err := fns[0](packets, sizes, eps)
	if err != nil || n != 1 || !bytes.Equal(packets[0][:sizes[0]], lookalike) {
		t.Fatalf("plain receive after a labelled one: %d datagrams, %v; want it whole", n, err)
	}
	if got := b.socks.Load().v4.uroBroken.Load(); got != 0 {
		t.Errorf("uroBroken = %d, want 0", got)
	}
	if want := []uint32{uroMaxSize}; !slices.Equal(s4.uroCalls, want) {
		t.Errorf("UDP_RECV_MAX_COALESCED_SIZE set to %v, want %v", s4.uroCalls, want)
	}
}

func TestOpenPairing(t *testing.T) {
	inUse := &net.OpError{Op: "listen", Err: os.NewSyscallError("bind", wsaeaddrinuse)}
	t.Run("ipv6 port taken: retry", func(t *testing.T) {
		tries := 0
		fn := &fakeNet{fail: func(network string, port uint16) error {
			if network == "udp6" && tries < 2 {
				tries++
				return inUse
			}
			return nil
		}}
		b := &Bind{listen: fn.listen, layout: hostLayout}
		fns, port, err := b.Open(0)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if len(fns) != 2 || port != 40002 || fn.sockFor(t, "udp6").port != port {
			t.Errorf("fns %d port %d", len(fns), port)
		}
	})
	t.Run("fixed port taken for ipv6 fails", func(t *testing.T) {
		fn := &fakeNet{fail: func(network string, port uint16) error {
			if network == "udp6" {
				return inUse
			}
			return nil
		}}
		b := &Bind{listen: fn.listen, layout: hostLayout}
		if _, _, err := b.Open(51820); !errors.Is(err, wsaeaddrinuse) {
			t.Fatalf("Open = %v, want WSAEADDRINUSE", err)
		}
	})
	t.Run("no ipv6", func(t *testing.T) {
		fn := &fakeNet{fail: func(network string, port uint16) error {
			if network == "udp6" {
				return syscall.Errno(10047) // WSAEAFNOSUPPORT
			}
			return nil
		}}
		b := &Bind{listen: fn.listen, layout: hostLayout}
		fns, _, err := b.Open(0)
		if err != nil || len(fns) != 1 {
			t.Fatalf("Open = %d fns, %v", len(fns), err)
		}
		defer b.Close()
		err = b.Send(datagrams(10), testOffset, b.Endpoint(peer6))
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("send to ipv6 = %v", err)
		}
	})
	t.Run("open twice", func(t *testing.T) {
		b, _ := openFake(t, &fakeNet{}, hostLayout)
		if _, _, err := b.Open(0); err == nil {
			t.Error("second Open succeeded")
		}
	})
}

func TestClose(t *testing.T) {
	fn := &fakeNet{}
	b, fns := openFake(t, fn, hostLayout)
	s4 := fn.sockFor(t, "udp4")
	data, _ := coalesced(4, 100, 0)
	s4.reads <- fakeRead{data: data, oob: rawCmsg(hostLayout, ipprotoUDP, udpCoalescedInfo, le32(100)), from: peer4}
	packets, sizes, eps := recvBufs(1, 200)
	if n, err := fns[0](packets, sizes, eps); n != 1 || err != nil {
		t.Fatalf("receive = %d, %v", n, err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := fns[1](packets, sizes, eps) // blocks: nothing to read on udp6
		done <- err
	}()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Errorf("blocked receive = %v, want net.ErrClosed", err)
	}
	if _, err := fns[0](packets, sizes, eps); !errors.Is(err, net.ErrClosed) {
		t.Errorf("receive with pending segments after Close = %v, want net.ErrClosed", err)
	}
	if err := b.Send(datagrams(10), testOffset, b.Endpoint(peer4)); !errors.Is(err, conn.ErrBindClosed) {
		t.Errorf("Send after Close = %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := b.SetMark(1); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("SetMark = %v", err)
	}
}

// TestConcurrentSend sends from several goroutines while segmented
// writes start failing, for the race detector.
func TestConcurrentSend(t *testing.T) {
	var failing atomic.Bool
	fn := &fakeNet{configure: func(s *fakeSock) {
		s.writeErr = func(b, oob []byte) error {
			if len(oob) > 0 && failing.Load() {
				return wsaErr(wsaeinval)
			}
			return nil
		}
	}}
	b, _ := openFake(t, fn, hostLayout)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			bufs := datagrams(repeat(16, 200+g)...)
			for i := range 50 {
				if g == 0 && i == 25 {
					failing.Store(true)
				}
				if err := b.Send(bufs, testOffset, b.Endpoint(peer4)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	var total int
	for _, w := range fn.sockFor(t, "udp4").takeWrites() {
		total += len(w.data)
	}
	if want := 50 * 16 * (200 + 201 + 202 + 203); total != want {
		t.Errorf("%d bytes written, want %d", total, want)
	}
	if b.socks.Load().v4.uso.Load() {
		t.Error("USO still on")
	}
}

// perRead is how many 1400-byte datagrams one 64 KiB receive holds.
const perRead = recvBufSize / 1400

func TestReceiveAllocs(t *testing.T) {
	fn := &fakeNet{}
	_, fns := openFake(t, fn, hostLayout)
	s4 := fn.sockFor(t, "udp4")
	data, _ := coalesced(perRead, 1400, 0)
	read := fakeRead{data: data, oob: rawCmsg(hostLayout, ipprotoUDP, udpCoalescedInfo, le32(1400)), from: peer4}
	packets, sizes, eps := recvBufs(batchSize, 2000)
	s4.reads <- read
	if _, err := fns[0](packets, sizes, eps); err != nil { // caches the endpoint
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		s4.reads <- read
		if n, err := fns[0](packets, sizes, eps); err != nil || n != perRead {
			t.Fatalf("receive = %d, %v", n, err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per coalesced receive, want 0", allocs)
	}
}

func BenchmarkReceiveCoalesced(b *testing.B) {
	fn := &fakeNet{}
	bd := &Bind{listen: fn.listen, layout: hostLayout}
	fns, _, err := bd.Open(0)
	if err != nil {
		b.Fatal(err)
	}
	defer bd.Close()
	s4 := fn.socks[0]
	data, _ := coalesced(perRead, 1400, 0)
	read := fakeRead{data: data, oob: rawCmsg(hostLayout, ipprotoUDP, udpCoalescedInfo, le32(1400)), from: peer4}
	packets, sizes, eps := recvBufs(batchSize, 2000)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		s4.reads <- read
		if _, err := fns[0](packets, sizes, eps); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendSegmented measures Send's own work for a batch of equal
// datagrams (plan, copy, control message) against a socket that only
// counts.
func BenchmarkSendSegmented(b *testing.B) {
	bd := &Bind{listen: func(network string, port uint16) (sock, error) {
		return &countSock{fakeSock: newFakeSock(network, 40000)}, nil
	}, layout: hostLayout}
	if _, _, err := bd.Open(0); err != nil {
		b.Fatal(err)
	}
	defer bd.Close()
	bufs := datagrams(repeat(batchSize, 1400)...)
	ep := bd.Endpoint(peer4)
	b.ReportAllocs()
	b.SetBytes(int64(batchSize * 1400))
	for b.Loop() {
		if err := bd.Send(bufs, testOffset, ep); err != nil {
			b.Fatal(err)
		}
	}
}

type countSock struct {
	*fakeSock
	n int
}

func (c *countSock) WriteMsgUDPAddrPort(b, oob []byte, addr netip.AddrPort) (int, int, error) {
	c.n++
	return len(b), len(oob), nil
}
