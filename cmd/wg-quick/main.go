// Command wg-quick brings WireGuard interfaces up and down from
// configuration files, like wg-quick(8). All logic is in package wgquick;
// this main wires the process's streams, signals and the live system. A
// hidden first argument (wgquick.Hidden) runs the route monitor that
// `up` starts in the background on FreeBSD and OpenBSD.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	wgquick "github.com/wgshim/wgshim/wg-quick"
)

func main() {
	if m := wgquick.Hidden(os.Args); m != nil {
		os.Exit(m(os.Args[1:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := wgquick.Main(os.Args, wgquick.OSEnv(ctx))
	stop()
	os.Exit(code)
}
