//go:build !windows

package iphelper

import (
	"errors"
	"fmt"
)

var errNotWindows = fmt.Errorf("iphelper: IP Helper: %w", errors.ErrUnsupported)

// Apply returns errors.ErrUnsupported outside Windows.
func Apply(luid uint64, cfg Config) (undo func() error, plan RoutePlan, err error) {
	return nil, RoutePlan{}, errNotWindows
}

// SystemRoutes returns errors.ErrUnsupported outside Windows.
func SystemRoutes() ([]SystemRoute, error) { return nil, errNotWindows }

// AddRoute returns errors.ErrUnsupported outside Windows.
func AddRoute(tunnel uint64, r Route) error { return errNotWindows }

// DeleteRoute returns errors.ErrUnsupported outside Windows.
func DeleteRoute(tunnel uint64, r Route) error { return errNotWindows }
