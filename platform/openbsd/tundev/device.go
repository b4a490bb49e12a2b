package tundev

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/wgshim/wgshim/core/tun"
)

// system is what a Device needs from the OS besides the packet
// descriptor; device_openbsd.go implements it with ioctls, tests with a
// fake.
type system interface {
	mtu(name string) (int, error)
	destroy(name string) error
}

// Device is an OpenBSD tun(4) interface. It implements tun.Device.
type Device struct {
	f       io.ReadWriteCloser
	file    *os.File // f as a file, for File; nil in tests
	name    string
	sys     system
	created bool // Close destroys the interface

	mu     sync.Mutex // guards events against Close
	events chan tun.Event
	closed bool
	gone   bool // the interface was destroyed under us
	track  tracker

	closeOnce sync.Once
	closeErr  error
	watchStop func() // stops the routing-socket reader; may be nil
}

var _ tun.Device = (*Device)(nil)

// eventBuffer is how many events may wait for the engine.
const eventBuffer = 16

func newDevice(f io.ReadWriteCloser, name string, sys system, created bool) *Device {
	return &Device{f: f, name: name, sys: sys, created: created, events: make(chan tun.Event, eventBuffer)}
}

// errGone is wrapped by Read and Write once the interface was destroyed.
var errGone = errors.New("interface was destroyed")

// Read reads one packet into bufs[0][offset:]; tun(4)'s header goes into
// the HeaderLen bytes before offset. Frames that are not IPv4 or IPv6
// are dropped.
func (d *Device) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	if len(bufs) == 0 || len(sizes) == 0 {
		return 0, nil
	}
	if offset < HeaderLen || offset > len(bufs[0]) {
		return 0, errShortHeadroom
	}
	b := bufs[0][offset-HeaderLen:]
	for {
		n, err := d.f.Read(b)
		if err != nil {
			return 0, d.ioErr("read", err)
		}
		if size, ok := parseHeader(b[:n]); ok {
			sizes[0] = size
			return 1, nil
		}
	}
}

// Write writes each packet bufs[i][offset:] with one write(2), the tun
// header placed in the headroom. It stops at the first failure and
// returns how many packets were written.
func (d *Device) Write(bufs [][]byte, offset int) (int, error) {
	if offset < HeaderLen {
		return 0, errShortHeadroom
	}
	for i, buf := range bufs {
		if offset > len(buf) {
			return i, errShortHeadroom
		}
		b := buf[offset-HeaderLen:]
		if err := putHeader(b); err != nil {
			return i, err
		}
		if _, err := d.f.Write(b); err != nil {
			return i, d.ioErr("write", err)
		}
	}
	return len(bufs), nil
}

func (d *Device) ioErr(op string, err error) error {
	d.mu.Lock()
	gone := d.gone
	d.mu.Unlock()
	if gone {
		return fmt.Errorf("tundev: %s %s: %w", op, d.name, errGone)
	}
	return fmt.Errorf("tundev: %s %s: %w", op, d.name, err)
}

// MTU returns the interface's MTU.
func (d *Device) MTU() (int, error) {
	mtu, err := d.sys.mtu(d.name)
	if err != nil {
		return 0, fmt.Errorf("tundev: mtu %s: %w", d.name, err)
	}
	return mtu, nil
}

// Name returns the interface name, tunN.
func (d *Device) Name() (string, error) { return d.name, nil }

// File returns the open /dev/tunN, so a daemon can hand it to its
// background child (WG_TUN_FD).
func (d *Device) File() *os.File { return d.file }

// DestroysOnClose reports whether Close destroys the interface: Create
// made it, or CreateFromFile was told so.
func (d *Device) DestroysOnClose() bool { return d.created }

// Events reports up/down and MTU changes; it is closed by Close.
func (d *Device) Events() <-chan tun.Event { return d.events }

// BatchSize is 1: tun(4) moves one packet per system call.
func (d *Device) BatchSize() int { return 1 }

// linkChanged records a state reported by the routing socket (or read
// at start) and queues the resulting events. A full queue drops events
// rather than block the reader; the engine re-reads the MTU anyway.
func (d *Device) linkChanged(li linkInfo) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	for _, ev := range d.track.update(li) {
		select {
		case d.events <- ev:
		default:
		}
	}
}

// departed is called when the interface is destroyed under the device
// (`ifconfig tunN destroy`): the device closes, so the engine's reads
// fail and a daemon shuts down.
func (d *Device) departed() {
	d.mu.Lock()
	d.gone = true
	d.mu.Unlock()
	d.Close()
}

// Close closes the device and the events channel, stops the
// routing-socket reader, and destroys the interface if Create made it
// (not if it was already there or the descriptor was adopted without
// that knowledge). It is safe to call more than once and concurrently
// with Read and Write, which then fail.
func (d *Device) Close() error {
	d.closeOnce.Do(func() {
		d.mu.Lock()
		d.closed = true
		gone := d.gone
		close(d.events)
		d.mu.Unlock()
		if d.watchStop != nil {
			d.watchStop()
		}
		var errs []error
		if err := d.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("tundev: close %s: %w", d.name, err))
		}
		if d.created && !gone {
			if err := d.sys.destroy(d.name); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("tundev: destroy %s: %w", d.name, err))
			}
		}
		d.closeErr = errors.Join(errs...)
	})
	return d.closeErr
}
