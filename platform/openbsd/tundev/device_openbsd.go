package tundev

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/platform/bsd"
	"github.com/wgshim/wgshim/platform/openbsd/netif"
)

// Create opens the tun interface name ("tunN", or "tun" for the first
// unit whose device is not busy) and sets its MTU (if mtu > 0). If
// opening the device created the interface, Close destroys it.
func Create(name string, mtu int) (*Device, error) {
	unit, auto, err := ParseName(name)
	if err != nil {
		return nil, err
	}
	first, last := unit, unit
	if auto {
		first, last = 0, maxAutoUnits-1
	}
	for n := first; n <= last; n++ {
		existed := ifaceExists(UnitName(n))
		f, err := os.OpenFile(DevPath(n), os.O_RDWR|unix.O_CLOEXEC, 0)
		if auto && errors.Is(err, syscall.EBUSY) {
			continue
		}
		if err != nil {
			if auto && errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("tundev: no free tun device among /dev/tun0-tun%d (create more with: cd /dev && sh MAKEDEV tun%d): %w", n-1, n, err)
			}
			return nil, fmt.Errorf("tundev: open %s: %w", DevPath(n), err)
		}
		if !existed {
			if err := setBroadcastMode(f); err != nil {
				f.Close()
				return nil, err
			}
		}
		return fromFile(f, mtu, !existed)
	}
	return nil, fmt.Errorf("tundev: every /dev/tunN up to tun%d is busy", last)
}

// tunSIFMode is TUNSIFMODE, _IOW('t', 93, int) (net/if_tun.h).
var tunSIFMode = bsd.IOW('t', 93, 4)

// setBroadcastMode switches a new tun(4) interface from its default
// point-to-point mode to broadcast mode (tun(4) TUNSIFMODE), so that an
// address with a prefix (10.0.0.2/24) gives it a connected route, as on
// wg(4), instead of needing a destination address. The kernel only
// allows this while the interface is down, i.e. right after creation.
func setBroadcastMode(f *os.File) error {
	mode := int32(unix.IFF_BROADCAST)
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("tundev: TUNSIFMODE %s: %w", f.Name(), err)
	}
	var ierr error
	if err := rc.Control(func(fd uintptr) { ierr = bsd.Ioctl(int(fd), tunSIFMode, unsafe.Pointer(&mode)) }); err != nil {
		return fmt.Errorf("tundev: TUNSIFMODE %s: %w", f.Name(), err)
	}
	if ierr != nil {
		return fmt.Errorf("tundev: TUNSIFMODE %s: %w", f.Name(), ierr)
	}
	return nil
}

// CreateFromFile adopts an open /dev/tunN (the daemon's WG_TUN_FD) and
// sets its MTU if mtu > 0. destroyOnClose says whether Close destroys
// the interface: the process that opened it knows whether it created it.
func CreateFromFile(f *os.File, mtu int, destroyOnClose bool) (*Device, error) {
	// Reads must go through the runtime poller so that Close interrupts
	// them; a descriptor inherited from a parent may be blocking.
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("tundev: adopt %s: %w", f.Name(), err)
	}
	nfd := -1
	cerr := rc.Control(func(fd uintptr) { nfd, err = unix.Dup(int(fd)) })
	if cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("tundev: adopt %s: dup: %w", f.Name(), err)
	}
	unix.CloseOnExec(nfd)
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return nil, fmt.Errorf("tundev: adopt %s: %w", f.Name(), err)
	}
	f.Close()
	return fromFile(os.NewFile(uintptr(nfd), f.Name()), mtu, destroyOnClose)
}

func fromFile(f *os.File, mtu int, created bool) (*Device, error) {
	name, err := nameOf(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	d := newDevice(f, name, sysOpenBSD{}, created)
	d.file = f
	fail := func(err error) (*Device, error) {
		d.Close()
		return nil, err
	}
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return fail(fmt.Errorf("tundev: %s: %w", name, err))
	}
	if mtu > 0 {
		if cur, err := netif.MTU(name); err != nil || cur != mtu {
			if err := netif.SetMTU(name, mtu); err != nil {
				return fail(fmt.Errorf("tundev: %w", err))
			}
		}
	}
	if err := d.watch(ifi.Index); err != nil {
		return fail(err)
	}
	return d, nil
}

// nameOf names the interface of an open /dev/tunN from the device's
// minor number.
func nameOf(f *os.File) (string, error) {
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("tundev: stat %s: %w", f.Name(), err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || fi.Mode()&os.ModeCharDevice == 0 {
		return "", fmt.Errorf("tundev: %s is not a tun character device", f.Name())
	}
	return UnitName(int(unix.Minor(uint64(st.Rdev)))), nil
}

func ifaceExists(name string) bool {
	_, err := netif.Flags(name)
	return err == nil
}

// watch starts the routing-socket reader for interface index and
// reports the current state first.
func (d *Device) watch(index int) error {
	fd, err := unix.Socket(unix.AF_ROUTE, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.AF_UNSPEC)
	if err != nil {
		return fmt.Errorf("tundev: routing socket: %w", err)
	}
	rs := os.NewFile(uintptr(fd), "route")
	d.watchStop = func() { rs.Close() }
	go func() {
		buf := make([]byte, os.Getpagesize())
		for {
			n, err := rs.Read(buf)
			if err != nil {
				return // closed by Close, or the socket failed
			}
			info, have, gone := parseMessages(buf[:n], index)
			if gone {
				d.departed()
				return
			}
			if have {
				d.linkChanged(info)
			}
		}
	}()
	flags, err := netif.Flags(d.name)
	if err != nil {
		return fmt.Errorf("tundev: %w", err)
	}
	mtu, err := netif.MTU(d.name)
	if err != nil {
		return fmt.Errorf("tundev: %w", err)
	}
	d.linkChanged(linkInfo{up: flags&unix.IFF_UP != 0, mtu: mtu})
	return nil
}

type sysOpenBSD struct{}

func (sysOpenBSD) mtu(name string) (int, error) { return netif.MTU(name) }
func (sysOpenBSD) destroy(name string) error    { return netif.Destroy(name) }
