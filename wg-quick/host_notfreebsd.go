//go:build !freebsd

package wgquick

import (
	"fmt"
	"io"
	"os"
	"runtime"
)

// NewFreeBSDHost returns an error wrapping errors.ErrUnsupported outside
// FreeBSD: the FreeBSD flow runs here only against a test double.
func NewFreeBSDHost(stdout, stderr io.Writer) (FreeBSDHost, error) {
	return nil, fmt.Errorf("wg-quick: the FreeBSD host on %s: %w", runtime.GOOS, errUnsupported)
}

// FreeBSDMonitorMain fails outside FreeBSD.
func FreeBSDMonitorMain(args []string) int {
	fmt.Fprintf(os.Stderr, "wg-quick: the FreeBSD route monitor on %s: %v\n", runtime.GOOS, errUnsupported)
	return 1
}
