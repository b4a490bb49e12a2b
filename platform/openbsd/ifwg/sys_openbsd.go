package ifwg

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/platform/bsd"
	"github.com/wgshim/wgshim/platform/openbsd/wgio"
)

// NewDriver returns the wg(4) driver for the running kernel: the
// wg_peer_io layout is chosen from kern.osrelease. On a release without
// wg(4), or on 32-bit OpenBSD (whose struct layouts wgio does not
// describe), every method fails with an error saying so.
func NewDriver() *Driver {
	d := &Driver{open: openSystem}
	if unsafe.Sizeof(uintptr(0)) != 8 {
		d.err = fmt.Errorf("platform/openbsd: wg(4) ioctls are only implemented for 64-bit OpenBSD (GOARCH=%s): %w",
			runtime.GOARCH, errors.ErrUnsupported)
		return d
	}
	rel, err := unix.Sysctl("kern.osrelease")
	if err != nil {
		d.err = fmt.Errorf("platform/openbsd: sysctl kern.osrelease: %w", err)
		return d
	}
	if d.layout, err = wgio.LayoutForRelease(rel); err != nil {
		if errors.Is(err, wgio.ErrNoWG) {
			err = fmt.Errorf("%w: %w", err, errors.ErrUnsupported)
		}
		d.err = fmt.Errorf("platform/openbsd: %w", err)
	}
	return d
}

type sysOpenBSD struct{ fd int }

// openSystem opens the control socket. wg(8) uses an AF_INET datagram
// socket; interface ioctls reach the driver from any protocol.
func openSystem() (system, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return &sysOpenBSD{fd: fd}, nil
}

func (s *sysOpenBSD) ioctl(req uintptr, arg unsafe.Pointer) error {
	return bsd.Ioctl(s.fd, req, arg)
}

func (s *sysOpenBSD) wgIoctl(req uintptr, io *wgio.DataIO) error {
	err := s.ioctl(req, unsafe.Pointer(io))
	runtime.KeepAlive(io.Interface)
	return err
}

// ifreqFor is a struct ifreq (platform/bsd.IfreqData) for name; names
// too long for IFNAMSIZ are cut, and the kernel then answers ENXIO.
func ifreqFor(name string) bsd.IfreqData {
	var ifr bsd.IfreqData
	copy(ifr.Name[:len(ifr.Name)-1], name)
	return ifr
}

func (s *sysOpenBSD) create(name string) error {
	ifr := ifreqFor(name)
	return s.ioctl(unix.SIOCIFCREATE, unsafe.Pointer(&ifr))
}

func (s *sysOpenBSD) destroy(name string) error {
	ifr := ifreqFor(name)
	return s.ioctl(unix.SIOCIFDESTROY, unsafe.Pointer(&ifr))
}

func (s *sysOpenBSD) setDescription(name, descr string) error {
	if len(descr) >= wgio.IfDescrSize {
		return fmt.Errorf("description %q: longer than %d bytes", descr, wgio.IfDescrSize-1)
	}
	buf := make([]byte, wgio.IfDescrSize)
	copy(buf, descr)
	ifr := ifreqFor(name)
	ifr.Data = &buf[0]
	err := s.ioctl(unix.SIOCSIFDESCR, unsafe.Pointer(&ifr))
	runtime.KeepAlive(buf)
	return err
}

func (s *sysOpenBSD) description(name string) (string, error) {
	buf := make([]byte, wgio.IfDescrSize)
	ifr := ifreqFor(name)
	ifr.Data = &buf[0]
	err := s.ioctl(unix.SIOCGIFDESCR, unsafe.Pointer(&ifr))
	runtime.KeepAlive(buf)
	if err != nil {
		return "", err
	}
	return unix.ByteSliceToString(buf), nil
}

// groupMembers lists an interface group (SIOCGIFGMEMB with its
// two-call protocol, platform/bsd.GroupMembers); a group that does not
// exist yet (no wg interface was ever created) has no members.
func (s *sysOpenBSD) groupMembers(name string) ([]string, error) {
	return bsd.GroupMembers(s.ioctl, name)
}

func (s *sysOpenBSD) close() error { return unix.Close(s.fd) }
