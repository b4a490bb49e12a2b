package host

import (
	"errors"
	"io/fs"

	"github.com/wgshim/wgshim/platform"
	"github.com/wgshim/wgshim/platform/uapi"
)

// userspace is the driver for userspace daemons, shared by all OSes.
var userspace = &uapi.Driver{}

// Drivers returns this OS's drivers in order of preference.
func Drivers() []platform.Driver {
	return append(kernelDrivers(), userspace)
}

// Userspace returns the userspace driver (wg-quick falls back to it).
func Userspace() *uapi.Driver { return userspace }

// Open returns the interface called name: the userspace one if its socket
// answers, else the kernel's. When neither exists the error is the last
// driver's (a kernel's "no such device" where there is one, else the
// socket's "no such file or directory"); it wraps os.ErrNotExist.
func Open(name string) (platform.Link, error) {
	return open(name, userspace, kernelDrivers())
}

func open(name string, user platform.Driver, kernels []platform.Driver) (platform.Link, error) {
	l, err := user.Open(name)
	if err == nil {
		return l, nil
	}
	if len(kernels) == 0 || !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errors.ErrUnsupported) {
		// Not an absent socket (for example no permission to connect):
		// that is the answer, not a reason to look elsewhere.
		return nil, err
	}
	for _, k := range kernels {
		if l, err = k.Open(name); err == nil {
			return l, nil
		}
	}
	return nil, err
}

// List names every interface: the kernel's first, then userspace sockets.
func List() ([]string, error) {
	return list(userspace, kernelDrivers())
}

func list(user platform.Driver, kernels []platform.Driver) ([]string, error) {
	var names []string
	for _, k := range kernels {
		n, err := k.List()
		if errors.Is(err, errors.ErrUnsupported) {
			continue // module not loaded: no kernel interfaces
		}
		if err != nil {
			return nil, err
		}
		names = append(names, n...)
	}
	n, err := user.List()
	if err != nil && !(len(kernels) > 0 && errors.Is(err, errors.ErrUnsupported)) {
		return nil, err
	}
	return append(names, n...), nil
}

// Backend is Open and List as a value, for wg.Env.
type Backend struct{}

// Open calls the package-level Open.
func (Backend) Open(name string) (platform.Link, error) { return Open(name) }

// List calls the package-level List.
func (Backend) List() ([]string, error) { return List() }
