package ifwg

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform"
	"github.com/wgshim/wgshim/platform/bsd/rollback"
	"github.com/wgshim/wgshim/platform/freebsd/nv"
)

// kernel is what a Link needs from the OS; sys_freebsd.go implements it
// with a datagram socket, tests with a simulated if_wg.
type kernel interface {
	ioctl(req uintptr, io *DataIO) error
	destroy(name string) error
	close() error
}

// Link is one if_wg interface. It implements platform.Link.
type Link struct {
	name string
	k    kernel
}

var _ platform.Link = (*Link)(nil)

// Name returns the interface name.
func (l *Link) Name() string { return l.name }

// Get returns the interface's state (SIOCGWG). Private and preshared keys
// are zero unless the caller is privileged (PRIV_NET_WG).
func (l *Link) Get() (*wgtypes.Device, error) {
	d, err := l.get()
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", l.name, err)
	}
	return d, nil
}

func (l *Link) get() (*wgtypes.Device, error) {
	b, err := GetPacked(l.k.ioctl, l.name)
	if errors.Is(err, syscall.EINVAL) {
		// SIOCGWG has no invalid argument of its own: EINVAL comes from
		// another driver's ioctl handler refusing an unknown request.
		return nil, errNotWG{syscall.EINVAL}
	}
	if err != nil {
		return nil, mapErrno(err)
	}
	d, err := ParsePacked(b)
	if err != nil {
		return nil, err
	}
	d.Name, d.Type = l.name, wgtypes.FreeBSDKernel
	return d, nil
}

// Set applies cfg. if_wg applies a request key by key and stops at the
// first error, so when the kernel fails after it may have changed
// something, Set puts back the state read just before (RestoreRequest,
// sent by rollback.Send): on error the configuration is as before, though
// peers recreated by the restore have lost their sessions and counters.
// The same snapshot feeds the UpdateOnly and RemoveAllowedIPs emulation
// of SetRequest.
func (l *Link) Set(cfg wgtypes.Config) error {
	if err := l.set(cfg); err != nil {
		return fmt.Errorf("set %s: %w", l.name, err)
	}
	return nil
}

func (l *Link) set(cfg wgtypes.Config) error {
	snap, err := l.get()
	if err != nil {
		return err
	}
	req, err := SetRequest(cfg, snap)
	if err != nil {
		return err
	}
	if req.Len() == 0 {
		return nil // e.g. only UpdateOnly peers that do not exist
	}
	return rollback.Send([]*nv.List{req}, l.send, mayBePartial, func() error { return l.restore(snap) })
}

func (l *Link) send(req *nv.List) error {
	b, err := req.Encode(nv.HostOrder)
	if err != nil {
		return err
	}
	return mapErrno(SetPacked(l.k.ioctl, l.name, b))
}

func (l *Link) restore(snap *wgtypes.Device) error {
	req, err := RestoreRequest(snap)
	if err != nil {
		return err
	}
	return l.send(req)
}

// mayBePartial reports whether SIOCSWG may have applied part of a request
// before failing. wgc_set fails before touching anything with EPERM
// (privilege), EFAULT/E2BIG (buffer), EBADMSG (unpack) and ENXIO (device
// going away); anything else (EINVAL, EADDRINUSE, ENOMEM...) comes from a
// key in the middle.
func mayBePartial(err error) bool {
	for _, e := range []syscall.Errno{syscall.EPERM, syscall.EFAULT, syscall.E2BIG, syscall.EBADMSG, syscall.ENXIO} {
		if errors.Is(err, e) {
			return false
		}
	}
	return true
}

// Destroy removes the interface (SIOCIFDESTROY); its addresses and routes
// go with it.
func (l *Link) Destroy() error {
	if err := l.k.destroy(l.name); err != nil {
		return fmt.Errorf("destroy %s: %w", l.name, mapErrno(err))
	}
	return nil
}

// Close releases the control socket; the interface stays.
func (l *Link) Close() error { return l.k.close() }

// errNotWG says why an interface is not usable as a WireGuard link.
type errNotWG struct {
	errno syscall.Errno
}

func (e errNotWG) Error() string {
	return fmt.Sprintf("not a WireGuard interface or does not exist (%v)", e.errno)
}

func (e errNotWG) Unwrap() []error { return []error{os.ErrNotExist, e.errno} }

// mapErrno turns the errnos a wg ioctl returns for a missing or foreign
// interface into os.ErrNotExist (spec §2.5: ENXIO from ifioctl or a dying
// if_wg, ENOTTY/EINVAL from another driver) and EPERM into
// os.ErrPermission (syscall.Errno already matches it).
func mapErrno(err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err
	}
	switch errno {
	case syscall.ENXIO, syscall.ENOTTY:
		return errNotWG{errno}
	}
	return err
}
