package tundev

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/net/route"
	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/platform/bsd"
	"github.com/wgshim/wgshim/platform/freebsd/ifconf"
)

// tun(4) ioctls (sys/net/if_tun.h), on the device descriptor.
const (
	tunGIfName = 0x4020745d // _IOR('t', 93, struct ifreq)
	tunSIfMode = 0x8004745e // _IOW('t', 94, int)
	tunSIfHead = 0x80047460 // _IOW('t', 96, int)
)

const sysKLDLoad = 304

func devIoctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	if err := rc.Control(func(fd uintptr) { ierr = bsd.Ioctl(int(fd), req, arg) }); err != nil {
		return err
	}
	return ierr
}

// tunName asks the descriptor which interface it is (TUNGIFNAME).
func tunName(f *os.File) (string, error) {
	var ifr [32]byte
	if err := devIoctl(f, tunGIfName, unsafe.Pointer(&ifr)); err != nil {
		return "", fmt.Errorf("TUNGIFNAME: %w", err)
	}
	return unix.ByteSliceToString(ifr[:16]), nil
}

// setup puts the device in multi-af, broadcast+multicast mode.
func setup(f *os.File) error {
	mode := int32(unix.IFF_BROADCAST | unix.IFF_MULTICAST)
	if err := devIoctl(f, tunSIfMode, unsafe.Pointer(&mode)); err != nil {
		return fmt.Errorf("TUNSIFMODE: %w", err)
	}
	head := int32(1)
	if err := devIoctl(f, tunSIfHead, unsafe.Pointer(&head)); err != nil {
		return fmt.Errorf("TUNSIFHEAD: %w", err)
	}
	return nil
}

func openClone() (*os.File, error) {
	f, err := os.OpenFile("/dev/tun", os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		// The clone device appears with if_tuntap (in GENERIC; a module
		// on custom kernels).
		p, _ := unix.BytePtrFromString("if_tuntap")
		unix.Syscall(sysKLDLoad, uintptr(unsafe.Pointer(p)), 0, 0)
		runtime.KeepAlive(p)
		f, err = os.OpenFile("/dev/tun", os.O_RDWR, 0)
	}
	return f, err
}

// sys implements system with interface ioctls.
type sys struct{ c *ifconf.Conn }

func (s sys) MTU(name string) (int, error) { return s.c.MTU(name) }
func (s sys) Destroy(name string) error {
	err := s.c.Destroy(name)
	s.c.Close()
	return err
}
func (s sys) NameOf(index int) (string, error) {
	ifi, err := net.InterfaceByIndex(index)
	if err != nil {
		return "", fmt.Errorf("interface %d: %w (%w)", index, os.ErrNotExist, err)
	}
	return ifi.Name, nil
}

// Create clones a tun interface, renames it to name (empty keeps tunN),
// and sets its MTU.
func Create(name string, mtu int) (*Device, error) {
	f, err := openClone()
	if err != nil {
		return nil, fmt.Errorf("tundev: create %s: %w", name, err)
	}
	c, err := ifconf.Open()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("tundev: create %s: %w", name, err)
	}
	cur, err := tunName(f)
	if err == nil {
		err = setup(f)
	}
	if err == nil && name != "" && name != cur {
		if err = c.Rename(cur, name); err == nil {
			cur = name
		} else if errors.Is(err, unix.EEXIST) {
			err = fmt.Errorf("%w: an interface called %s exists", err, name)
		}
	}
	if err == nil && mtu > 0 {
		err = c.SetMTU(cur, mtu)
	}
	if err != nil {
		c.Destroy(cur)
		c.Close()
		f.Close()
		return nil, fmt.Errorf("tundev: create %s: %w", name, err)
	}
	d, err := start(f, cur, c)
	if err != nil {
		c.Destroy(cur)
		c.Close()
		f.Close()
		return nil, fmt.Errorf("tundev: create %s: %w", name, err)
	}
	return d, nil
}

// CreateFromFile adopts an open tun descriptor (WG_TUN_FD) and sets its
// MTU unless mtu is 0.
func CreateFromFile(f *os.File, mtu int) (*Device, error) {
	name, err := tunName(f)
	if err == nil {
		err = setup(f)
	}
	if err != nil {
		return nil, fmt.Errorf("tundev: adopt fd %d: %w", f.Fd(), err)
	}
	c, err := ifconf.Open()
	if err != nil {
		return nil, fmt.Errorf("tundev: adopt %s: %w", name, err)
	}
	if mtu > 0 {
		if err := c.SetMTU(name, mtu); err != nil {
			c.Close()
			return nil, fmt.Errorf("tundev: adopt %s: %w", name, err)
		}
	}
	d, err := start(f, name, c)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("tundev: adopt %s: %w", name, err)
	}
	return d, nil
}

func start(f *os.File, name string, c *ifconf.Conn) (*Device, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, err
	}
	fl, err := c.Flags(name)
	if err != nil {
		return nil, err
	}
	rs, err := unix.Socket(unix.AF_ROUTE, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.AF_UNSPEC)
	if err != nil {
		return nil, fmt.Errorf("routing socket: %w", err)
	}
	rf := os.NewFile(uintptr(rs), "route")
	msgs := make(chan ifMsg)
	go readRouting(rf, msgs)
	return newDevice(f, name, ifi.Index, ifi.MTU, fl&iffUp != 0, sys{c}, msgs, rf), nil
}

// readRouting parses interface messages until the socket is closed.
func readRouting(f *os.File, out chan<- ifMsg) {
	defer close(out)
	buf := make([]byte, 2048)
	for {
		n, err := f.Read(buf)
		if err != nil {
			return
		}
		msgs, err := route.ParseRIB(route.RIBTypeInterface, buf[:n])
		if err != nil {
			continue
		}
		for _, m := range msgs {
			var im ifMsg
			switch m := m.(type) {
			case *route.InterfaceMessage:
				im = ifMsg{Index: m.Index, Info: true, Flags: uint32(m.Flags)}
				for _, s := range m.Sys() {
					if mx, ok := s.(*route.InterfaceMetrics); ok {
						im.MTU = mx.MTU
					}
				}
			case *route.InterfaceAnnounceMessage:
				if m.What != unix.IFAN_DEPARTURE {
					continue
				}
				im = ifMsg{Index: m.Index, Departure: true}
			default:
				continue
			}
			out <- im
		}
	}
}
