package daemon

import (
	"os"
	"syscall"

	"github.com/wgshim/wgshim/core"
	"github.com/wgshim/wgshim/core/conn"
	"github.com/wgshim/wgshim/core/tun"
	"github.com/wgshim/wgshim/platform/linux/bind"
	"github.com/wgshim/wgshim/platform/linux/tundev"
)

const osName = "Linux"

// openTUN creates the TUN, or adopts the descriptor in WG_TUN_FD.
func openTUN(name, fdEnv string) (tun.Device, error) {
	if fdEnv == "" {
		return tundev.Create(name, core.DefaultMTU)
	}
	f, err := envFile(envTunFD, fdEnv, "/dev/net/tun")
	if err != nil {
		return nil, err
	}
	return tundev.CreateFromFile(f, 0)
}

func newBind() conn.Bind { return bind.New() }

func kernelHasWireGuard() bool {
	_, err := os.Stat("/sys/module/wireguard")
	return err == nil
}

func detachAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
