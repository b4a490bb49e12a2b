// Package tuntest provides an in-memory TUN device for tests: packets given
// to Inject are what the engine reads, packets the engine writes arrive on
// Outbound.
package tuntest

import (
	"os"
	"sync"
	"sync/atomic"

	"github.com/wgshim/wgshim/core/tun"
)

// ChannelTUN is a tun.Device backed by channels.
type ChannelTUN struct {
	Outbound chan []byte // packets the engine wrote (copies)

	inbound     chan []byte // packets for the engine to read
	mtu         int
	outstanding atomic.Int64 // injected packets the engine has not finished
	handed      int64        // packets returned by the latest Read
	events      chan tun.Event
	closed      chan struct{}
	closeOnce   sync.Once
}

// New returns a device with the given MTU that reports EventUp at once.
func New(mtu int) *ChannelTUN {
	t := &ChannelTUN{
		inbound:  make(chan []byte, 1024),
		Outbound: make(chan []byte, 1024),
		mtu:      mtu,
		events:   make(chan tun.Event, 8),
		closed:   make(chan struct{}),
	}
	t.events <- tun.EventUp
	return t
}

// Inject queues a packet for the engine to read, as if the OS had routed
// it into the interface.
func (t *ChannelTUN) Inject(p []byte) {
	t.outstanding.Add(1)
	t.inbound <- p
}

// Read returns the next inbound packet, then any others already queued.
func (t *ChannelTUN) Read(bufs [][]byte, sizes []int, offset int) (n int, err error) {
	// The engine finished with the previous batch when it reads again.
	t.outstanding.Add(-t.handed)
	t.handed = 0
	defer func() { t.handed = int64(n) }()
	select {
	case <-t.closed:
		return 0, os.ErrClosed
	case p := <-t.inbound:
		sizes[0] = copy(bufs[0][offset:], p)
	}
	n = 1
	for n < len(bufs) {
		select {
		case p := <-t.inbound:
			sizes[n] = copy(bufs[n][offset:], p)
			n++
		default:
			return n, nil
		}
	}
	return n, nil
}

// Outstanding is the number of injected packets the engine has not
// finished with: queued, or returned by its latest Read.
func (t *ChannelTUN) Outstanding() int64 { return t.outstanding.Load() }

// Write copies each packet onto Outbound.
func (t *ChannelTUN) Write(bufs [][]byte, offset int) (int, error) {
	for i, b := range bufs {
		p := append([]byte(nil), b[offset:]...)
		select {
		case <-t.closed:
			return i, os.ErrClosed
		case t.Outbound <- p:
		}
	}
	return len(bufs), nil
}

// SendEvent injects a state change, such as tun.EventDown.
func (t *ChannelTUN) SendEvent(e tun.Event) { t.events <- e }

func (t *ChannelTUN) MTU() (int, error)        { return t.mtu, nil }
func (t *ChannelTUN) Name() (string, error)    { return "tuntest", nil }
func (t *ChannelTUN) Events() <-chan tun.Event { return t.events }
func (t *ChannelTUN) BatchSize() int           { return 32 }

// Close unblocks Read and Write; it is safe to call more than once.
func (t *ChannelTUN) Close() error {
	t.closeOnce.Do(func() {
		close(t.closed)
		close(t.events)
	})
	return nil
}
