package host

import (
	"github.com/wgshim/wgshim/platform"
	"github.com/wgshim/wgshim/platform/openbsd/ifwg"
)

// kernelDrivers: OpenBSD's wg(4), through its ioctls.
func kernelDrivers() []platform.Driver {
	return []platform.Driver{ifwg.NewDriver()}
}
