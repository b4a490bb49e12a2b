//go:build !unix

package uapi

import (
	"errors"
	"fmt"
	"net"
)

// Listen is not available here: Windows uses a named pipe
// (platform/windows).
func Listen(dir, iface string) (net.Listener, error) {
	return nil, fmt.Errorf("uapi listen: unix sockets: %w", errors.ErrUnsupported)
}

// Dial is not available here; see Listen.
func Dial(dir, iface string) (net.Conn, error) {
	return nil, fmt.Errorf("uapi dial: unix sockets: %w", errors.ErrUnsupported)
}

// Dial is not available here; see Listen.
func (c *Client) Dial(iface string) (net.Conn, error) {
	return Dial(c.Dir, iface)
}

// List is not available here; see Listen.
func List(dir string) ([]string, error) {
	return nil, fmt.Errorf("uapi list: unix sockets: %w", errors.ErrUnsupported)
}
