//go:build !windows

package tundev

import (
	"errors"
	"fmt"
)

var errNotWindows = fmt.Errorf("tundev: Wintun adapters: %w", errors.ErrUnsupported)

// Create returns errors.ErrUnsupported outside Windows.
func Create(name string, opts Options) (*Device, error) { return nil, errNotWindows }

// Open returns errors.ErrUnsupported outside Windows.
func Open(name string, opts Options) (*Device, error) { return nil, errNotWindows }
