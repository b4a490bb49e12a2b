package host

import "github.com/wgshim/wgshim/platform"

func kernelDrivers() []platform.Driver {
	return []platform.Driver{
		// TODO(platform/openbsd): add the wg(4) driver here once it exists.
	}
}
