package netif

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/platform/bsd"
)

// ioctl issues req on a fresh datagram socket of family af: interface
// ioctls reach the interface from any protocol, but SIOCAIFADDR_IN6 is
// handled by the IPv6 one.
func ioctl(af int, req uintptr, arg unsafe.Pointer) error {
	fd, err := unix.Socket(af, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	defer unix.Close(fd)
	return bsd.Ioctl(fd, req, arg)
}

// opErr builds "OP NAME: cause", with ENXIO matching os.ErrNotExist.
func opErr(op, name string, err error) error {
	if errors.Is(err, syscall.ENXIO) {
		return fmt.Errorf("%s %s: no such interface: %w (%w)", op, name, os.ErrNotExist, err)
	}
	return fmt.Errorf("%s %s: %w", op, name, err)
}

func intReq(name string) (bsd.IfreqInt, error) {
	var r bsd.IfreqInt
	err := bsd.PutName(&r.Name, name)
	return r, err
}

func getInt(op string, req uintptr, name string) (int, error) {
	r, err := intReq(name)
	if err != nil {
		return 0, err
	}
	if err := ioctl(unix.AF_INET, req, unsafe.Pointer(&r)); err != nil {
		return 0, opErr(op, name, err)
	}
	return int(r.Value), nil
}

func setInt(op string, req uintptr, name string, v int) error {
	r, err := intReq(name)
	if err != nil {
		return err
	}
	r.Value = int32(v)
	if err := ioctl(unix.AF_INET, req, unsafe.Pointer(&r)); err != nil {
		return opErr(op, name, err)
	}
	return nil
}

// AddAddress adds p to interface name (ifconfig NAME inet|inet6 P alias).
// On wg(4) the first address also brings the interface up.
func AddAddress(name string, p netip.Prefix) error {
	if p.Addr().Is4() {
		b, err := EncodeInAliasreq(name, p)
		if err != nil {
			return err
		}
		if err := ioctl(unix.AF_INET, SIOCAIFADDR, unsafe.Pointer(&b)); err != nil {
			return opErr("SIOCAIFADDR "+p.String(), name, err)
		}
		return nil
	}
	b, err := EncodeIn6Aliasreq(name, p)
	if err != nil {
		return err
	}
	if err := ioctl(unix.AF_INET6, SIOCAIFADDR_IN6, unsafe.Pointer(&b)); err != nil {
		return opErr("SIOCAIFADDR_IN6 "+p.String(), name, err)
	}
	return nil
}

// DeleteAddress removes the IPv4 address a from interface name
// (SIOCDIFADDR). IPv6 fails with errors.ErrUnsupported (see the package
// documentation).
func DeleteAddress(name string, a netip.Addr) error {
	if !a.Is4() {
		return fmt.Errorf("delete address %s from %s: %w", a, name, errors.ErrUnsupported)
	}
	var b [bsd.SizeofIfreq]byte
	if err := putName(b[:], name); err != nil {
		return err
	}
	bsd.PutSockaddrInet4(b[offAddr:], a)
	if err := ioctl(unix.AF_INET, unix.SIOCDIFADDR, unsafe.Pointer(&b)); err != nil {
		return opErr("SIOCDIFADDR "+a.String(), name, err)
	}
	return nil
}

// MTU returns the interface's MTU (SIOCGIFMTU).
func MTU(name string) (int, error) { return getInt("SIOCGIFMTU", unix.SIOCGIFMTU, name) }

// SetMTU sets the MTU (SIOCSIFMTU); wg(4) accepts 1-9000.
func SetMTU(name string, mtu int) error {
	return setInt("SIOCSIFMTU", unix.SIOCSIFMTU, name, mtu)
}

// Flags returns the interface flags (SIOCGIFFLAGS, IFF_*).
func Flags(name string) (int, error) {
	r, err := intReq(name)
	if err != nil {
		return 0, err
	}
	if err := ioctl(unix.AF_INET, unix.SIOCGIFFLAGS, unsafe.Pointer(&r)); err != nil {
		return 0, opErr("SIOCGIFFLAGS", name, err)
	}
	return int(r.Flags16()), nil
}

// SetUp sets or clears IFF_UP, keeping the other flags.
func SetUp(name string, up bool) error {
	r, err := intReq(name)
	if err != nil {
		return err
	}
	if err := ioctl(unix.AF_INET, unix.SIOCGIFFLAGS, unsafe.Pointer(&r)); err != nil {
		return opErr("SIOCGIFFLAGS", name, err)
	}
	f := r.Flags16()
	if up {
		f |= unix.IFF_UP
	} else {
		f &^= unix.IFF_UP
	}
	r.SetFlags16(f)
	if err := ioctl(unix.AF_INET, unix.SIOCSIFFLAGS, unsafe.Pointer(&r)); err != nil {
		return opErr("SIOCSIFFLAGS", name, err)
	}
	return nil
}

// Rdomain returns the routing domain the interface is in.
func Rdomain(name string) (int, error) {
	return getInt("SIOCGIFRDOMAIN", unix.SIOCGIFRDOMAIN, name)
}

// SetRdomain moves the interface into routing domain id (0-255), where
// its decrypted traffic lives; it loses its addresses.
func SetRdomain(name string, id int) error {
	return setInt("SIOCSIFRDOMAIN", unix.SIOCSIFRDOMAIN, name, id)
}

// SetDescription sets the interface description (SIOCSIFDESCR), at most
// 63 bytes.
func SetDescription(name, descr string) error {
	if len(descr) >= DescrSize {
		return fmt.Errorf("SIOCSIFDESCR %s: description longer than %d bytes", name, DescrSize-1)
	}
	buf := make([]byte, DescrSize)
	copy(buf, descr)
	var r bsd.IfreqData
	if err := bsd.PutName(&r.Name, name); err != nil {
		return err
	}
	r.Data = &buf[0]
	err := ioctl(unix.AF_INET, unix.SIOCSIFDESCR, unsafe.Pointer(&r))
	runtime.KeepAlive(buf)
	if err != nil {
		return opErr("SIOCSIFDESCR", name, err)
	}
	return nil
}

// Description returns the interface description (SIOCGIFDESCR).
func Description(name string) (string, error) {
	buf := make([]byte, DescrSize)
	var r bsd.IfreqData
	if err := bsd.PutName(&r.Name, name); err != nil {
		return "", err
	}
	r.Data = &buf[0]
	err := ioctl(unix.AF_INET, unix.SIOCGIFDESCR, unsafe.Pointer(&r))
	runtime.KeepAlive(buf)
	if err != nil {
		return "", opErr("SIOCGIFDESCR", name, err)
	}
	return unix.ByteSliceToString(buf), nil
}

// Destroy destroys a cloned interface (SIOCIFDESTROY); the error wraps
// os.ErrNotExist if it is already gone.
func Destroy(name string) error {
	var r bsd.IfreqData
	if err := bsd.PutName(&r.Name, name); err != nil {
		return err
	}
	if err := ioctl(unix.AF_INET, unix.SIOCIFDESTROY, unsafe.Pointer(&r)); err != nil {
		return opErr("SIOCIFDESTROY", name, err)
	}
	return nil
}
