//go:build !linux

package rtnl

import (
	"errors"
	"fmt"
	"runtime"
)

// Dial fails on this OS with an error wrapping errors.ErrUnsupported.
func Dial() (*Conn, error) {
	return nil, fmt.Errorf("dial rtnetlink: %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

// DialNetNS fails on this OS with an error wrapping errors.ErrUnsupported.
func DialNetNS(int) (*Conn, error) { return Dial() }
