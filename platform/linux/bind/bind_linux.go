//go:build linux

package bind

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/core/conn"
	"github.com/wgshim/wgshim/platform/udpseg"
)

const (
	// batchSize is how many datagrams one recvmmsg/sendmmsg handles.
	batchSize = 128
	// groReadMsgs is how many (possibly coalesced) datagrams one receive
	// reads when GRO is on. Each needs a 64 KiB buffer, so this trades
	// memory against syscalls for traffic that does not coalesce.
	groReadMsgs = 4
	groBufSize  = 1 << 16
	// sockBufSize is the SO_RCVBUF/SO_SNDBUF asked for; bursts of
	// batchSize full-size datagrams need more than the default.
	sockBufSize = 4 << 20
)

// Bind is the Linux UDP bind: one IPv4 and one IPv6 socket on one port,
// batched with recvmmsg/sendmmsg, UDP GSO on send and GRO on receive where
// the kernel has them, sticky source addresses and SO_MARK.
type Bind struct {
	mu    sync.Mutex // serialises Open, Close and SetMark
	socks atomic.Pointer[sockets]
	mark  uint32

	cache    endpointCache
	sendPool sync.Pool // *sender

	// Test knobs, read by Open.
	noGSO, noGRO bool
}

var _ conn.Bind = (*Bind)(nil)

// New returns a closed Linux bind.
func New() conn.Bind {
	return &Bind{}
}

type sockets struct{ v4, v6 *socket }

type socket struct {
	c           *net.UDPConn
	rc          syscall.RawConn
	v6          bool
	gro         bool
	closed      atomic.Bool // set by Close: pending GRO segments are dropped
	gso         atomic.Bool
	maxGSOBytes int
	maxGSOSegs  int // maxGSOSegments; tests raise it to provoke EINVAL

	// Counters for tests and debugging.
	gsoSends    atomic.Uint64 // sendmsgs that carried UDP_SEGMENT
	groMessages atomic.Uint64 // received datagrams that were coalesced
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
			fns = append(fns, newReceiver(sk, &b.cache).receive)
		}
	}
	return fns, actual, nil
}

func (b *Bind) listenPair(port uint16) (*sockets, uint16, error) {
	v4, v6, actual, err := conn.ListenPair(port, func(v6 bool, port uint16) (*socket, uint16, error) {
		s, err := b.listen(v6, port)
		if err != nil {
			return nil, 0, err
		}
		return s, s.port(), nil
	})
	if err != nil {
		return nil, 0, err
	}
	return &sockets{v4: v4, v6: v6}, actual, nil
}

func (s *socket) Close() error { return s.c.Close() }

func (s *socket) port() uint16 { return uint16(s.c.LocalAddr().(*net.UDPAddr).Port) }

// listen opens and configures one socket.
func (b *Bind) listen(v6 bool, port uint16) (*socket, error) {
	network := "udp4"
	if v6 {
		// The net package sets IPV6_V6ONLY for "udp6".
		network = "udp6"
	}
	c, err := net.ListenUDP(network, &net.UDPAddr{Port: int(port)})
	if err != nil {
		return nil, fmt.Errorf("bind: listen %s port %d: %w", network, port, err)
	}
	rc, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("bind: listen %s port %d: %w", network, port, err)
	}
	s := &socket{c: c, rc: rc, v6: v6, maxGSOBytes: maxGSOBytes4, maxGSOSegs: maxGSOSegments}
	if v6 {
		s.maxGSOBytes = maxGSOBytes6
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = b.setup(s, int(fd)) }); err != nil {
		serr = err
	}
	if serr != nil {
		c.Close()
		return nil, fmt.Errorf("bind: listen %s port %d: %w", network, port, serr)
	}
	return s, nil
}

// setup sets the socket options: packet info for sticky sources, buffer
// sizes, GRO and GSO detection, and the firewall mark.
func (b *Bind) setup(s *socket, fd int) error {
	if s.v6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1); err != nil {
			return os.NewSyscallError("setsockopt IPV6_RECVPKTINFO", err)
		}
	} else {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_PKTINFO, 1); err != nil {
			return os.NewSyscallError("setsockopt IP_PKTINFO", err)
		}
	}
	// Best effort: the FORCE variants need CAP_NET_ADMIN, the plain ones
	// are capped by net.core.[rw]mem_max.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, sockBufSize) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, sockBufSize)
	}
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, sockBufSize) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, sockBufSize)
	}
	// UDP_GRO appeared in Linux 5.0, UDP_SEGMENT in 4.18; older kernels
	// refuse the option and we go without.
	if !b.noGRO {
		s.gro = unix.SetsockoptInt(fd, unix.IPPROTO_UDP, unix.UDP_GRO, 1) == nil
	}
	if !b.noGSO {
		_, err := unix.GetsockoptInt(fd, unix.IPPROTO_UDP, unix.UDP_SEGMENT)
		s.gso.Store(err == nil)
	}
	if b.mark != 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_MARK, int(b.mark)); err != nil {
			return fmt.Errorf("set mark %d: %w", b.mark, os.NewSyscallError("setsockopt SO_MARK", err))
		}
	}
	return nil
}

// Close closes the sockets; blocked ReceiveFuncs return net.ErrClosed.
// Closing a closed bind is not an error.
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
	b.cache.reset()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bind: close: %w", err)
	}
	return nil
}

// SetMark sets SO_MARK on the sockets (CAP_NET_ADMIN needed for a non-zero
// mark) and remembers it for later Opens.
func (b *Bind) SetMark(mark uint32) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mark = mark
	s := b.socks.Load()
	if s == nil {
		return nil
	}
	for _, sk := range []*socket{s.v4, s.v6} {
		if sk == nil {
			continue
		}
		var serr error
		err := sk.rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK, int(mark))
		})
		if err == nil && serr != nil {
			err = os.NewSyscallError("setsockopt SO_MARK", serr)
		}
		if err != nil {
			return fmt.Errorf("bind: set mark %d: %w", mark, err)
		}
	}
	return nil
}

// Endpoint returns a fresh endpoint for addr, without a sticky source.
func (b *Bind) Endpoint(addr netip.AddrPort) conn.Endpoint { return newEndpoint(addr) }

// BatchSize is the number of datagrams one receive or send call handles.
func (b *Bind) BatchSize() int { return batchSize }

// receiver holds the preallocated state of one socket's ReceiveFunc.
type receiver struct {
	s     *socket
	cache *endpointCache

	mu     sync.Mutex // one receive at a time per socket
	hdrs   []mmsghdr
	iovs   []unix.Iovec
	names  [][sizeofSockaddr]byte
	ctrl   []byte
	readFn func(fd uintptr) bool
	want   int
	got    int
	errno  unix.Errno

	// GRO: datagrams read into groBufs and not yet handed out.
	groBufs [][]byte
	pend    []pending
	head    int // first pend entry not fully delivered
	off     int // byte offset into pend[head]
}

type pending struct {
	n, seg int
	ep     *Endpoint
}

func newReceiver(s *socket, cache *endpointCache) *receiver {
	r := &receiver{
		s:     s,
		cache: cache,
		hdrs:  make([]mmsghdr, batchSize),
		iovs:  make([]unix.Iovec, batchSize),
		names: make([][sizeofSockaddr]byte, batchSize),
		ctrl:  make([]byte, batchSize*recvControlSize),
	}
	r.readFn = r.read
	if s.gro {
		r.groBufs = make([][]byte, groReadMsgs)
		for i := range r.groBufs {
			r.groBufs[i] = make([]byte, groBufSize)
		}
		r.pend = make([]pending, 0, groReadMsgs)
	}
	return r
}

// receive is the ReceiveFunc.
func (r *receiver) receive(packets [][]byte, sizes []int, eps []conn.Endpoint) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.s.closed.Load() {
		return 0, net.ErrClosed
	}
	if !r.s.gro {
		n, err := r.recv(packets[:min(len(packets), batchSize)])
		if err != nil {
			return 0, err
		}
		for i := range n {
			sizes[i] = int(r.hdrs[i].n)
			eps[i] = r.endpoint(i)
		}
		return n, nil
	}
	if r.head >= len(r.pend) {
		n, err := r.recv(r.groBufs[:min(len(packets), groReadMsgs)])
		if err != nil {
			return 0, err
		}
		r.pend, r.head, r.off = r.pend[:0], 0, 0
		for i := range n {
			seg := r.info(i).gsoSize
			size := int(r.hdrs[i].n)
			if seg > 0 && size > seg {
				r.s.groMessages.Add(1)
			}
			r.pend = append(r.pend, pending{n: size, seg: seg, ep: r.endpoint(i)})
		}
	}
	return r.drain(packets, sizes, eps), nil
}

// drain hands out pending GRO segments.
func (r *receiver) drain(packets [][]byte, sizes []int, eps []conn.Endpoint) int {
	total := 0
	for r.head < len(r.pend) && total < len(packets) {
		p := r.pend[r.head]
		n, next := udpseg.SplitSegments(r.groBufs[r.head][:p.n], p.seg, r.off, packets[total:], sizes[total:])
		for i := total; i < total+n; i++ {
			eps[i] = p.ep
		}
		total += n
		r.off = next
		if next >= p.n {
			r.head++
			r.off = 0
		}
	}
	return total
}

// recv reads up to len(bufs) datagrams into bufs and returns how many.
func (r *receiver) recv(bufs [][]byte) (int, error) {
	for i, buf := range bufs {
		r.iovs[i].Base = unsafe.SliceData(buf)
		r.iovs[i].SetLen(len(buf))
		h := &r.hdrs[i]
		h.hdr = unix.Msghdr{
			Name:    &r.names[i][0],
			Namelen: sizeofSockaddr,
			Iov:     &r.iovs[i],
			Control: &r.ctrl[i*recvControlSize],
		}
		h.hdr.SetIovlen(1)
		h.hdr.SetControllen(recvControlSize)
		h.n = 0
	}
	r.want, r.got, r.errno = len(bufs), 0, 0
	err := r.s.rc.Read(r.readFn)
	for i := range bufs {
		r.iovs[i].Base = nil // do not pin the caller's buffers
	}
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			return 0, net.ErrClosed
		}
		return 0, fmt.Errorf("bind: receive: %w", err)
	}
	if r.errno != 0 {
		return 0, fmt.Errorf("bind: receive: %w", os.NewSyscallError("recvmmsg", r.errno))
	}
	return r.got, nil
}

// read runs on the poller's behalf; false means "wait until readable".
func (r *receiver) read(fd uintptr) bool {
	for {
		n, errno := recvmmsg(fd, r.hdrs[:r.want], unix.MSG_DONTWAIT)
		switch errno {
		case 0:
			r.got = n
			return true
		case unix.EAGAIN:
			return false
		case unix.EINTR:
			continue
		default:
			r.errno = errno
			return true
		}
	}
}

func (r *receiver) info(i int) recvInfo {
	cl := int(r.hdrs[i].hdr.Controllen)
	off := i * recvControlSize
	return parseControl(r.ctrl[off : off+min(cl, recvControlSize)])
}

func (r *receiver) endpoint(i int) *Endpoint {
	nl := min(int(r.hdrs[i].hdr.Namelen), sizeofSockaddr)
	ap, scope := parseSockaddr(r.names[i][:nl])
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	info := r.info(i)
	return r.cache.get(ap, scope, info.dst, info.ifindex)
}

// sender is the per-call scratch of Send, pooled.
type sender struct {
	hdrs    []mmsghdr
	iovs    []unix.Iovec
	ctrl    []byte
	spans   []udpseg.Span
	name    [sizeofSockaddr]byte
	count   int // messages built
	niov    int // iovecs used
	sent    int
	errno   unix.Errno
	writeFn func(fd uintptr) bool
}

func (b *Bind) getSender(n int) *sender {
	sc, _ := b.sendPool.Get().(*sender)
	if sc == nil {
		sc = &sender{}
		sc.writeFn = sc.write
	}
	if len(sc.hdrs) < n {
		n = max(n, batchSize)
		sc.hdrs = make([]mmsghdr, n)
		sc.iovs = make([]unix.Iovec, n)
		sc.ctrl = make([]byte, n*sendControlSize)
		sc.spans = make([]udpseg.Span, 0, n)
	}
	return sc
}

// Send sends each bufs[i][offset:] to ep, coalescing runs of equal-sized
// datagrams with UDP GSO and using ep's sticky source if it has one.
func (b *Bind) Send(bufs [][]byte, offset int, ep conn.Endpoint) error {
	if len(bufs) == 0 {
		return nil
	}
	socks := b.socks.Load()
	if socks == nil {
		return conn.ErrBindClosed
	}
	e, _ := ep.(*Endpoint)
	dst := ep.Dst()
	dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	var scope uint32
	var src netip.Addr
	if e != nil {
		scope = e.scope
		src, _ = e.source()
	}
	s := socks.v6
	if dst.Addr().Is4() {
		s = socks.v4
	}
	if s == nil {
		return fmt.Errorf("bind: send to %v: no socket for this address family: %w", dst, errors.ErrUnsupported)
	}
	if src.IsValid() && src.Is4() != dst.Addr().Is4() {
		src = netip.Addr{}
	}
	var ifindex uint32
	if e != nil && src.IsValid() {
		ifindex = e.SrcIfindex()
	}

	sc := b.getSender(len(bufs))
	defer b.sendPool.Put(sc)
	nameLen := putSockaddr(&sc.name, dst, scope)
	srcRetried, gsoOff := false, false
	for start := 0; ; {
		gso := !gsoOff && s.gso.Load()
		sc.spans = udpseg.PlanSends(bufs[start:], offset, gso, s.maxGSOSegs, s.maxGSOBytes, sc.spans[:0])
		sc.build(bufs[start:], offset, nameLen, src, ifindex)
		errno, err := s.sendSpans(sc)
		if err != nil {
			return err
		}
		if errno == 0 {
			return nil
		}
		failed := sc.spans[sc.sent]
		coalesced := failed.End-failed.Start > 1
		start += failed.Start
		switch {
		case src.IsValid() && !srcRetried && (errno == unix.EINVAL || errno == unix.ENETUNREACH || errno == unix.EADDRNOTAVAIL):
			// The sticky source is gone (its address was removed): IPv6
			// says EINVAL, IPv4 ENETUNREACH. Forget it and let the
			// kernel choose.
			if e != nil {
				e.clearSrcIf(src)
			}
			src, ifindex, srcRetried = netip.Addr{}, 0, true
		case coalesced && (errno == unix.EIO || errno == unix.EINVAL):
			// The device cannot segment (EIO: no checksum offload) or
			// the kernel rejects the request: no more GSO on this socket.
			s.gso.Store(false)
		case coalesced && errno == unix.EMSGSIZE:
			// A segment exceeds this route's MTU (udp_send_skb). That is
			// a property of the path, not the socket: resend this call
			// without GSO and leave GSO on for other peers.
			gsoOff = true
		default:
			return fmt.Errorf("bind: send to %v: %w", dst, os.NewSyscallError("sendmmsg", errno))
		}
	}
}

// build fills sc.hdrs from sc.spans over bufs.
func (sc *sender) build(bufs [][]byte, offset, nameLen int, src netip.Addr, ifindex uint32) {
	k := 0
	for j, sp := range sc.spans {
		first := k
		for i := sp.Start; i < sp.End; i++ {
			b := bufs[i][offset:]
			sc.iovs[k].Base = unsafe.SliceData(b)
			sc.iovs[k].SetLen(len(b))
			k++
		}
		h := &sc.hdrs[j]
		h.hdr = unix.Msghdr{
			Name:    &sc.name[0],
			Namelen: uint32(nameLen),
			Iov:     &sc.iovs[first],
		}
		h.hdr.SetIovlen(sp.End - sp.Start)
		h.n = 0
		c := sc.ctrl[j*sendControlSize : (j+1)*sendControlSize]
		cl := 0
		if src.IsValid() {
			cl += putPktinfo(c, src, ifindex)
		}
		if sp.End-sp.Start > 1 {
			cl += putSegment(c[cl:], uint16(sp.Seg))
		}
		if cl > 0 {
			h.hdr.Control = &c[0]
			h.hdr.SetControllen(cl)
		}
	}
	sc.count, sc.niov = len(sc.spans), k
}

// sendSpans sends the built messages. It returns the errno of the first
// message that failed (sc.sent is its index), or an error if the socket is
// closed.
func (s *socket) sendSpans(sc *sender) (unix.Errno, error) {
	sc.sent, sc.errno = 0, 0
	err := s.rc.Write(sc.writeFn)
	for i := range sc.iovs[:sc.niov] {
		sc.iovs[i].Base = nil
	}
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			return 0, conn.ErrBindClosed
		}
		return 0, fmt.Errorf("bind: send: %w", err)
	}
	if sc.errno == 0 {
		for _, sp := range sc.spans {
			if sp.End-sp.Start > 1 {
				s.gsoSends.Add(1)
			}
		}
	}
	return sc.errno, nil
}

// write runs on the poller's behalf; false means "wait until writable".
func (sc *sender) write(fd uintptr) bool {
	for sc.sent < sc.count {
		n, errno := sendmmsg(fd, sc.hdrs[sc.sent:sc.count], unix.MSG_DONTWAIT)
		switch errno {
		case 0:
			sc.sent += n
		case unix.EAGAIN:
			return false
		case unix.EINTR:
		default:
			sc.errno = errno
			return true
		}
	}
	return true
}
