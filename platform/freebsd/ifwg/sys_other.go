//go:build !freebsd

package ifwg

import (
	"errors"
	"fmt"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform"
)

// Driver provides if_wg links; on this OS every method fails with
// errors.ErrUnsupported.
type Driver struct{}

var _ platform.Driver = (*Driver)(nil)

// NewDriver returns the if_wg driver.
func NewDriver() *Driver { return &Driver{} }

// Kind reports wgtypes.FreeBSDKernel.
func (*Driver) Kind() wgtypes.DeviceType { return wgtypes.FreeBSDKernel }

var errNotFreeBSD = fmt.Errorf("platform/freebsd: if_wg exists only on FreeBSD: %w", errors.ErrUnsupported)

// Create fails: there is no if_wg here.
func (*Driver) Create(name string) (platform.Link, error) {
	return nil, fmt.Errorf("create %s: %w", name, errNotFreeBSD)
}

// Open fails: there is no if_wg here.
func (*Driver) Open(name string) (platform.Link, error) {
	return nil, fmt.Errorf("open %s: %w", name, errNotFreeBSD)
}

// List fails: there is no if_wg here.
func (*Driver) List() ([]string, error) { return nil, fmt.Errorf("list: %w", errNotFreeBSD) }
