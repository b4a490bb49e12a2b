//go:build !linux && !freebsd && !openbsd && !windows

package host

import "github.com/wgshim/wgshim/platform"

// kernelDrivers: no kernel WireGuard here (macOS).
func kernelDrivers() []platform.Driver { return nil }
