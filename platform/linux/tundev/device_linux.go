package tundev

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/core/tun"
)

// Device is a TUN interface opened on /dev/net/tun. It implements
// tun.Device; Read is called from one goroutine and Write from one other.
type Device struct {
	file  *os.File
	rc    syscall.RawConn
	index int
	off   Offload

	mu   sync.Mutex
	name string

	// Read state, used only by the reading goroutine.
	rbuf   []byte // assembles a GSO frame that does not fit bufs[0]
	split  splitter
	riov   [2]unix.Iovec
	riovN  int
	rn     int
	rerr   error
	readFn func(fd uintptr) bool

	// Write state, used only by the writing goroutine.
	co      *coalescer
	wiov    []unix.Iovec
	wn      int
	werr    error
	writeFn func(fd uintptr) bool

	events    chan tun.Event
	closing   chan struct{}
	closeOnce sync.Once
	closeErr  error
	nl        *os.File
	watchers  sync.WaitGroup
}

var _ tun.Device = (*Device)(nil)

// maxFrame bounds a frame read from the TUN: a 64 KiB GSO frame (the TUN's
// gso_max_size) plus IPv6 header and virtio-net header fit with room.
const maxFrame = 1 << 17

// level is how much offload to ask the kernel for.
type level int

const (
	levelUSO   level = iota // virtio-net header, checksum, TSO and USO
	levelTSO                // virtio-net header, checksum and TSO
	levelPlain              // no virtio-net header, one packet per read/write
)

const (
	tsoFlags = unix.TUN_F_CSUM | unix.TUN_F_TSO4 | unix.TUN_F_TSO6
	usoFlags = tsoFlags | unix.TUN_F_USO4 | unix.TUN_F_USO6
)

// Create opens a new TUN interface called name (empty: the kernel picks
// tunN) with the given MTU (0: leave the kernel's default). It asks for
// checksum, TCP and UDP segmentation offload and falls back to less, down
// to a plain TUN, when the kernel refuses. The interface is deleted when
// the device is closed.
func Create(name string, mtu int) (*Device, error) {
	return create(name, mtu, levelUSO)
}

func create(name string, mtu int, want level) (*Device, error) {
	if len(name) >= unix.IFNAMSIZ {
		return nil, fmt.Errorf("tundev: create %q: name longer than %d bytes", name, unix.IFNAMSIZ-1)
	}
	for lv := want; ; lv++ {
		fd, realName, err := openTUN(name, lv != levelPlain)
		if err != nil {
			if lv != levelPlain && errors.Is(err, unix.EINVAL) {
				continue // a kernel without IFF_VNET_HDR
			}
			return nil, err
		}
		off := Offload{}
		if lv != levelPlain {
			off, err = negotiate(fd, lv)
			if err != nil || !off.TSO {
				// Offloads refused: a plain TUN is simpler than a virtio-net
				// header that never carries anything.
				unix.Close(fd)
				lv = levelPlain - 1
				continue
			}
		}
		d, err := newDevice(fd, realName, off, mtu)
		if err != nil {
			return nil, err
		}
		return d, nil
	}
}

// openTUN does TUNSETIFF and returns the descriptor and the real name.
func openTUN(name string, vnet bool) (int, string, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) {
			return -1, "", fmt.Errorf("tundev: open /dev/net/tun: %w (is the tun module loaded?)", err)
		}
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return -1, "", fmt.Errorf("tundev: open /dev/net/tun: %w: needs CAP_NET_ADMIN (run as root)", os.ErrPermission)
		}
		return -1, "", fmt.Errorf("tundev: open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return -1, "", fmt.Errorf("tundev: create %q: %w", name, err)
	}
	flags := uint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if vnet {
		flags |= unix.IFF_VNET_HDR
	}
	ifr.SetUint16(flags)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		switch {
		case errors.Is(err, unix.EPERM):
			return -1, "", fmt.Errorf("tundev: create %q: %w: needs CAP_NET_ADMIN (run as root)", name, os.ErrPermission)
		case errors.Is(err, unix.EBUSY):
			return -1, "", fmt.Errorf("tundev: create %q: name in use by another TUN: %w", name, os.ErrExist)
		}
		return -1, "", fmt.Errorf("tundev: create %q: TUNSETIFF: %w", name, err)
	}
	return fd, ifr.Name(), nil
}

// negotiate sets the virtio-net header size and the best offload set the
// kernel accepts, starting at lv.
func negotiate(fd int, lv level) (Offload, error) {
	if err := unix.IoctlSetPointerInt(fd, unix.TUNSETVNETHDRSZ, vnetHdrLen); err != nil {
		return Offload{}, fmt.Errorf("TUNSETVNETHDRSZ: %w", err)
	}
	off := Offload{VnetHdr: true}
	if lv <= levelUSO {
		// USO needs Linux 6.2; older kernels answer EINVAL.
		if unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, usoFlags) == nil {
			off.TSO, off.USO = true, true
			return off, nil
		}
	}
	if lv <= levelTSO {
		if unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, tsoFlags) == nil {
			off.TSO = true
			return off, nil
		}
	}
	if err := unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, 0); err != nil {
		return off, fmt.Errorf("TUNSETOFFLOAD: %w", err)
	}
	return off, nil
}

// CreateFromFile adopts an open TUN descriptor (WG_TUN_FD). It takes
// ownership of f. TUNGETIFF tells whether the descriptor was opened with
// IFF_VNET_HDR; if so, offloads are negotiated as in Create. mtu 0 leaves
// the MTU alone.
func CreateFromFile(f *os.File, mtu int) (*Device, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("tundev: adopt %s: %w", f.Name(), err)
	}
	fd := -1
	cerr := rc.Control(func(x uintptr) {
		fd, err = unix.FcntlInt(x, unix.F_DUPFD_CLOEXEC, 0)
	})
	f.Close()
	if cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("tundev: adopt %s: dup: %w", f.Name(), err)
	}
	ifr, _ := unix.NewIfreq("")
	if err := unix.IoctlIfreq(fd, unix.TUNGETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("tundev: adopt %s: TUNGETIFF: %w (not a TUN descriptor?)", f.Name(), err)
	}
	name, flags := ifr.Name(), ifr.Uint16()
	switch {
	case flags&unix.IFF_TUN == 0:
		unix.Close(fd)
		return nil, fmt.Errorf("tundev: adopt %s: %s is a TAP, not a TUN: %w", f.Name(), name, errors.ErrUnsupported)
	case flags&unix.IFF_NO_PI == 0:
		unix.Close(fd)
		return nil, fmt.Errorf("tundev: adopt %s: %s was opened without IFF_NO_PI: %w", f.Name(), name, errors.ErrUnsupported)
	}
	off := Offload{}
	if flags&unix.IFF_VNET_HDR != 0 {
		off, err = negotiate(fd, levelUSO)
		if err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("tundev: adopt %s: %w", name, err)
		}
	}
	return newDevice(fd, name, off, mtu)
}

// newDevice finishes setting up fd (closing it on error).
func newDevice(fd int, name string, off Offload, mtu int) (*Device, error) {
	fail := func(err error) (*Device, error) {
		unix.Close(fd)
		return nil, err
	}
	if mtu > 0 {
		if err := ifreqIoctl(name, unix.SIOCSIFMTU, uint32(mtu), nil); err != nil {
			return fail(fmt.Errorf("tundev: set mtu %d on %s: %w", mtu, name, err))
		}
	}
	var index uint32
	if err := ifreqIoctl(name, unix.SIOCGIFINDEX, 0, &index); err != nil {
		return fail(fmt.Errorf("tundev: %s: get index: %w", name, err))
	}
	var cur uint32
	if err := ifreqIoctl(name, unix.SIOCGIFMTU, 0, &cur); err != nil {
		return fail(fmt.Errorf("tundev: %s: get mtu: %w", name, err))
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		return fail(fmt.Errorf("tundev: %s: set nonblocking: %w", name, err))
	}
	d := &Device{
		index:   int(index),
		off:     off,
		name:    name,
		rbuf:    make([]byte, maxFrame),
		co:      newCoalescer(off.TSO, off.USO, BatchSize),
		wiov:    make([]unix.Iovec, 0, BatchSize+1),
		events:  make(chan tun.Event, eventBuffer),
		closing: make(chan struct{}),
	}
	d.readFn = d.doRead
	d.writeFn = d.doWrite
	// os.NewFile sees the non-blocking descriptor and registers it with the
	// runtime poller, so Close wakes a blocked Read.
	d.file = os.NewFile(uintptr(fd), "/dev/net/tun")
	rc, err := d.file.SyscallConn()
	if err != nil {
		d.file.Close()
		return nil, fmt.Errorf("tundev: %s: %w", name, err)
	}
	d.rc = rc
	if err := d.startWatch(int(cur)); err != nil {
		d.file.Close()
		return nil, fmt.Errorf("tundev: %s: watch link: %w", name, err)
	}
	return d, nil
}

// ifreqIoctl runs an interface ioctl on a throw-away socket: it sets the
// ifreq's integer to set before the call and stores it to *get after.
func ifreqIoctl(name string, req uint, set uint32, get *uint32) error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		// An IPv6-only kernel still answers interface ioctls there.
		s, err = unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
	}
	defer unix.Close(s)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	ifr.SetUint32(set)
	if err := unix.IoctlIfreq(s, req, ifr); err != nil {
		return err
	}
	if get != nil {
		*get = ifr.Uint32()
	}
	return nil
}

// Offload reports what was negotiated with the kernel.
func (d *Device) Offload() Offload { return d.off }

// BatchSize implements tun.Device.
func (d *Device) BatchSize() int { return BatchSize }

// File returns the TUN descriptor, so that a daemon can hand the device to
// the process it re-executes as (wgshim's WG_TUN_FD). The Device still
// owns it.
func (d *Device) File() *os.File { return d.file }

// Events implements tun.Device.
func (d *Device) Events() <-chan tun.Event { return d.events }

// Name implements tun.Device; it follows renames seen over rtnetlink.
func (d *Device) Name() (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.name, nil
}

// MTU implements tun.Device.
func (d *Device) MTU() (int, error) {
	name, _ := d.Name()
	var mtu uint32
	if err := ifreqIoctl(name, unix.SIOCGIFMTU, 0, &mtu); err != nil {
		return 0, fmt.Errorf("tundev: %s: get mtu: %w", name, err)
	}
	return int(mtu), nil
}

// Close implements tun.Device: it deletes the interface, makes pending and
// later Read and Write calls fail and closes the Events channel.
func (d *Device) Close() error {
	d.shutdown()
	d.watchers.Wait()
	return d.closeErr
}

func (d *Device) shutdown() {
	d.closeOnce.Do(func() {
		close(d.closing)
		d.closeErr = d.file.Close()
		if d.nl != nil {
			d.nl.Close()
		}
	})
}

func (d *Device) isClosed() bool {
	select {
	case <-d.closing:
		return true
	default:
		return false
	}
}

func (d *Device) opError(op string, err error) error {
	name, _ := d.Name()
	if d.isClosed() {
		err = os.ErrClosed
	}
	return fmt.Errorf("tundev: %s %s: %w", op, name, err)
}

func setIovec(v *unix.Iovec, b []byte) {
	if len(b) == 0 {
		*v = unix.Iovec{}
		return
	}
	v.Base = &b[0]
	v.SetLen(len(b))
}

func (d *Device) doRead(fd uintptr) bool {
	n, _, e := unix.Syscall(unix.SYS_READV, fd, uintptr(unsafe.Pointer(&d.riov[0])), uintptr(d.riovN))
	for e == unix.EINTR {
		n, _, e = unix.Syscall(unix.SYS_READV, fd, uintptr(unsafe.Pointer(&d.riov[0])), uintptr(d.riovN))
	}
	if e == unix.EAGAIN {
		return false // the poller waits for readability and calls again
	}
	d.rn, d.rerr = int(n), nil
	if e != 0 {
		d.rn, d.rerr = 0, e
	}
	return true
}

func (d *Device) doWrite(fd uintptr) bool {
	n, _, e := unix.Syscall(unix.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&d.wiov[0])), uintptr(len(d.wiov)))
	for e == unix.EINTR {
		n, _, e = unix.Syscall(unix.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&d.wiov[0])), uintptr(len(d.wiov)))
	}
	if e == unix.EAGAIN {
		return false
	}
	d.wn, d.werr = int(n), nil
	if e != 0 {
		d.wn, d.werr = 0, e
	}
	return true
}

// readv reads one frame into the iovecs already set up.
func (d *Device) readv() (int, error) {
	if err := d.rc.Read(d.readFn); err != nil {
		return 0, err
	}
	return d.rn, d.rerr
}

// Read implements tun.Device. With offloads, offset must be at least
// MinOffset. One read may return up to len(bufs) segments of a GSO frame;
// segments that do not fit are returned by the next calls. Frames the
// kernel should never send (runts, malformed GSO frames, a non-GSO packet
// larger than bufs[0]) are dropped and the next one is read, so that an
// error always means the device is unusable.
func (d *Device) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	if len(bufs) == 0 || len(sizes) == 0 {
		return 0, nil
	}
	if offset < 0 || offset > len(bufs[0]) || (d.off.VnetHdr && offset < MinOffset) {
		return 0, fmt.Errorf("tundev: read: offset %d: need %d..%d", offset, MinOffset, len(bufs[0]))
	}
	if !d.off.VnetHdr {
		setIovec(&d.riov[0], bufs[0][offset:])
		d.riovN = 1
		n, err := d.readv()
		if err != nil {
			return 0, d.opError("read", err)
		}
		sizes[0] = n
		return 1, nil
	}
	if d.split.pending() {
		return d.split.emit(bufs, sizes, offset)
	}
	for {
		// The frame lands in bufs[0] (in place, the common case for
		// packets without GSO) and overflows into rbuf at the same offset.
		first := bufs[0][offset-vnetHdrLen:]
		if len(first) > len(d.rbuf) {
			first = first[:len(d.rbuf)]
		}
		setIovec(&d.riov[0], first)
		setIovec(&d.riov[1], d.rbuf[len(first):])
		d.riovN = 2
		n, err := d.readv()
		if err != nil {
			return 0, d.opError("read", err)
		}
		if n < vnetHdrLen || n >= len(d.rbuf) {
			continue // runt or possibly truncated: drop
		}
		var h vnetHdr
		h.decode(first)
		var frame []byte
		inPlace := n <= len(first)
		if inPlace {
			frame = first[vnetHdrLen:n]
		} else {
			copy(d.rbuf, first)
			frame = d.rbuf[vnetHdrLen:n]
		}
		if h.gsoType == gsoNone {
			if !inPlace {
				continue // larger than the caller's buffer: drop
			}
			if h.flags&vnetFlagNeedsCsum != 0 && completeChecksum(&h, frame) != nil {
				continue
			}
			sizes[0] = len(frame)
			return 1, nil
		}
		if err := d.split.setFrame(&h, frame); err != nil {
			continue // the kernel sent something we cannot split: drop
		}
		if inPlace && d.split.nseg > min(len(bufs), len(sizes)) {
			// The rest must survive until the next call, outside bufs.
			copy(d.rbuf, first[:n])
			d.split.pkt = d.rbuf[vnetHdrLen:n]
		}
		n, err = d.split.emit(bufs, sizes, offset)
		if err != nil {
			return 0, d.opError("read", err)
		}
		return n, nil
	}
}

// Write implements tun.Device. With offloads, offset must be at least
// MinOffset: the virtio-net header is written into the headroom. Packets of
// one flow may be coalesced, which rewrites the first one's headers.
// It returns how many packets were written and the first error.
func (d *Device) Write(bufs [][]byte, offset int) (int, error) {
	if offset < 0 || (d.off.VnetHdr && offset < MinOffset) {
		return 0, fmt.Errorf("tundev: write: offset %d: need at least %d", offset, MinOffset)
	}
	for i, b := range bufs {
		if len(b) < offset {
			return 0, fmt.Errorf("tundev: write: buffer %d: %d bytes, shorter than offset %d", i, len(b), offset)
		}
	}
	var firstErr error
	written := 0
	if !d.off.VnetHdr {
		for _, b := range bufs {
			d.wiov = d.wiov[:1]
			setIovec(&d.wiov[0], b[offset:])
			if err := d.writev(); err != nil {
				if d.isClosed() {
					return written, d.opError("write", err)
				}
				firstErr = cmpOr(firstErr, err)
				continue
			}
			written++
		}
		return written, d.wrapWrite(firstErr)
	}
	d.co.coalesce(bufs, offset)
	for gi := range d.co.groups {
		g := &d.co.groups[gi]
		d.wiov = d.wiov[:0]
		d.wiov = append(d.wiov, unix.Iovec{})
		setIovec(&d.wiov[0], bufs[g.head][offset-vnetHdrLen:])
		for i := d.co.next[g.head]; i >= 0; i = d.co.next[i] {
			d.wiov = append(d.wiov, unix.Iovec{})
			setIovec(&d.wiov[len(d.wiov)-1], bufs[i][offset+g.hlen:])
		}
		if err := d.writev(); err != nil {
			if d.isClosed() {
				return written, d.opError("write", err)
			}
			firstErr = cmpOr(firstErr, err)
			continue
		}
		written += g.n
	}
	return written, d.wrapWrite(firstErr)
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func (d *Device) wrapWrite(err error) error {
	if err == nil {
		return nil
	}
	return d.opError("write", err)
}

func (d *Device) writev() error {
	if err := d.rc.Write(d.writeFn); err != nil {
		return err
	}
	return d.werr
}
