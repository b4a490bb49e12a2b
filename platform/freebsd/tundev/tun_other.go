//go:build !freebsd

package tundev

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

var errNotFreeBSD = fmt.Errorf("tundev: the FreeBSD tun device on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// Create returns errors.ErrUnsupported outside FreeBSD.
func Create(name string, mtu int) (*Device, error) { return nil, errNotFreeBSD }

// CreateFromFile returns errors.ErrUnsupported outside FreeBSD.
func CreateFromFile(f *os.File, mtu int) (*Device, error) { return nil, errNotFreeBSD }
