package netif

import (
	"net/netip"
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/internal/testenv"
	"github.com/wgshim/wgshim/platform/bsd"
)

// Go mirrors of the C requests, for the layout check only.
type inAliasreq struct {
	Name [unix.IFNAMSIZ]byte
	Addr unix.RawSockaddrInet4
	Dst  unix.RawSockaddrInet4
	Mask unix.RawSockaddrInet4
}

type in6AddrLifetime struct {
	Expire, Preferred int64
	Vltime, Pltime    uint32
}

type in6Aliasreq struct {
	Name     [unix.IFNAMSIZ]byte
	Addr     unix.RawSockaddrInet6
	Dst      unix.RawSockaddrInet6
	Mask     unix.RawSockaddrInet6
	Flags    int32
	Lifetime in6AddrLifetime
}

// TestLayout checks the offsets the encoders use against the Go layout of
// the C structs for the port being built, and the ioctl numbers (whose
// size field is sizeof the argument) against x/sys/unix. It needs no
// privileges; cross-compile with GOOS=openbsd go test -c.
func TestLayout(t *testing.T) {
	check := func(what string, got, want uintptr) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %d, want %d", what, got, want)
		}
	}
	var a inAliasreq
	check("sizeof(in_aliasreq)", unsafe.Sizeof(a), SizeofInAliasreq)
	check("ifra_addr", unsafe.Offsetof(a.Addr), offAddr)
	check("ifra_dstaddr", unsafe.Offsetof(a.Dst), offDst4)
	check("ifra_mask", unsafe.Offsetof(a.Mask), offMask4)
	check("SIOCAIFADDR", SIOCAIFADDR, unix.SIOCAIFADDR)
	var b in6Aliasreq
	check("sizeof(in6_aliasreq)", unsafe.Sizeof(b), SizeofIn6Aliasreq)
	check("ifra_addr6", unsafe.Offsetof(b.Addr), offAddr)
	check("ifra_dstaddr6", unsafe.Offsetof(b.Dst), offDst6)
	check("ifra_prefixmask", unsafe.Offsetof(b.Mask), offMask6)
	check("ifra_flags", unsafe.Offsetof(b.Flags), offFlags6)
	check("ifra_lifetime", unsafe.Offsetof(b.Lifetime), offLife6)
	check("ia6t_vltime", unsafe.Offsetof(b.Lifetime)+unsafe.Offsetof(b.Lifetime.Vltime), offVltime)
	check("ia6t_pltime", unsafe.Offsetof(b.Lifetime)+unsafe.Offsetof(b.Lifetime.Pltime), offPltime)
	check("sizeof(ifreq) in SIOCSIFMTU", unix.SIOCSIFMTU>>16&0x1fff, bsd.SizeofIfreq)
	check("sizeof(ifreq) in SIOCSIFRDOMAIN", unix.SIOCSIFRDOMAIN>>16&0x1fff, bsd.SizeofIfreq)
	check("AF_INET6", 24, unix.AF_INET6)
}

// TestLiveTun exercises the ioctls on a tun(4) interface created for the
// test. It needs root.
func TestLiveTun(t *testing.T) {
	testenv.RequireRoot(t, "interface ioctls")
	const name = "tun99"
	var r [bsd.SizeofIfreq]byte
	copy(r[:], name)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCIFCREATE, uintptr(unsafe.Pointer(&r))); e != 0 {
		t.Fatalf("SIOCIFCREATE %s: %v", name, e)
	}
	defer Destroy(name)
	if err := SetMTU(name, 1380); err != nil {
		t.Fatal(err)
	}
	if mtu, err := MTU(name); err != nil || mtu != 1380 {
		t.Errorf("MTU = %d, %v; want 1380", mtu, err)
	}
	if err := AddAddress(name, netip.MustParsePrefix("10.99.0.1/24")); err != nil {
		t.Fatal(err)
	}
	if err := AddAddress(name, netip.MustParsePrefix("fd99::1/64")); err != nil {
		t.Fatal(err)
	}
	if err := DeleteAddress(name, netip.MustParseAddr("10.99.0.1")); err != nil {
		t.Error(err)
	}
	if err := SetUp(name, true); err != nil {
		t.Fatal(err)
	}
	if f, err := Flags(name); err != nil || f&unix.IFF_UP == 0 {
		t.Errorf("flags %#x, %v: not up", f, err)
	}
	if err := SetDescription(name, "wg-quick: test"); err != nil {
		t.Error(err)
	}
	if d, err := Description(name); err != nil || d != "wg-quick: test" {
		t.Errorf("Description = %q, %v", d, err)
	}
	if err := Destroy(name); err != nil {
		t.Fatal(err)
	}
	if _, err := MTU(name); !os.IsNotExist(err) && err == nil {
		t.Errorf("after Destroy: MTU err %v", err)
	}
}
