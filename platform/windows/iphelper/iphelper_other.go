//go:build !windows

package iphelper

import (
	"context"
	"errors"
	"fmt"
)

var errNotWindows = fmt.Errorf("iphelper: IP Helper: %w", errors.ErrUnsupported)

// Apply returns errors.ErrUnsupported outside Windows.
func Apply(luid uint64, cfg Config) (*Applied, error) { return nil, errNotWindows }

// WatchRoutes returns errors.ErrUnsupported outside Windows.
func WatchRoutes(ctx context.Context, fn func()) error { return errNotWindows }
