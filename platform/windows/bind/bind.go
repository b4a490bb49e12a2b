package bind

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/wgshim/wgshim/core/conn"
	"github.com/wgshim/wgshim/platform/udpseg"
)

const (
	// batchSize is the number of datagrams Send and a ReceiveFunc handle
	// per call, as on Linux.
	batchSize = 64
	// maxSegments bounds the datagrams of one segmented send. Winsock
	// documents no limit; one batch is the most Send ever has.
	maxSegments = batchSize
	// A segmented send must fit one IP packet's length field.
	maxSegBytes4 = 0xffff - 20 - 8 // IPv4 total length minus IPv4 and UDP headers
	maxSegBytes6 = 0xffff - 40 - 8 // as on Linux: below the IPv6 payload limit with room for the header
	// recvBufSize holds the largest coalesced receive.
	recvBufSize = 1 << 16
	// uroMaxSize is the UDP_RECV_MAX_COALESCED_SIZE asked for: the largest
	// UDP payload, as msquic uses (MAX_URO_PAYLOAD_LENGTH).
	uroMaxSize = 0xffff - 8
	// sockBufSize is the SO_RCVBUF/SO_SNDBUF asked for; bursts of
	// batchSize full-size datagrams need more than the default.
	sockBufSize = 4 << 20
	// maxEndpoints bounds the endpoint cache; see endpointCache.
	maxEndpoints = 4096
)

// Winsock error codes (winerror.h) the bind reacts to. syscall.Errno values
// compare equal on every GOOS, which lets the tests run anywhere.
const (
	wsaeinval      = syscall.Errno(10022) // WSAEINVAL
	wsaemsgsize    = syscall.Errno(10040) // WSAEMSGSIZE
	wsaenoprotoopt = syscall.Errno(10042) // WSAENOPROTOOPT
	wsaeopnotsupp  = syscall.Errno(10045) // WSAEOPNOTSUPP
	wsaeaddrinuse  = syscall.Errno(10048) // WSAEADDRINUSE
)

// sock is one UDP socket: a *net.UDPConn with the Winsock options on
// Windows, a fake in the tests. Reads and writes are those of net.UDPConn,
// which on Windows are WSARecvMsg and WSASendMsg with oob as the control
// buffer.
type sock interface {
	ReadMsgUDPAddrPort(b, oob []byte) (n, oobn, flags int, addr netip.AddrPort, err error)
	WriteMsgUDPAddrPort(b, oob []byte, addr netip.AddrPort) (n, oobn int, err error)
	Close() error
	localPort() uint16
	// setRecvCoalescing sets UDP_RECV_MAX_COALESCED_SIZE; 0 turns
	// receive coalescing off.
	setRecvCoalescing(max uint32) error
	// probeSendSegmentation reads UDP_SEND_MSG_SIZE, which fails where
	// Windows has no send segmentation. It does not set the option: a
	// socket-wide segment size would also cut datagrams sent without a
	// control message.
	probeSendSegmentation() error
}

// listenFunc opens one socket, "udp4" or "udp6", on port.
type listenFunc func(network string, port uint16) (sock, error)

// Bind is the Windows UDP bind: one IPv4 and one IPv6 socket on one port,
// with UDP send segmentation (USO) and receive coalescing (URO) where
// Windows has them. See the package documentation.
type Bind struct {
	mu     sync.Mutex // serialises Open and Close
	socks  atomic.Pointer[sockets]
	listen listenFunc
	layout layout

	eps      endpointCache
	sendPool sync.Pool // *sender

	// Test knobs, read by Open.
	noUSO, noURO bool
}

var _ conn.Bind = (*Bind)(nil)

// New returns a closed Windows bind. On other OSes its Open fails with
// errors.ErrUnsupported.
func New() conn.Bind {
	return &Bind{listen: listenUDP, layout: hostLayout}
}

type sockets struct{ v4, v6 *socket }

type socket struct {
	c        sock
	v6       bool
	maxBytes int         // largest segmented send
	uro      bool        // coalescing was switched on at Open
	uso      atomic.Bool // segmented sends are allowed
	closed   atomic.Bool // set by Close: pending segments are dropped

	// Counters for tests and debugging.
	usoSends     atomic.Uint64 // writes that carried UDP_SEND_MSG_SIZE
	usoFallbacks atomic.Uint64 // segmented writes resent one datagram at a time
	uroReads     atomic.Uint64 // receives that were coalesced
	uroBroken    atomic.Uint64 // coalesced receives that came without UDP_COALESCED_INFO
}

var errAlreadyOpen = errors.New("bind: already open")

// Open binds port on IPv4 and IPv6 (port 0: the IPv4 socket picks one and
// the IPv6 socket takes the same number, retrying a few times if it is
// taken). A host without IPv6 (or IPv4) gets the other family alone.
func (b *Bind) Open(port uint16) ([]conn.ReceiveFunc, uint16, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.socks.Load() != nil {
		return nil, 0, errAlreadyOpen
	}
	s, actual, err := b.listenPair(port)
	if err != nil {
		return nil, 0, err
	}
	b.socks.Store(s)
	var fns []conn.ReceiveFunc
	for _, sk := range []*socket{s.v4, s.v6} {
		if sk != nil {
			fns = append(fns, b.newReceiver(sk).receive)
		}
	}
	return fns, actual, nil
}

func (b *Bind) listenPair(port uint16) (*sockets, uint16, error) {
	v4, v6, actual, err := conn.ListenPair(port, func(v6 bool, port uint16) (*socket, uint16, error) {
		s, err := b.open(v6, port)
		if err != nil {
			return nil, 0, err
		}
		return s, s.c.localPort(), nil
	})
	if err != nil {
		return nil, 0, err
	}
	return &sockets{v4: v4, v6: v6}, actual, nil
}

func (s *socket) Close() error { return s.c.Close() }

// open opens one socket and probes its offloads.
func (b *Bind) open(v6 bool, port uint16) (*socket, error) {
	network := "udp4"
	if v6 {
		network = "udp6"
	}
	c, err := b.listen(network, port)
	if err != nil {
		return nil, fmt.Errorf("bind: listen %s port %d: %w", network, port, err)
	}
	s := &socket{c: c, v6: v6, maxBytes: maxSegBytes4}
	if v6 {
		s.maxBytes = maxSegBytes6
	}
	// Windows before 10 version 2004 refuses both options; the socket
	// then works one datagram per call.
	if !b.noURO {
		s.uro = c.setRecvCoalescing(uroMaxSize) == nil
	}
	if !b.noUSO {
		s.uso.Store(c.probeSendSegmentation() == nil)
	}
	return s, nil
}

// Close closes the sockets; blocked ReceiveFuncs return net.ErrClosed and
// segments not yet handed out are dropped. Closing a closed bind is not an
// error.
func (b *Bind) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.socks.Swap(nil)
	if s == nil {
		return nil
	}
	var errs []error
	for _, sk := range []*socket{s.v4, s.v6} {
		if sk != nil {
			sk.closed.Store(true)
			errs = append(errs, sk.c.Close())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bind: close: %w", err)
	}
	return nil
}

// SetMark returns errors.ErrUnsupported: Windows has no firewall mark on
// sockets.
func (b *Bind) SetMark(mark uint32) error {
	return fmt.Errorf("bind: set mark %d: %w", mark, errors.ErrUnsupported)
}

// Endpoint returns an endpoint for addr. IPv4-mapped IPv6 addresses are
// unmapped so that they go out of the IPv4 socket.
func (b *Bind) Endpoint(addr netip.AddrPort) conn.Endpoint {
	return &conn.StdEndpoint{AddrPort: netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())}
}

// BatchSize is the number of datagrams one Send or receive handles.
func (b *Bind) BatchSize() int { return batchSize }

// sender is the per-call scratch of Send, pooled.
type sender struct {
	spans []udpseg.Span
	buf   []byte    // the datagrams of one segmented send, back to back
	ctrl  [4]uint64 // control buffer; uint64 keeps it pointer-aligned
}

func (sc *sender) control() []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(&sc.ctrl[0])), sendControlSize)
}

func (b *Bind) getSender() *sender {
	if sc, _ := b.sendPool.Get().(*sender); sc != nil {
		return sc
	}
	return &sender{spans: make([]udpseg.Span, 0, batchSize), buf: make([]byte, 0, recvBufSize)}
}

// Send sends each bufs[i][offset:] to ep. Runs of equal-sized datagrams
// (the last of a run may be shorter) go out as one write carrying
// UDP_SEND_MSG_SIZE; a single datagram carries no control message.
//
// A segmented write that fails with an error meaning "not supported"
// (WSAEINVAL, WSAEOPNOTSUPP, WSAENOPROTOOPT; quinn-udp met WSAEINVAL from
// builds that know the option but cannot segment) is resent one datagram
// at a time, and if the first of those goes out, segmentation is switched
// off for the socket. WSAEMSGSIZE (a segment larger than the path MTU) resends that
// run alone and leaves segmentation on, as the limit belongs to the path.
func (b *Bind) Send(bufs [][]byte, offset int, ep conn.Endpoint) error {
	if len(bufs) == 0 {
		return nil
	}
	socks := b.socks.Load()
	if socks == nil {
		return conn.ErrBindClosed
	}
	dst := ep.Dst()
	dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	s := socks.v6
	if dst.Addr().Is4() {
		s = socks.v4
	}
	if s == nil {
		return fmt.Errorf("bind: send to %v: no socket for this address family: %w", dst, errors.ErrUnsupported)
	}
	if len(bufs) == 1 || !s.uso.Load() {
		for _, buf := range bufs {
			if err := s.write(buf[offset:], nil, dst); err != nil {
				return err
			}
		}
		return nil
	}
	sc := b.getSender()
	defer b.sendPool.Put(sc)
	sc.spans = udpseg.PlanSends(bufs, offset, true, maxSegments, s.maxBytes, sc.spans[:0])
	for _, sp := range sc.spans {
		if sp.End-sp.Start > 1 && s.uso.Load() {
			if err := b.sendSegmented(s, sc, bufs[sp.Start:sp.End], offset, sp.Seg, dst); err != nil {
				return err
			}
			continue
		}
		for _, buf := range bufs[sp.Start:sp.End] {
			if err := s.write(buf[offset:], nil, dst); err != nil {
				return err
			}
		}
	}
	return nil
}

// sendSegmented writes bufs as one segmented write. On an error that a
// plain write might avoid it sends the datagrams one at a time instead
// and, if the first of them goes out and the error meant "not supported",
// switches segmentation off for the socket.
func (b *Bind) sendSegmented(s *socket, sc *sender, bufs [][]byte, offset, seg int, dst netip.AddrPort) error {
	data := sc.buf[:0]
	for _, buf := range bufs {
		data = append(data, buf[offset:]...)
	}
	sc.buf = data[:0]
	ctrl := sc.control()
	n := putSegmentSize(ctrl, b.layout, uint32(seg))
	_, _, err := s.c.WriteMsgUDPAddrPort(data, ctrl[:n], dst)
	if err == nil {
		s.usoSends.Add(1)
		return nil
	}
	if errors.Is(err, net.ErrClosed) {
		return conn.ErrBindClosed
	}
	unsupported := errors.Is(err, wsaeinval) || errors.Is(err, wsaeopnotsupp) || errors.Is(err, wsaenoprotoopt)
	if !unsupported && !errors.Is(err, wsaemsgsize) {
		return fmt.Errorf("bind: send to %v: %w", dst, err)
	}
	if err := s.write(bufs[0][offset:], nil, dst); err != nil {
		// A plain write fails as well: the error is not about
		// segmentation.
		return err
	}
	s.usoFallbacks.Add(1)
	if unsupported {
		s.uso.Store(false)
	}
	for _, buf := range bufs[1:] {
		if err := s.write(buf[offset:], nil, dst); err != nil {
			return err
		}
	}
	return nil
}

// write sends one datagram.
func (s *socket) write(b, oob []byte, dst netip.AddrPort) error {
	if _, _, err := s.c.WriteMsgUDPAddrPort(b, oob, dst); err != nil {
		if errors.Is(err, net.ErrClosed) {
			return conn.ErrBindClosed
		}
		return fmt.Errorf("bind: send to %v: %w", dst, err)
	}
	return nil
}

// receiver holds the state of one socket's ReceiveFunc.
type receiver struct {
	s   *socket
	b   *Bind
	mu  sync.Mutex // one receive at a time per socket
	buf []byte     // coalesced receives; nil without coalescing
	oob []byte     // control buffer

	// The receive in buf[:n] not yet handed out from byte off on.
	n, seg, off int
	ep          *conn.StdEndpoint
	// infoSeen is set by the first receive that carried
	// UDP_COALESCED_INFO: this stack labels what it coalesces, so plain
	// receives are single datagrams and need no transportRun scan.
	infoSeen bool
}

func (b *Bind) newReceiver(s *socket) *receiver {
	r := &receiver{s: s, b: b}
	if s.uro {
		r.buf = make([]byte, recvBufSize)
		// Allocated as uint64s so that Winsock finds its WSACMSGHDR
		// pointer-aligned.
		ctrl := make([]uint64, recvControlSize/8)
		r.oob = unsafe.Slice((*byte)(unsafe.Pointer(&ctrl[0])), recvControlSize)
	}
	return r
}

// receive is the ReceiveFunc. Without coalescing it reads one datagram
// straight into packets[0]. With coalescing it reads one receive, which
// may hold many datagrams, into its own buffer and copies them out, as
// many as packets has room for; the rest waits for the next call.
func (r *receiver) receive(packets [][]byte, sizes []int, eps []conn.Endpoint) (int, error) {
	if len(packets) == 0 {
		return 0, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.s.closed.Load() {
		return 0, net.ErrClosed
	}
	if r.buf == nil {
		n, _, _, ap, err := r.s.c.ReadMsgUDPAddrPort(packets[0], nil)
		if err != nil {
			return 0, readError(err)
		}
		sizes[0] = n
		eps[0] = r.b.eps.get(ap)
		return 1, nil
	}
	if r.off >= r.n {
		n, oobn, _, ap, err := r.s.c.ReadMsgUDPAddrPort(r.buf, r.oob)
		if err != nil {
			r.n, r.off = 0, 0
			return 0, readError(err)
		}
		seg := parseCoalescedInfo(r.oob[:min(oobn, len(r.oob))], r.b.layout)
		switch {
		case seg > 0:
			r.infoSeen = true
		case !r.infoSeen:
			if seg = transportRun(r.buf[:n]); seg > 0 {
				r.coalescingBroken()
			}
		}
		if seg >= n {
			seg = 0
		}
		if seg > 0 {
			r.s.uroReads.Add(1)
		}
		r.n, r.seg, r.off, r.ep = n, seg, 0, r.b.eps.get(ap)
	}
	k, next := udpseg.SplitSegments(r.buf[:r.n], r.seg, r.off, packets, sizes)
	for i := range k {
		eps[i] = r.ep
	}
	r.off = next
	return k, nil
}

// coalescingBroken handles a receive that Windows coalesced without the
// UDP_COALESCED_INFO needed to split it, which some machines do
// (quinn-rs/quinn#2041, microsoft/msquic#4955): it switches coalescing off
// for the socket. The receive itself was split by transportRun.
func (r *receiver) coalescingBroken() {
	if r.s.uroBroken.Add(1) == 1 {
		_ = r.s.c.setRecvCoalescing(0)
	}
}

// WireGuard transport data message (whitepaper §5.4.6): type 4, three
// zero bytes, the receiver's index, a counter, then at least the 16-byte
// authentication tag.
const (
	msgTransport      = 4
	transportHeadLen  = 8 // type, reserved, receiver index
	minTransportBytes = 32
)

// transportRun recognises a receive that holds several WireGuard transport
// messages from one peer back to back, coalesced without a segment size:
// the 8 bytes of type, reserved bytes and receiver index recur every seg
// bytes up to the end, and the last message is a whole one. It returns
// seg, or 0 if data does not look like such a run. A single message whose
// ciphertext happened to repeat its own header at every boundary would be
// misread, with probability below 2^-64.
func transportRun(data []byte) int {
	if len(data) < 2*minTransportBytes || data[0] != msgTransport || data[1]|data[2]|data[3] != 0 {
		return 0
	}
	head := data[:transportHeadLen]
	i := bytes.Index(data[minTransportBytes:], head)
	if i < 0 {
		return 0
	}
	seg := minTransportBytes + i
	for k := seg; k < len(data); k += seg {
		if len(data)-k < minTransportBytes || !bytes.Equal(data[k:k+transportHeadLen], head) {
			return 0
		}
	}
	return seg
}

func readError(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return net.ErrClosed
	}
	return fmt.Errorf("bind: receive: %w", err)
}

// endpointCache hands out one shared *conn.StdEndpoint per remote address,
// so that receiving from a known peer does not allocate. A flood from
// spoofed sources empties it when full instead of growing it.
type endpointCache struct {
	mu  sync.RWMutex
	eps map[netip.AddrPort]*conn.StdEndpoint
}

func (c *endpointCache) get(ap netip.AddrPort) *conn.StdEndpoint {
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	c.mu.RLock()
	ep := c.eps[ap]
	c.mu.RUnlock()
	if ep != nil {
		return ep
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ep = c.eps[ap]; ep != nil {
		return ep
	}
	if c.eps == nil || len(c.eps) >= maxEndpoints {
		c.eps = make(map[netip.AddrPort]*conn.StdEndpoint)
	}
	ep = &conn.StdEndpoint{AddrPort: ap}
	c.eps[ap] = ep
	return ep
}
