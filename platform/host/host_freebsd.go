package host

import (
	"github.com/wgshim/wgshim/platform"
	"github.com/wgshim/wgshim/platform/freebsd/ifwg"
)

func kernelDrivers() []platform.Driver { return []platform.Driver{ifwg.NewDriver()} }
