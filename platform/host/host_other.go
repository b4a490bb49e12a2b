//go:build !linux && !freebsd && !openbsd

package host

import "github.com/wgshim/wgshim/platform"

// kernelDrivers: no kernel WireGuard here (macOS), or not wired yet
// (Windows' driver lives in platform/windows).
func kernelDrivers() []platform.Driver { return nil }
