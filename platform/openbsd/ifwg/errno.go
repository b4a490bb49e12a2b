package ifwg

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// osErr says what an errno means here and matches both the os error
// (os.ErrNotExist, os.ErrExist) and the errno.
type osErr struct {
	msg    string
	target error
	errno  error
}

func (e osErr) Error() string   { return fmt.Sprintf("%s (%v)", e.msg, e.errno) }
func (e osErr) Unwrap() []error { return []error{e.target, e.errno} }

// getErr maps the errnos of SIOCGWG (spec §6): ENXIO is "no such
// interface" from ifioctl; ENOTTY comes from wg_ioctl's default case and
// ENOTTY or EINVAL from another driver that does not know SIOCGWG, i.e.
// not a wg(4) interface.
func getErr(err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err
	}
	switch errno {
	case syscall.ENXIO:
		return osErr{"no such interface", os.ErrNotExist, errno}
	case syscall.ENOTTY, syscall.EINVAL:
		return osErr{"not a WireGuard interface", os.ErrNotExist, errno}
	}
	return err
}

// setErr explains the errnos of SIOCSWG (wg_ioctl_set, spec §6) for the
// configuration that caused them. EPERM already matches
// os.ErrPermission.
func setErr(err error, cfg *wgtypes.Config) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err
	}
	switch errno {
	case syscall.ENXIO, syscall.ENOTTY:
		return getErr(err)
	case syscall.EPERM:
		return fmt.Errorf("%w (SIOCSWG needs root)", err)
	case syscall.EADDRINUSE, syscall.EADDRNOTAVAIL:
		if cfg.ListenPort != nil {
			return fmt.Errorf("ListenPort %d: %w", *cfg.ListenPort, err)
		}
	case syscall.EINVAL:
		// sosetopt(SO_RTABLE) refuses a routing table that does not
		// exist when the interface rebinds its sockets.
		if cfg.FirewallMark != nil {
			return fmt.Errorf("FirewallMark (routing table) %d: %w (does the table exist? see route(8) -T)", *cfg.FirewallMark, err)
		}
	case syscall.ENOMEM:
		return fmt.Errorf("%w (peer allocation failed, or the interface has 2^20 peers)", err)
	case syscall.ENOBUFS:
		return fmt.Errorf("%w (allowed-IP pool exhausted)", err)
	case syscall.EAFNOSUPPORT:
		return fmt.Errorf("%w (allowed IP family not supported by this kernel)", err)
	}
	return err
}

// mayBePartial reports whether the first SIOCSWG of a change may have
// applied something before failing with err. wg_ioctl_set checks
// privilege before touching anything (EPERM) and a missing or foreign
// interface fails before it is called; every other error (EADDRINUSE on
// rebinding, ENOMEM, ENOBUFS, EAFNOSUPPORT, even EFAULT on a later peer)
// comes after REPLACE_PEERS, the private key or earlier peers took
// effect.
func mayBePartial(err error) bool {
	for _, e := range []syscall.Errno{syscall.EPERM, syscall.ENXIO, syscall.ENOTTY} {
		if errors.Is(err, e) {
			return false
		}
	}
	return true
}
