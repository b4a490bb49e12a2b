// Command wgshim is the userspace WireGuard daemon: wgshim [-f] IFACE.
package main

import (
	"os"

	"github.com/wgshim/wgshim/daemon"
)

func main() { os.Exit(daemon.Main(daemon.OSEnv())) }
