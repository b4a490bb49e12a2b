// Package conntest provides an in-memory UDP network for tests. Binds on
// one Network reach each other by address; a test can drop, corrupt or
// observe datagrams in flight with a Filter.
package conntest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/wgshim/wgshim/core/conn"
)

// Network connects Binds. The zero value is not usable; call NewNetwork.
type Network struct {
	mu    sync.Mutex
	binds map[netip.AddrPort]*Bind
	// Filter, if set, sees every datagram; returning false drops it. It
	// may modify the payload in place.
	Filter func(from, to netip.AddrPort, payload []byte) bool
	// outstanding counts datagrams queued or returned by the latest
	// receive call of their bind: a receiver has finished with a batch
	// when it asks for the next one.
	outstanding atomic.Int64
}

// Outstanding is the number of datagrams not yet fully handled: queued, or
// in the receiver's hands until it asks for more. Zero means the network
// is idle.
func (n *Network) Outstanding() int64 { return n.outstanding.Load() }

// NewNetwork returns an empty network.
func NewNetwork() *Network {
	return &Network{binds: make(map[netip.AddrPort]*Bind)}
}

// SetFilter installs f; see Network.Filter.
func (n *Network) SetFilter(f func(from, to netip.AddrPort, payload []byte) bool) {
	n.mu.Lock()
	n.Filter = f
	n.mu.Unlock()
}

// NewBind returns a Bind that listens on addr once opened.
func (n *Network) NewBind(addr netip.Addr) *Bind {
	return &Bind{net: n, addr: addr}
}

type datagram struct {
	from    netip.AddrPort
	payload []byte
}

// Bind is a conn.Bind on a Network.
type Bind struct {
	net  *Network
	addr netip.Addr

	mu    sync.Mutex
	port  uint16
	queue chan datagram
	done  chan struct{}
	mark  uint32
}

var _ conn.Bind = (*Bind)(nil)

// Endpoint is a plain address.
type Endpoint netip.AddrPort

func (e Endpoint) Dst() netip.AddrPort { return netip.AddrPort(e) }
func (e Endpoint) Src() netip.Addr     { return netip.Addr{} }
func (e Endpoint) ClearSrc()           {}

// Open registers the bind on its address and port (0 picks a free one).
func (b *Bind) Open(port uint16) ([]conn.ReceiveFunc, uint16, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.queue != nil {
		return nil, 0, errors.New("conntest: bind already open")
	}
	n := b.net
	n.mu.Lock()
	if port == 0 {
		for p := uint16(40000); ; p++ {
			if _, used := n.binds[netip.AddrPortFrom(b.addr, p)]; !used {
				port = p
				break
			}
		}
	}
	ap := netip.AddrPortFrom(b.addr, port)
	if _, used := n.binds[ap]; used {
		n.mu.Unlock()
		return nil, 0, fmt.Errorf("conntest: %v: address in use", ap)
	}
	n.binds[ap] = b
	n.mu.Unlock()
	b.port = port
	b.queue = make(chan datagram, 4096)
	b.done = make(chan struct{})
	queue, done := b.queue, b.done
	var handed int64
	recv := func(packets [][]byte, sizes []int, eps []conn.Endpoint) (int, error) {
		n.outstanding.Add(-handed)
		handed = 0
		var d datagram
		select {
		case <-done:
			return 0, net.ErrClosed
		case d = <-queue:
		}
		sizes[0] = copy(packets[0], d.payload)
		eps[0] = Endpoint(d.from)
		i := 1
		for ; i < len(packets); i++ {
			select {
			case d = <-queue:
				sizes[i] = copy(packets[i], d.payload)
				eps[i] = Endpoint(d.from)
			default:
				handed = int64(i)
				return i, nil
			}
		}
		handed = int64(i)
		return i, nil
	}
	return []conn.ReceiveFunc{recv}, port, nil
}

// Move re-registers an open bind under a new address, as when a host
// roams to another network.
func (b *Bind) Move(addr netip.Addr) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if b.queue != nil {
		to := netip.AddrPortFrom(addr, b.port)
		if _, used := n.binds[to]; used {
			return fmt.Errorf("conntest: %v: address in use", to)
		}
		delete(n.binds, netip.AddrPortFrom(b.addr, b.port))
		n.binds[to] = b
	}
	b.addr = addr
	return nil
}

// Close unregisters the bind; pending receives return net.ErrClosed.
func (b *Bind) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.queue == nil {
		return nil
	}
	b.net.mu.Lock()
	delete(b.net.binds, netip.AddrPortFrom(b.addr, b.port))
	b.net.mu.Unlock()
	close(b.done)
	b.net.outstanding.Add(-int64(len(b.queue)))
	b.queue, b.done = nil, nil
	return nil
}

// SetMark records the mark; it has no effect on delivery.
func (b *Bind) SetMark(mark uint32) error {
	b.mu.Lock()
	b.mark = mark
	b.mu.Unlock()
	return nil
}

// Mark returns the last mark set.
func (b *Bind) Mark() uint32 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mark
}

// Port returns the bound port, 0 if closed.
func (b *Bind) Port() uint16 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.queue == nil {
		return 0
	}
	return b.port
}

// Send delivers copies of the datagrams; unknown destinations drop them
// silently, as UDP would.
func (b *Bind) Send(bufs [][]byte, offset int, ep conn.Endpoint) error {
	b.mu.Lock()
	open := b.queue != nil
	from := netip.AddrPortFrom(b.addr, b.port)
	b.mu.Unlock()
	if !open {
		return conn.ErrBindClosed
	}
	to := ep.Dst()
	n := b.net
	for _, buf := range bufs {
		payload := append([]byte(nil), buf[offset:]...)
		n.mu.Lock()
		filter := n.Filter
		dst := n.binds[to]
		n.mu.Unlock()
		if filter != nil && !filter(from, to, payload) {
			continue
		}
		if dst == nil {
			continue
		}
		dst.deliver(datagram{from: from, payload: payload})
	}
	return nil
}

// deliver queues a datagram, waiting while the queue is full so that tests
// see no loss they did not ask for; a Filter can drop datagrams instead.
func (b *Bind) deliver(d datagram) {
	b.mu.Lock()
	q, done := b.queue, b.done
	b.mu.Unlock()
	if q == nil {
		return
	}
	b.net.outstanding.Add(1)
	select {
	case q <- d:
	case <-done:
		b.net.outstanding.Add(-1)
	}
}

// Endpoint returns a plain endpoint for addr.
func (b *Bind) Endpoint(addr netip.AddrPort) conn.Endpoint { return Endpoint(addr) }

// BatchSize is the most datagrams one receive returns.
func (b *Bind) BatchSize() int { return 32 }
