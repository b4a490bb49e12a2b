//go:build !linux

package wgquick

import (
	"fmt"
	"io"
	"runtime"
)

// NewHost returns the live system of this OS. Only Linux has one so far;
// elsewhere the error wraps errors.ErrUnsupported.
func NewHost(stdout, stderr io.Writer) (Host, error) {
	return nil, fmt.Errorf("wg-quick: %s: %w (only Linux is implemented)", runtime.GOOS, errUnsupported)
}
