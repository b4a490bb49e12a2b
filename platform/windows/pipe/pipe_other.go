//go:build !windows

package pipe

import (
	"errors"
	"fmt"
	"net"
	"time"
)

var errNotWindows = fmt.Errorf("uapi pipe: named pipes: %w", errors.ErrUnsupported)

// Listen returns errors.ErrUnsupported outside Windows.
func Listen(iface string) (net.Listener, error) { return nil, errNotWindows }

// ListenSDDL returns errors.ErrUnsupported outside Windows.
func ListenSDDL(iface, sddl string) (net.Listener, error) { return nil, errNotWindows }

// Dial returns errors.ErrUnsupported outside Windows.
func Dial(iface string, timeout time.Duration) (net.Conn, error) { return nil, errNotWindows }

// List returns errors.ErrUnsupported outside Windows.
func List() ([]string, error) { return nil, errNotWindows }
