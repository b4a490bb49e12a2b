package host

import (
	"github.com/wgshim/wgshim/platform"
	"github.com/wgshim/wgshim/platform/windows"
)

// kernelDrivers on Windows is the named-pipe driver (platform/windows):
// the tunnels are userspace, but unix sockets are not how they are
// reached, so the shared userspace driver reports errors.ErrUnsupported
// there and Open and List fall through to this one. wireguard-nt is not
// supported.
func kernelDrivers() []platform.Driver { return []platform.Driver{&windows.Driver{}} }
