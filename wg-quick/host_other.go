//go:build !linux && !freebsd

package wgquick

import (
	"fmt"
	"io"
	"runtime"
)

// NewHost returns the live system of this OS. Linux has one (FreeBSD and OpenBSD run their own flows);
// elsewhere the error wraps errors.ErrUnsupported.
func NewHost(stdout, stderr io.Writer) (Host, error) {
	return nil, fmt.Errorf("wg-quick: %s: %w (Linux only; FreeBSD, OpenBSD and Windows have their own flows)", runtime.GOOS, errUnsupported)
}
