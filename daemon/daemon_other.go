//go:build !linux && !windows && !openbsd && !freebsd

package daemon

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/wgshim/wgshim/core/conn"
	"github.com/wgshim/wgshim/core/tun"
)

var osName = runtime.GOOS

// openTUN: the userspace datapath on this OS is not wired up yet.
func openTUN(name, fdEnv string) (tun.Device, error) {
	return nil, fmt.Errorf("userspace TUN on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

func newBind() conn.Bind { return conn.NewStdBind() }

func kernelHasWireGuard() bool { return false }
