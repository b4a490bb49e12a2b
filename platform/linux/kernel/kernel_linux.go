package kernel

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform"
	"github.com/wgshim/wgshim/platform/linux/rtnl"
	"github.com/wgshim/wgshim/platform/linux/wgnl"
)

// linkKind is the rtnetlink kind of WireGuard links.
const linkKind = "wireguard"

// Driver provides kernel WireGuard links.
type Driver struct{}

var _ platform.Driver = (*Driver)(nil)

// New returns the driver.
func New() *Driver { return &Driver{} }

// Kind reports wgtypes.LinuxKernel.
func (*Driver) Kind() wgtypes.DeviceType { return wgtypes.LinuxKernel }

// errnoError puts an errno in front of an error's chain, so errors.As
// finds it first.
type errnoError struct {
	errno syscall.Errno
	kind  error
	err   error
}

func (e *errnoError) Error() string { return e.err.Error() }

func (e *errnoError) Unwrap() []error {
	if e.kind != nil {
		return []error{e.errno, e.kind, e.err}
	}
	return []error{e.errno, e.err}
}

// openClient connects to the generic netlink family; a missing module is
// EPROTONOSUPPORT and os.ErrNotExist.
func openClient() (*wgnl.Client, error) {
	c, err := wgnl.Open()
	if err != nil && errors.Is(err, errors.ErrUnsupported) {
		return nil, &errnoError{errno: syscall.EPROTONOSUPPORT, kind: os.ErrNotExist, err: err}
	}
	return c, err
}

// Open returns the WireGuard link called name. It asks the kernel for the
// device once, so a missing link (ENODEV), a link of another kind
// (EOPNOTSUPP) or a missing module fail here, wrapping os.ErrNotExist.
func (d *Driver) Open(name string) (platform.Link, error) {
	c, err := openClient()
	if err != nil {
		return nil, fmt.Errorf("kernel open %s: %w", name, err)
	}
	if _, err := c.Get(name); err != nil {
		c.Close()
		var errno syscall.Errno
		if errors.As(err, &errno) && errno == syscall.EOPNOTSUPP && !errors.Is(err, os.ErrNotExist) {
			err = &errnoError{errno: errno, kind: os.ErrNotExist, err: err}
		}
		return nil, fmt.Errorf("kernel open: %w", err)
	}
	return &Link{c: c, name: name}, nil
}

// Create adds a link of kind "wireguard" (`ip link add NAME type
// wireguard`) and opens it. An existing name wraps os.ErrExist; a kernel
// without the module wraps errors.ErrUnsupported.
func (d *Driver) Create(name string) (platform.Link, error) {
	rc, err := rtnl.Dial()
	if err != nil {
		return nil, fmt.Errorf("kernel create %s: %w", name, err)
	}
	defer rc.Close()
	if err := rc.CreateLink(name, linkKind); err != nil {
		return nil, fmt.Errorf("kernel create: %w", err)
	}
	l, err := d.Open(name)
	if err != nil {
		rc.DeleteLink(name)
		return nil, err
	}
	return l, nil
}

// List names the links of kind "wireguard" in the kernel's order
// (interface index), as wg(8) lists them.
func (d *Driver) List() ([]string, error) {
	rc, err := rtnl.Dial()
	if err != nil {
		return nil, fmt.Errorf("kernel list: %w", err)
	}
	defer rc.Close()
	links, err := rc.Links()
	if err != nil {
		return nil, fmt.Errorf("kernel list: %w", err)
	}
	var names []string
	for _, l := range links {
		if l.Kind == linkKind {
			names = append(names, l.Name)
		}
	}
	return names, nil
}

// Link is one kernel WireGuard interface.
type Link struct {
	c    *wgnl.Client
	name string
}

var _ platform.Link = (*Link)(nil)

// Name returns the interface name.
func (l *Link) Name() string { return l.name }

// Get dumps the device.
func (l *Link) Get() (*wgtypes.Device, error) { return l.c.Get(l.name) }

// Set applies cfg; see wgnl.Client.Set for how a failure is undone.
func (l *Link) Set(cfg wgtypes.Config) error { return l.c.Set(l.name, cfg) }

// Destroy deletes the link (`ip link delete NAME`).
func (l *Link) Destroy() error {
	rc, err := rtnl.Dial()
	if err != nil {
		return fmt.Errorf("kernel destroy %s: %w", l.name, err)
	}
	defer rc.Close()
	if err := rc.DeleteLink(l.name); err != nil {
		return fmt.Errorf("kernel destroy: %w", err)
	}
	return nil
}

// Close closes the netlink socket.
func (l *Link) Close() error { return l.c.Close() }
