//go:build !openbsd

package tundev

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

var errNotOpenBSD = fmt.Errorf("tundev: tun(4) on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// Create returns errors.ErrUnsupported outside OpenBSD.
func Create(name string, mtu int) (*Device, error) { return nil, errNotOpenBSD }

// CreateFromFile returns errors.ErrUnsupported outside OpenBSD.
func CreateFromFile(f *os.File, mtu int, destroyOnClose bool) (*Device, error) {
	return nil, errNotOpenBSD
}
