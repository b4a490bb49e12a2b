package tundev

import (
	"errors"
	"fmt"
	"github.com/wgshim/wgshim/platform/bsd"
	"io"
	"os"
	"sync"

	"github.com/wgshim/wgshim/core/tun"
)

// HeaderLen is the address-family header of TUNSIFHEAD mode; Read and
// Write need at least this much headroom before offset.
const HeaderLen = bsd.TunHeaderLen

// BatchSize is one: tun(4) moves one packet per read(2) or write(2).
const BatchSize = 1

var (
	errShortOffset = fmt.Errorf("tundev: offset below the %d-byte header", HeaderLen)
	errNotIP       = errors.New("tundev: not an IPv4 or IPv6 packet")
)

// PutHeader writes the address family of the IP packet at b[HeaderLen:]
// into b[:HeaderLen].
func PutHeader(b []byte) error {
	if !bsd.PutTunHeader(b, bsd.AFInet6FreeBSD) {
		return errNotIP
	}
	return nil
}

// CheckHeader reports whether b starts with the header of an IPv4 or IPv6
// packet.
func CheckHeader(b []byte) bool { return bsd.TunHeaderFamily(b, bsd.AFInet6FreeBSD) != 0 }

// system is what the device needs from the OS besides its descriptor.
type system interface {
	// MTU returns the MTU of interface name.
	MTU(name string) (int, error)
	// Destroy destroys interface name.
	Destroy(name string) error
	// NameOf returns the name of the interface with this index, or an
	// error wrapping os.ErrNotExist.
	NameOf(index int) (string, error)
}

// Device is a tun(4) interface. It implements tun.Device.
type Device struct {
	file  *os.File
	sys   system
	index int

	mu   sync.Mutex
	name string
	mtu  int

	events    chan tun.Event
	closed    chan struct{}
	closeOnce sync.Once
	watch     io.Closer // the routing socket feeding msgs
	done      chan struct{}
}

var _ tun.Device = (*Device)(nil)

// newDevice wraps an open tun descriptor in TUNSIFHEAD mode. msgs are the
// routing messages about interfaces; watch closes their source; up is
// whether the interface is up now.
func newDevice(f *os.File, name string, index, mtu int, up bool, sys system, msgs <-chan ifMsg, watch io.Closer) *Device {
	d := &Device{
		file: f, sys: sys, index: index, name: name, mtu: mtu,
		events: make(chan tun.Event, 4),
		closed: make(chan struct{}),
		watch:  watch,
		done:   make(chan struct{}),
	}
	if up {
		d.events <- tun.EventUp
	}
	go d.watchLink(msgs, linkState{index: index, up: up, mtu: mtu})
	return d
}

// watchLink turns routing messages into events until the interface goes
// away or the device is closed; then it closes the events channel.
func (d *Device) watchLink(msgs <-chan ifMsg, st linkState) {
	defer close(d.done)
	defer close(d.events)
	// The reader goroutine stops when its socket is closed (Close); until
	// then nobody else takes its messages.
	defer func() {
		go func() {
			for range msgs {
			}
		}()
	}()
	for {
		var m ifMsg
		var ok bool
		select {
		case <-d.closed:
			return
		case m, ok = <-msgs:
			if !ok {
				return
			}
		}
		evs, departed := st.update(m)
		if departed {
			if name, err := d.sys.NameOf(d.index); err == nil {
				// Renamed, not destroyed: if_rename announces both.
				d.mu.Lock()
				d.name = name
				d.mu.Unlock()
				continue
			}
			// Destroyed under us (ifconfig IF destroy): reads fail from
			// now on, which stops the engine.
			d.file.Close()
			return
		}
		if st.mtu > 0 {
			d.mu.Lock()
			d.mtu = st.mtu
			d.mu.Unlock()
		}
		for _, e := range evs {
			select {
			case d.events <- e:
			case <-d.closed:
				return
			}
		}
	}
}

// File returns the tun descriptor, so that the daemon can hand the device
// to its background child (WG_TUN_FD).
func (d *Device) File() *os.File { return d.file }

// Name implements tun.Device.
func (d *Device) Name() (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.name, nil
}

// MTU implements tun.Device: the kernel's value, else the last one seen.
func (d *Device) MTU() (int, error) {
	name, _ := d.Name()
	if mtu, err := d.sys.MTU(name); err == nil {
		return mtu, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.mtu > 0 {
		return d.mtu, nil
	}
	return 0, fmt.Errorf("tundev: mtu of %s: unknown", name)
}

// Events implements tun.Device.
func (d *Device) Events() <-chan tun.Event { return d.events }

// BatchSize implements tun.Device.
func (d *Device) BatchSize() int { return BatchSize }

// Read implements tun.Device: one packet into bufs[0][offset:], its
// header in the headroom. Packets of other families are skipped.
func (d *Device) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	if offset < HeaderLen {
		return 0, errShortOffset
	}
	if len(bufs) == 0 || len(sizes) == 0 {
		return 0, nil
	}
	b := bufs[0][offset-HeaderLen:]
	for {
		n, err := d.file.Read(b)
		if err != nil {
			return 0, d.opError("read", err)
		}
		if !CheckHeader(b[:n]) {
			continue
		}
		sizes[0] = n - HeaderLen
		return 1, nil
	}
}

// Write implements tun.Device: each packet with its header written into
// the headroom. It returns how many were written and the first error; a
// packet that is not IP is reported and skipped.
func (d *Device) Write(bufs [][]byte, offset int) (int, error) {
	if offset < HeaderLen {
		return 0, errShortOffset
	}
	var first error
	n := 0
	for _, buf := range bufs {
		b := buf[offset-HeaderLen:]
		if err := PutHeader(b); err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		if _, err := d.file.Write(b); err != nil {
			return n, d.opError("write", err)
		}
		n++
	}
	return n, first
}

func (d *Device) opError(op string, err error) error {
	select {
	case <-d.closed:
		return fmt.Errorf("tundev: %s: %w", op, os.ErrClosed)
	default:
	}
	name, _ := d.Name()
	return fmt.Errorf("tundev: %s %s: %w", op, name, err)
}

// Close implements tun.Device: it destroys the interface (its addresses
// and routes go with it), makes pending and later reads and writes fail
// and closes Events. It is safe to call more than once.
func (d *Device) Close() error {
	var err error
	d.closeOnce.Do(func() {
		close(d.closed)
		name, _ := d.Name()
		if derr := d.sys.Destroy(name); derr != nil && !errors.Is(derr, os.ErrNotExist) {
			err = derr
		}
		if ferr := d.file.Close(); ferr != nil && !errors.Is(ferr, os.ErrClosed) && err == nil {
			err = ferr
		}
		if d.watch != nil {
			d.watch.Close()
		}
		<-d.done
	})
	return err
}
