// Package platform is the seam between the commands and each operating
// system: a Driver provides WireGuard links (the OS kernel's implementation
// or the core engine over a TUN), and the per-OS packages implement it.
package platform

import "github.com/wgshim/wgshim/core/wgtypes"

// Driver provides WireGuard links of one kind.
type Driver interface {
	// Kind names the implementation, as reported to users.
	Kind() wgtypes.DeviceType
	// Create makes a new link called name.
	Create(name string) (Link, error)
	// Open returns the existing link called name; the error wraps
	// os.ErrNotExist if there is none or it is not a WireGuard link.
	Open(name string) (Link, error)
	// List names the links this driver can open.
	List() ([]string, error)
}

// Link is one WireGuard interface.
type Link interface {
	Name() string
	// Get returns the link's current state.
	Get() (*wgtypes.Device, error)
	// Set applies cfg atomically: on error the link is unchanged.
	Set(cfg wgtypes.Config) error
	// Destroy removes the interface.
	Destroy() error
	// Close releases resources held by this handle, leaving the link.
	Close() error
}
