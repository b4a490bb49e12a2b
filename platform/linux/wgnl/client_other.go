//go:build !linux

package wgnl

import (
	"errors"
	"fmt"

	"github.com/wgshim/wgshim/core/wgtypes"
)

var errNotLinux = fmt.Errorf("wgnl: the wireguard generic netlink family exists only on Linux: %w", errors.ErrUnsupported)

// Client is a connection to the kernel's WireGuard generic netlink family.
// It exists only on Linux.
type Client struct{}

// Open fails with an error wrapping errors.ErrUnsupported on this OS.
func Open() (*Client, error) { return nil, errNotLinux }

// Close does nothing.
func (c *Client) Close() error { return nil }

// Get fails with an error wrapping errors.ErrUnsupported on this OS.
func (c *Client) Get(name string) (*wgtypes.Device, error) { return nil, errNotLinux }

// Set fails with an error wrapping errors.ErrUnsupported on this OS.
func (c *Client) Set(name string, cfg wgtypes.Config) error { return errNotLinux }
