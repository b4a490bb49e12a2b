package daemon

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/core"
	"github.com/wgshim/wgshim/core/conn"
	"github.com/wgshim/wgshim/core/tun"
	"github.com/wgshim/wgshim/platform/openbsd/tundev"
	"github.com/wgshim/wgshim/platform/openbsd/wgio"
)

const osName = "OpenBSD"

// envTunCreated tells the background child that the parent created the
// tun interface it passes as WG_TUN_FD, so that the child destroys it
// when it exits (the parent sets it in its own environment, which
// daemonize hands down). An adopted descriptor from anyone else leaves
// the interface in place.
const envTunCreated = "WGSHIM_TUN_CREATED"

// envTunNameFile is where the real tunN goes when the name asked for was
// "tun" (wireguard-go's WG_TUN_NAME_FILE on OpenBSD).
const envTunNameFile = "WG_TUN_NAME_FILE"

// openTUN opens /dev/tunN (OpenBSD cannot rename interfaces, so the name
// must be tunN, or tun for the first free unit), or adopts WG_TUN_FD.
func openTUN(name, fdEnv string) (tun.Device, error) {
	if fdEnv != "" {
		f, err := envFile(envTunFD, fdEnv, "/dev/tun")
		if err != nil {
			return nil, err
		}
		return tundev.CreateFromFile(f, 0, os.Getenv(envTunCreated) == "1")
	}
	d, err := tundev.Create(name, core.DefaultMTU)
	if err != nil {
		return nil, err
	}
	if d.DestroysOnClose() {
		os.Setenv(envTunCreated, "1")
	}
	if file := os.Getenv(envTunNameFile); file != "" && name == "tun" {
		real, _ := d.Name()
		if err := os.WriteFile(file, []byte(real+"\n"), 0o400); err != nil {
			d.Close()
			return nil, fmt.Errorf("%s: %w", envTunNameFile, err)
		}
	}
	return d, nil
}

func newBind() conn.Bind { return conn.NewStdBind() }

// kernelHasWireGuard: wg(4) ships with OpenBSD 6.8 and later.
func kernelHasWireGuard() bool {
	rel, err := unix.Sysctl("kern.osrelease")
	if err != nil {
		return false
	}
	_, err = wgio.LayoutForRelease(rel)
	return err == nil
}
