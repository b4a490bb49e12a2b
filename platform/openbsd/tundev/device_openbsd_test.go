package tundev

import (
	"github.com/wgshim/wgshim/internal/testenv"
	"github.com/wgshim/wgshim/platform/bsd"

	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/core/tun"
	"github.com/wgshim/wgshim/platform/openbsd/netif"
)

// TestLayout checks the routing-message offsets rtmsg.go reads against
// x/sys/unix's OpenBSD structs, and the constants against the headers.
// Cross-compile with GOOS=openbsd go test -c.
func TestLayout(t *testing.T) {
	check := func(what string, got, want uintptr) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %d, want %d", what, got, want)
		}
	}
	var m unix.IfMsghdr
	check("ifm_version", unsafe.Offsetof(m.Version), offMsgVersion)
	check("ifm_type", unsafe.Offsetof(m.Type), offMsgType)
	check("ifm_index", unsafe.Offsetof(m.Index), offMsgIndex)
	check("ifm_flags", unsafe.Offsetof(m.Flags), offIfmFlags)
	check("ifi_mtu", unsafe.Offsetof(m.Data)+unsafe.Offsetof(m.Data.Mtu), offIfmMTU)
	check("sizeof(if_msghdr)", unsafe.Sizeof(m), unix.SizeofIfMsghdr)
	var a unix.IfAnnounceMsghdr
	check("ifan_index", unsafe.Offsetof(a.Index), offMsgIndex)
	check("ifan_what", unsafe.Offsetof(a.What), offIfanWhat)
	check("RTM_VERSION", rtmVersion, unix.RTM_VERSION)
	check("RTM_IFINFO", rtmIfInfo, unix.RTM_IFINFO)
	check("RTM_IFANNOUNCE", rtmIfAnnounce, unix.RTM_IFANNOUNCE)
	check("IFAN_DEPARTURE", ifanDeparture, unix.IFAN_DEPARTURE)
	check("IFF_UP", iffUp, unix.IFF_UP)
	check("AF_INET", bsd.AFInet, unix.AF_INET)
	check("AF_INET6", bsd.AFInet6OpenBSD, unix.AF_INET6)
	check("TUNSIFMODE", tunSIFMode, 0x8004745d)
}

func needRoot(t *testing.T) {
	testenv.RequireRoot(t, "tun(4) devices")
}

// TestLive creates a tun device, checks its MTU and events, and that
// destroying the interface closes the device.
func TestLive(t *testing.T) {
	needRoot(t)
	d, err := Create("tun", 1400)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	name, _ := d.Name()
	if mtu, err := d.MTU(); err != nil || mtu != 1400 {
		t.Errorf("MTU = %d, %v", mtu, err)
	}
	if err := netif.SetUp(name, true); err != nil {
		t.Fatal(err)
	}
	waitFor := func(want tun.Event) {
		t.Helper()
		timeout := time.After(5 * time.Second)
		for {
			select {
			case ev := <-d.Events():
				if ev == want {
					return
				}
			case <-timeout:
				t.Fatalf("no event %v", want)
			}
		}
	}
	waitFor(tun.EventUp)
	if out, err := exec.Command("ifconfig", name, "destroy").CombinedOutput(); err != nil {
		t.Fatalf("ifconfig %s destroy: %v: %s", name, err, out)
	}
	done := make(chan error, 1)
	go func() {
		_, err := d.Read([][]byte{make([]byte, 2000)}, []int{0}, 16)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Read succeeded after the interface was destroyed")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still blocked after the interface was destroyed")
	}
	if err := d.Close(); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Close: %v", err)
	}
}
