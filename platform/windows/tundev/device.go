package tundev

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/wgshim/wgshim/core/tun"
)

const (
	// DefaultMTU is the MTU reported when none is given, as in wg-quick.
	DefaultMTU = 1420
	// RingCapacity is the default size of each session ring (8 MiB, what
	// wireguard-go uses); Wintun accepts powers of two from 128 KiB to
	// 64 MiB.
	RingCapacity = 0x800000
	// BatchSize is the most packets one Read returns.
	BatchSize = 64
	// MaxPacket is the largest packet Wintun carries (WINTUN_MAX_IP_PACKET_SIZE).
	MaxPacket = 0xffff

	ringCapacityMin = 0x20000
	ringCapacityMax = 0x4000000
)

// Ring errors, mapped from Win32 codes at the boundary.
var (
	errEmpty       = errors.New("ring empty")             // ERROR_NO_MORE_ITEMS
	errFull        = errors.New("ring full")              // ERROR_BUFFER_OVERFLOW
	errTerminating = errors.New("adapter is terminating") // ERROR_HANDLE_EOF
)

// ring is one Wintun session. Receive, Release, Allocate and Send may be
// called concurrently; Wait and Wake may be too. End is called once, when no
// other call is running.
type ring interface {
	// Receive returns the next packet, pointing into the ring, or errEmpty.
	Receive() ([]byte, error)
	// Release gives a received packet back to the ring.
	Release(pkt []byte)
	// Allocate reserves n bytes in the send ring, or fails with errFull.
	Allocate(n int) ([]byte, error)
	// Send hands an allocated packet to the OS.
	Send(pkt []byte)
	// Wait blocks until packets may be available or Wake was called.
	Wait() error
	// Wake makes the current and every later Wait return at once.
	Wake()
	// End ends the session.
	End()
}

// Device is a Wintun adapter and its session; see the package comment.
type Device struct {
	name    string
	luid    uint64
	created bool
	ring    ring
	release func() error // closes the adapter handle

	mtu     atomic.Int32
	closed  atomic.Bool
	dropped atomic.Uint64

	// mu is held shared around every ring call and exclusively by Close,
	// so the session is never ended under a reader or writer.
	mu        sync.RWMutex
	closeOnce sync.Once
	closeErr  error

	evMu   sync.Mutex // guards events against a send after close
	events chan tun.Event
}

var _ tun.Device = (*Device)(nil)

// Options tune Create and Open; the zero value is the default.
type Options struct {
	// MTU is what MTU reports; 0 means DefaultMTU. Wintun does not enforce
	// it: set the same value on the IP interface.
	MTU int
	// RingCapacity is the session ring size; 0 means RingCapacity.
	RingCapacity uint32
	// TunnelType is the adapter's cosmetic type; "" means "WireGuard".
	TunnelType string
	// GUID is requested for a created adapter; nil means AdapterGUID(name).
	GUID *GUID
}

func (o Options) withDefaults() (Options, error) {
	if o.MTU == 0 {
		o.MTU = DefaultMTU
	}
	if o.MTU < 576 || o.MTU > MaxPacket {
		return o, fmt.Errorf("tundev: MTU %d out of range 576-%d", o.MTU, MaxPacket)
	}
	if o.RingCapacity == 0 {
		o.RingCapacity = RingCapacity
	}
	if c := o.RingCapacity; c < ringCapacityMin || c > ringCapacityMax || c&(c-1) != 0 {
		return o, fmt.Errorf("tundev: ring capacity %#x is not a power of two in %#x-%#x", c, ringCapacityMin, ringCapacityMax)
	}
	if o.TunnelType == "" {
		o.TunnelType = "WireGuard"
	}
	return o, nil
}

func newDevice(name string, luid uint64, created bool, r ring, release func() error, mtu int) *Device {
	d := &Device{
		name:    name,
		luid:    luid,
		created: created,
		ring:    r,
		release: release,
		events:  make(chan tun.Event, 4),
	}
	d.mtu.Store(int32(mtu))
	// Wintun adapters are up as soon as the session runs.
	d.events <- tun.EventUp
	return d
}

// Read implements tun.Device: it waits until the ring holds a packet, then
// copies out as many as are ready, up to len(bufs). A packet longer than
// its buffer is dropped (counted by Dropped): it cannot fit the MTU.
func (d *Device) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	if len(bufs) == 0 {
		return 0, nil
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	for {
		if d.closed.Load() {
			return 0, d.closedErr("read")
		}
		n := 0
		for n < len(bufs) {
			pkt, err := d.ring.Receive()
			if err == errEmpty {
				break
			}
			if err != nil {
				if n > 0 {
					return n, nil // report the error on the next call
				}
				return 0, d.ringErr("read", err)
			}
			dst := bufs[n][offset:]
			if len(pkt) > len(dst) || len(pkt) == 0 {
				d.ring.Release(pkt)
				d.dropped.Add(1)
				continue
			}
			sizes[n] = copy(dst, pkt)
			d.ring.Release(pkt)
			n++
		}
		if n > 0 {
			return n, nil
		}
		if err := d.ring.Wait(); err != nil {
			return 0, d.ringErr("read", err)
		}
	}
}

// Write implements tun.Device: every packet bufs[i][offset:] is copied into
// the send ring in order. When the ring is full the packet is dropped, as
// a NIC drops on a full queue (counted by Dropped).
func (d *Device) Write(bufs [][]byte, offset int) (int, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed.Load() {
		return 0, d.closedErr("write")
	}
	for i, b := range bufs {
		pkt := b[offset:]
		if len(pkt) == 0 {
			continue
		}
		if len(pkt) > MaxPacket {
			return i, fmt.Errorf("tun write: %s: packet of %d bytes exceeds %d", d.name, len(pkt), MaxPacket)
		}
		dst, err := d.ring.Allocate(len(pkt))
		if err == errFull {
			d.dropped.Add(1)
			continue
		}
		if err != nil {
			return i, d.ringErr("write", err)
		}
		copy(dst, pkt)
		d.ring.Send(dst)
	}
	return len(bufs), nil
}

func (d *Device) closedErr(op string) error {
	return fmt.Errorf("tun %s: %s: %w", op, d.name, os.ErrClosed)
}

func (d *Device) ringErr(op string, err error) error {
	if err == errTerminating {
		return fmt.Errorf("tun %s: %s: %w: %w", op, d.name, err, os.ErrClosed)
	}
	return fmt.Errorf("tun %s: %s: %w", op, d.name, err)
}

// MTU implements tun.Device.
func (d *Device) MTU() (int, error) { return int(d.mtu.Load()), nil }

// SetMTU changes the MTU MTU reports and tells the engine through Events.
// It does not touch the IP interface.
func (d *Device) SetMTU(mtu int) error {
	if mtu < 576 || mtu > MaxPacket {
		return fmt.Errorf("tundev: %s: MTU %d out of range 576-%d", d.name, mtu, MaxPacket)
	}
	if int(d.mtu.Swap(int32(mtu))) != mtu {
		d.send(tun.EventMTUUpdate)
	}
	return nil
}

func (d *Device) send(ev tun.Event) {
	d.evMu.Lock()
	defer d.evMu.Unlock()
	if d.closed.Load() {
		return
	}
	select {
	case d.events <- ev:
	default: // the engine re-reads the MTU on the event already queued
	}
}

// Name implements tun.Device.
func (d *Device) Name() (string, error) { return d.name, nil }

// Events implements tun.Device: EventUp at once, EventMTUUpdate after SetMTU.
func (d *Device) Events() <-chan tun.Event { return d.events }

// BatchSize implements tun.Device.
func (d *Device) BatchSize() int { return BatchSize }

// LUID is the adapter's NET_LUID, the key of every IP Helper call.
func (d *Device) LUID() uint64 { return d.luid }

// Created reports whether this Device created its adapter (and so deletes
// it on Close).
func (d *Device) Created() bool { return d.created }

// Dropped counts packets dropped so far: too long to read, or met a full
// send ring.
func (d *Device) Dropped() uint64 { return d.dropped.Load() }

// Close implements tun.Device: it wakes a blocked Read, waits for running
// calls, ends the session and closes the adapter handle, which deletes the
// adapter if this Device created it. Later calls fail with os.ErrClosed.
func (d *Device) Close() error {
	d.closeOnce.Do(func() {
		d.evMu.Lock()
		d.closed.Store(true)
		close(d.events)
		d.evMu.Unlock()
		d.ring.Wake()
		d.mu.Lock()
		d.ring.End()
		if err := d.release(); err != nil {
			d.closeErr = fmt.Errorf("tun close: %s: %w", d.name, err)
		}
		d.mu.Unlock()
	})
	return d.closeErr
}
