package host

import (
	"github.com/wgshim/wgshim/platform"
	"github.com/wgshim/wgshim/platform/linux/kernel"
)

func kernelDrivers() []platform.Driver { return []platform.Driver{kernel.New()} }
