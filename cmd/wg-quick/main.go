// Command wg-quick brings WireGuard interfaces up and down from
// configuration files, like wg-quick(8). All logic is in package wgquick;
// this main wires the process's streams, signals and the live system.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	wgquick "github.com/wgshim/wgshim/wg-quick"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := wgquick.Main(os.Args, wgquick.OSEnv(ctx))
	stop()
	os.Exit(code)
}
