//go:build !windows

package wgquick

import (
	"fmt"
	"io"
	"runtime"
)

// NewWindowsHost returns an error wrapping errors.ErrUnsupported outside
// Windows: the Windows flow runs there only against a test double.
func NewWindowsHost(stdout, stderr io.Writer) (WindowsHost, error) {
	return nil, fmt.Errorf("wg-quick: the Windows host on %s: %w", runtime.GOOS, errUnsupported)
}
