package ifwg

import (
	"github.com/wgshim/wgshim/platform/bsd"

	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestStructLayout pins the C layouts of spec §2.2, §2.8 and §2.9 and the
// ioctl numbers derived from them. It runs only on FreeBSD; cross-compile
// it with GOOS=freebsd go test -c.
func TestStructLayout(t *testing.T) {
	ptr := unsafe.Sizeof(uintptr(0))
	check := func(what string, got, want uintptr) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %d, want %d", what, got, want)
		}
	}
	// struct wg_data_io: name[16], data pointer, size_t.
	check("sizeof(wg_data_io)", unsafe.Sizeof(DataIO{}), 16+2*ptr)
	check("offsetof(wgd_data)", unsafe.Offsetof(DataIO{}.Data), 16)
	check("offsetof(wgd_size)", unsafe.Offsetof(DataIO{}.Size), 16+ptr)
	// struct ifreq: 32 bytes, union at 16.
	check("sizeof(ifreq)", unsafe.Sizeof(ifreq{}), 32)
	check("offsetof(ifr_data)", unsafe.Offsetof(ifreq{}.Data), 16)
	// struct ifgroupreq.
	check("offsetof(ifgr_len)", unsafe.Offsetof(bsd.Ifgroupreq{}.Len), 16)
	if ptr == 8 {
		check("sizeof(ifgroupreq)", unsafe.Sizeof(bsd.Ifgroupreq{}), 40)
		check("offsetof(ifgr_groups)", unsafe.Offsetof(bsd.Ifgroupreq{}.Groups), 24)
		check("SIOCSWG", SIOCSWG, 0xc02069d2)
		check("SIOCGWG", SIOCGWG, 0xc02069d3)
	} else {
		check("sizeof(ifgroupreq)", unsafe.Sizeof(bsd.Ifgroupreq{}), 36)
		check("SIOCSWG", SIOCSWG, 0xc01869d2)
		check("SIOCGWG", SIOCGWG, 0xc01869d3)
	}
	// Interface ioctls against x/sys/unix, which generates them from the
	// headers.
	check("SIOCIFCREATE2", siocIfCreate2, unix.SIOCIFCREATE2)
	check("SIOCIFDESTROY", siocIfDestroy, unix.SIOCIFDESTROY)
	check("SIOCGIFGMEMB", bsd.SIOCGIFGMEMB, unix.SIOCGIFGMEMB)
	check("SIOCSIFNAME", siocSIfName, unix.SIOCSIFNAME)
	check("SYS_KLDLOAD", sysKLDLoad, unix.SYS_KLDLOAD)
}
