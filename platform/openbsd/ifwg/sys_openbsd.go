package ifwg

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/platform/openbsd/wgio"
)

// ifreq is struct ifreq (net/if.h) with the ifr_ifru union used as
// ifr_data: a pointer at offset 16, 32 bytes in all on LP64.
type ifreq struct {
	Name [ifNameSize]byte
	Data *byte
	_    [16 - unsafe.Sizeof(uintptr(0))]byte
}

// ifgroupreq is struct ifgroupreq (net/if.h) with the union as
// ifgr_groups: 40 bytes on LP64.
type ifgroupreq struct {
	Name   [ifNameSize]byte
	Len    uint32
	Groups *byte
	_      [16 - unsafe.Sizeof(uintptr(0))]byte
}

// sizeofIfgReq is sizeof(struct ifg_req): a union of two char[IFNAMSIZ].
const sizeofIfgReq = ifNameSize

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

// ioctl goes through syscall.Syscall, which Go maps to libc's ioctl(2)
// on OpenBSD (syscall(2) is gone since 7.5).
func (s *sysOpenBSD) ioctl(req uintptr, arg unsafe.Pointer) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(s.fd), req, uintptr(arg))
	if errno != 0 {
		return errno
	}
	return nil
}

func (s *sysOpenBSD) wgIoctl(req uintptr, io *wgio.DataIO) error {
	err := s.ioctl(req, unsafe.Pointer(io))
	runtime.KeepAlive(io.Interface)
	return err
}

func ifreqFor(name string) ifreq {
	var ifr ifreq
	copy(ifr.Name[:], name)
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

// groupAttempts bounds the SIOCGIFGMEMB retries while the group grows.
const groupAttempts = 8

// groupMembers lists an interface group with the two-call protocol of
// SIOCGIFGMEMB (if_getgroupmembers): ifgr_len = 0 asks for the size,
// EINVAL means the group grew past the buffer, ENOENT that the group
// does not exist (no interface of that kind was ever created).
func (s *sysOpenBSD) groupMembers(name string) ([]string, error) {
	for range groupAttempts {
		var req ifgroupreq
		copy(req.Name[:], name)
		if err := s.ioctl(unix.SIOCGIFGMEMB, unsafe.Pointer(&req)); err != nil {
			if err == unix.ENOENT {
				return nil, nil
			}
			return nil, fmt.Errorf("SIOCGIFGMEMB %s: %w", name, err)
		}
		if req.Len == 0 {
			return nil, nil
		}
		buf := make([]byte, req.Len+2*sizeofIfgReq) // room to grow
		req.Len = uint32(len(buf))
		req.Groups = &buf[0]
		err := s.ioctl(unix.SIOCGIFGMEMB, unsafe.Pointer(&req))
		runtime.KeepAlive(buf)
		if err == unix.EINVAL {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("SIOCGIFGMEMB %s: %w", name, err)
		}
		var names []string
		for off := 0; off+sizeofIfgReq <= len(buf); off += sizeofIfgReq {
			if n := unix.ByteSliceToString(buf[off : off+sizeofIfgReq]); n != "" {
				names = append(names, n)
			}
		}
		return names, nil
	}
	return nil, fmt.Errorf("SIOCGIFGMEMB %s: group kept growing", name)
}

func (s *sysOpenBSD) close() error { return unix.Close(s.fd) }
