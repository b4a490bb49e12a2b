// Command wg configures WireGuard interfaces, byte-compatible with
// wireguard-tools' wg(8). All logic is in package wg; this main wires the
// process's streams, environment and terminal to it, and platform/host as
// the backend.
package main

import (
	"io"
	"os"

	"golang.org/x/term"

	"github.com/wgshim/wgshim/platform/host"
	"github.com/wgshim/wgshim/wg"
)

func main() {
	os.Exit(wg.Main(os.Args, wg.Env{
		Stdin:     os.Stdin,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		LookupEnv: os.LookupEnv,
		IsTerminal: func(w io.Writer) bool {
			f, ok := w.(*os.File)
			return ok && term.IsTerminal(int(f.Fd()))
		},
		Backend: host.Backend{},
	}))
}
