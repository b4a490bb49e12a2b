package ifconf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/platform/bsd"
)

// The request structures as Go types, for their sizes and alignment; the
// bytes come from layout.go.
type (
	ifreq       struct{ b [sizeofIfreq]byte }
	inAliasreq  struct{ b [sizeofInAliasreq]byte }
	in6Aliasreq struct {
		_ [0]uint64 // 8-byte aligned like the C struct (ifra_lifetime has time_t); first, as a trailing zero-size field would add padding
		b [sizeofIn6Aliasreq]byte
	}
)

// Conn issues interface ioctls. Address ioctls go to a socket of the
// address's family: FreeBSD hands SIOCAIFADDR(_IN6) to the socket's
// protocol (spec §2.10).
type Conn struct {
	fd4, fd6 int
}

// Open returns a Conn. IPv6 may be missing from the kernel; then only
// IPv6 addresses fail.
func Open() (*Conn, error) {
	fd4, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("ifconf: inet socket: %w", err)
	}
	fd6, err := unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		fd6 = -1
	}
	return &Conn{fd4: fd4, fd6: fd6}, nil
}

// Close releases the sockets.
func (c *Conn) Close() error {
	if c.fd6 >= 0 {
		unix.Close(c.fd6)
	}
	return unix.Close(c.fd4)
}

func ioctl(fd int, req uint32, p unsafe.Pointer) error {
	return bsd.Ioctl(fd, uintptr(req), p)
}

// AddAddress adds p to the interface as an alias (ifconfig IF inet|inet6
// ADDR alias).
func (c *Conn) AddAddress(name string, p netip.Prefix) error {
	if p.Addr().Is4() {
		b, err := InAliasreq(name, p)
		if err != nil {
			return err
		}
		r := inAliasreq{b: b}
		if err := ioctl(c.fd4, siocAIfAddr, unsafe.Pointer(&r)); err != nil {
			return fmt.Errorf("add address %s to %s: %w", p, name, err)
		}
		return nil
	}
	if c.fd6 < 0 {
		return fmt.Errorf("add address %s to %s: no IPv6 in this kernel: %w", p, name, errors.ErrUnsupported)
	}
	b, err := In6Aliasreq(name, p)
	if err != nil {
		return err
	}
	r := in6Aliasreq{b: b}
	if err := ioctl(c.fd6, siocAIfAddrIn6, unsafe.Pointer(&r)); err != nil {
		return fmt.Errorf("add address %s to %s: %w", p, name, err)
	}
	return nil
}

func (c *Conn) ifreq(op, name string, req uint32, r *ifreq) error {
	if err := ioctl(c.fd4, req, unsafe.Pointer(r)); err != nil {
		return fmt.Errorf("%s %s: %w", op, name, mapErrno(err))
	}
	return nil
}

// mapErrno makes a missing interface (ENXIO) match os.ErrNotExist.
func mapErrno(err error) error {
	if errors.Is(err, unix.ENXIO) {
		return fmt.Errorf("no such interface: %w (%w)", unix.ENOENT, err)
	}
	return err
}

// SetMTU sets the interface MTU (SIOCSIFMTU).
func (c *Conn) SetMTU(name string, mtu int) error {
	if err := checkMTU(mtu); err != nil {
		return fmt.Errorf("set mtu %s: %w", name, err)
	}
	b, err := ifreqInt(name, int32(mtu))
	if err != nil {
		return err
	}
	r := ifreq{b: b}
	return c.ifreq("set mtu", name, siocSIfMTU, &r)
}

// MTU returns the interface MTU (SIOCGIFMTU).
func (c *Conn) MTU(name string) (int, error) {
	b, err := Ifreq(name)
	if err != nil {
		return 0, err
	}
	r := ifreq{b: b}
	if err := c.ifreq("get mtu", name, siocGIfMTU, &r); err != nil {
		return 0, err
	}
	return int(int32(binary.NativeEndian.Uint32(r.b[16:]))), nil
}

// Flags returns the interface flags (SIOCGIFFLAGS); the error wraps
// os.ErrNotExist when there is no such interface.
func (c *Conn) Flags(name string) (uint32, error) {
	b, err := Ifreq(name)
	if err != nil {
		return 0, err
	}
	r := ifreq{b: b}
	if err := c.ifreq("get flags", name, siocGIfFlags, &r); err != nil {
		return 0, err
	}
	return flags(&r.b), nil
}

// SetUp sets or clears IFF_UP, keeping the other flags.
func (c *Conn) SetUp(name string, up bool) error {
	b, err := Ifreq(name)
	if err != nil {
		return err
	}
	r := ifreq{b: b}
	if err := c.ifreq("get flags", name, siocGIfFlags, &r); err != nil {
		return err
	}
	f := flags(&r.b)
	if up {
		f |= iffUp
	} else {
		f &^= iffUp
	}
	setFlags(&r.b, f)
	return c.ifreq("set flags", name, siocSIfFlags, &r)
}

// Exists reports whether an interface called name exists.
func (c *Conn) Exists(name string) (bool, error) {
	_, err := c.Flags(name)
	if errors.Is(err, unix.ENOENT) {
		return false, nil
	}
	return err == nil, err
}

// Rename renames interface from to to (SIOCSIFNAME); EEXIST when to is
// taken.
func (c *Conn) Rename(from, to string) error {
	b, err := Ifreq(from)
	if err != nil {
		return err
	}
	var newName [ifNameSize]byte
	if err := putName(newName[:], to); err != nil {
		return err
	}
	r := ifreq{b: b}
	// ifr_data points at the new name.
	*(*uintptr)(unsafe.Pointer(&r.b[16])) = uintptr(unsafe.Pointer(&newName[0]))
	err = c.ifreq("rename", from, siocSIfName, &r)
	runtime.KeepAlive(&newName)
	return err
}

// Destroy destroys a cloned interface (SIOCIFDESTROY).
func (c *Conn) Destroy(name string) error {
	b, err := Ifreq(name)
	if err != nil {
		return err
	}
	r := ifreq{b: b}
	return c.ifreq("destroy", name, siocIfDestroy, &r)
}
