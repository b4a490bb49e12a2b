package ifwg

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/platform/bsd"
)

// TestStructLayout pins struct ifreq and struct ifgroupreq (spec §7)
// against the ioctl numbers x/sys/unix generates from the headers, whose
// size field encodes sizeof the argument. It runs only on OpenBSD;
// cross-compile it with GOOS=openbsd GOARCH=amd64 go test -c.
func TestStructLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("LP64 only")
	}
	check := func(what string, got, want uintptr) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %d, want %d", what, got, want)
		}
	}
	ioctlSize := func(req uintptr) uintptr { return req >> 16 & 0x1fff }
	check("sizeof(ifreq)", unsafe.Sizeof(bsd.IfreqData{}), 32)
	check("sizeof(ifreq) in SIOCIFCREATE", ioctlSize(unix.SIOCIFCREATE), unsafe.Sizeof(bsd.IfreqData{}))
	check("sizeof(ifreq) in SIOCIFDESTROY", ioctlSize(unix.SIOCIFDESTROY), unsafe.Sizeof(bsd.IfreqData{}))
	check("sizeof(ifreq) in SIOCSIFDESCR", ioctlSize(unix.SIOCSIFDESCR), unsafe.Sizeof(bsd.IfreqData{}))
	check("sizeof(ifreq) in SIOCGIFDESCR", ioctlSize(unix.SIOCGIFDESCR), unsafe.Sizeof(bsd.IfreqData{}))
	check("offsetof(ifr_data)", unsafe.Offsetof(bsd.IfreqData{}.Data), 16)
	check("sizeof(ifgroupreq)", unsafe.Sizeof(bsd.Ifgroupreq{}), 40)
	check("sizeof(ifgroupreq) in SIOCGIFGMEMB", ioctlSize(unix.SIOCGIFGMEMB), unsafe.Sizeof(bsd.Ifgroupreq{}))
	check("offsetof(ifgr_len)", unsafe.Offsetof(bsd.Ifgroupreq{}.Len), 16)
	check("offsetof(ifgr_groups)", unsafe.Offsetof(bsd.Ifgroupreq{}.Groups), 24)
	// Spec §7 values.
	check("SIOCIFCREATE", unix.SIOCIFCREATE, 0x8020697a)
	check("SIOCIFDESTROY", unix.SIOCIFDESTROY, 0x80206979)
	check("SIOCSIFDESCR", unix.SIOCSIFDESCR, 0x80206980)
	check("SIOCGIFGMEMB", unix.SIOCGIFGMEMB, 0xc028698a)
	check("bsd.SIOCGIFGMEMB", bsd.SIOCGIFGMEMB, unix.SIOCGIFGMEMB)
}

// TestNewDriverHere runs on a real OpenBSD machine: the layout must come
// from this kernel's release.
func TestNewDriverHere(t *testing.T) {
	d := NewDriver()
	if d.err != nil {
		t.Fatalf("NewDriver: %v", d.err)
	}
	rel, err := unix.Sysctl("kern.osrelease")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kern.osrelease %s: layout %v", rel, d.Layout())
	if _, err := d.List(); err != nil {
		t.Errorf("List: %v", err)
	}
}
