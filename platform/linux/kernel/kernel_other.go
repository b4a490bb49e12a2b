//go:build !linux

package kernel

import (
	"errors"
	"fmt"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform"
)

// Driver is the Linux kernel driver; it does nothing here.
type Driver struct{}

var _ platform.Driver = (*Driver)(nil)

// New returns the driver.
func New() *Driver { return &Driver{} }

var errNotLinux = fmt.Errorf("platform/linux/kernel: the wireguard kernel module exists only on Linux: %w", errors.ErrUnsupported)

// Kind reports wgtypes.LinuxKernel.
func (*Driver) Kind() wgtypes.DeviceType { return wgtypes.LinuxKernel }

// Create fails: not Linux.
func (*Driver) Create(name string) (platform.Link, error) { return nil, errNotLinux }

// Open fails: not Linux.
func (*Driver) Open(name string) (platform.Link, error) { return nil, errNotLinux }

// List fails: not Linux.
func (*Driver) List() ([]string, error) { return nil, errNotLinux }
