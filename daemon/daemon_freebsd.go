package daemon

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/core"
	"github.com/wgshim/wgshim/core/conn"
	"github.com/wgshim/wgshim/core/tun"
	"github.com/wgshim/wgshim/platform/freebsd/tundev"
)

const osName = "FreeBSD"

// openTUN clones a tun(4) interface and renames it, or adopts the
// descriptor in WG_TUN_FD. Either way closing the device destroys the
// interface, as a tun interface outlives its descriptor on FreeBSD and
// wg-quick waits for it to disappear after removing the socket.
func openTUN(name, fdEnv string) (tun.Device, error) {
	if fdEnv == "" {
		return tundev.Create(name, core.DefaultMTU)
	}
	f, err := envFile(envTunFD, fdEnv, "/dev/tun")
	if err != nil {
		return nil, err
	}
	return tundev.CreateFromFile(f, 0)
}

// newBind is the portable UDP bind: FreeBSD needs no special sockets.
func newBind() conn.Bind { return conn.NewStdBind() }

// kernelHasWireGuard reports whether if_wg is available: its module file
// is installed (FreeBSD 13.2 and later ship it) or a "wg" module is
// loaded or compiled in (modfind(2)).
func kernelHasWireGuard() bool {
	if _, err := os.Stat("/boot/kernel/if_wg.ko"); err == nil {
		return true
	}
	p, err := unix.BytePtrFromString("wg")
	if err != nil {
		return false
	}
	r, _, errno := unix.Syscall(unix.SYS_MODFIND, uintptr(unsafe.Pointer(p)), 0, 0)
	return errno == 0 && int(r) >= 0
}
