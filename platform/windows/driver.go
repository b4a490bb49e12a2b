package windows

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/wgshim/wgshim/core/uapi"
	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform"
	"github.com/wgshim/wgshim/platform/windows/pipe"
	"github.com/wgshim/wgshim/platform/windows/service"
)

// DefaultTimeout bounds how long a Link waits for a busy pipe.
const DefaultTimeout = 5 * time.Second

// Driver is the platform.Driver for userspace tunnels on Windows, reached
// over their UAPI pipes: ours (StartDaemon, in a service or not) and
// wireguard-go's. Each Get and Set opens its own connection, as wg does.
//
// Create is not supported: a tunnel is started by running it (a service
// installed with platform/windows/service, or `wgshim` in the foreground).
// Destroy stops and removes the tunnel's service; a tunnel running in the
// foreground is stopped by ending that process.
type Driver struct {
	// Timeout bounds waits for a busy pipe; 0 means DefaultTimeout.
	Timeout time.Duration

	dial      func(name string, timeout time.Duration) (net.Conn, error)
	list      func() ([]string, error)
	uninstall func(name string) error
}

var _ platform.Driver = (*Driver)(nil)

func (d *Driver) dialer() func(string, time.Duration) (net.Conn, error) {
	if d.dial != nil {
		return d.dial
	}
	return pipe.Dial
}

func (d *Driver) timeout() time.Duration {
	if d.Timeout > 0 {
		return d.Timeout
	}
	return DefaultTimeout
}

// Kind reports wgtypes.Userspace.
func (d *Driver) Kind() wgtypes.DeviceType { return wgtypes.Userspace }

// Create is not supported; see Driver.
func (d *Driver) Create(name string) (platform.Link, error) {
	return nil, fmt.Errorf("platform/windows: create %s: start the tunnel as a service (or run wgshim) instead: %w", name, errors.ErrUnsupported)
}

// Open returns the tunnel called name if its pipe accepts a connection;
// otherwise the error wraps os.ErrNotExist (or why the pipe could not be
// reached, such as os.ErrPermission).
func (d *Driver) Open(name string) (platform.Link, error) {
	c, err := d.dialer()(name, d.timeout())
	if err != nil {
		return nil, fmt.Errorf("platform/windows: open %s: %w", name, err)
	}
	c.Close()
	return &Link{d: d, name: name}, nil
}

// List names the tunnels whose pipe exists.
func (d *Driver) List() ([]string, error) {
	if d.list != nil {
		return d.list()
	}
	return pipe.List()
}

// Link is one tunnel reached over its pipe.
type Link struct {
	d    *Driver
	name string
}

var _ platform.Link = (*Link)(nil)

// Name is the tunnel's name.
func (l *Link) Name() string { return l.name }

// Get asks the tunnel for its state.
func (l *Link) Get() (*wgtypes.Device, error) {
	c, err := l.d.dialer()(l.name, l.d.timeout())
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", l.name, err)
	}
	defer c.Close()
	var cl uapi.Client
	dev, err := cl.Get(c)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", l.name, err)
	}
	dev.Name = l.name
	dev.Type = wgtypes.Userspace
	return dev, nil
}

// Set applies cfg. With our daemon a failed Set changes nothing; a
// foreign one may apply part of it (see platform/uapi).
func (l *Link) Set(cfg wgtypes.Config) error {
	c, err := l.d.dialer()(l.name, l.d.timeout())
	if err != nil {
		return fmt.Errorf("set %s: %w", l.name, err)
	}
	defer c.Close()
	var cl uapi.Client
	if err := cl.Set(c, cfg); err != nil {
		return fmt.Errorf("set %s: %w", l.name, err)
	}
	return nil
}

// Destroy stops and removes the tunnel's service. A tunnel without one
// (running in the foreground) cannot be stopped from here: the error then
// wraps errors.ErrUnsupported.
func (l *Link) Destroy() error {
	uninstall := l.d.uninstall
	if uninstall == nil {
		uninstall = service.Uninstall
	}
	err := uninstall(l.name)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("destroy %s: no service runs it; stop the process serving it: %w", l.name, errors.ErrUnsupported)
	}
	if err != nil {
		return fmt.Errorf("destroy %s: %w", l.name, err)
	}
	return nil
}

// Close releases nothing: every call opens its own connection.
func (l *Link) Close() error { return nil }
