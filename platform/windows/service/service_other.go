//go:build !windows

package service

import (
	"errors"
	"fmt"
)

var errNotWindows = fmt.Errorf("service: Windows services: %w", errors.ErrUnsupported)

// Install returns errors.ErrUnsupported outside Windows.
func Install(s Spec) error { return errNotWindows }

// Uninstall returns errors.ErrUnsupported outside Windows.
func Uninstall(iface string) error { return errNotWindows }

// Installed returns errors.ErrUnsupported outside Windows.
func Installed(iface string) (bool, error) { return false, errNotWindows }

// Query returns errors.ErrUnsupported outside Windows.
func Query(iface string) (State, error) { return 0, errNotWindows }

// IsService reports false outside Windows.
func IsService() (bool, error) { return false, nil }

// Run returns errors.ErrUnsupported outside Windows.
func Run(iface string, run RunFunc) error { return errNotWindows }
