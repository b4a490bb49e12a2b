//go:build !openbsd

package netif

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
)

var errNotOpenBSD = fmt.Errorf("platform/openbsd/netif: interface ioctls on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// AddAddress fails with errors.ErrUnsupported outside OpenBSD.
func AddAddress(name string, p netip.Prefix) error { return errNotOpenBSD }

// DeleteAddress fails with errors.ErrUnsupported outside OpenBSD.
func DeleteAddress(name string, a netip.Addr) error { return errNotOpenBSD }

// MTU fails with errors.ErrUnsupported outside OpenBSD.
func MTU(name string) (int, error) { return 0, errNotOpenBSD }

// SetMTU fails with errors.ErrUnsupported outside OpenBSD.
func SetMTU(name string, mtu int) error { return errNotOpenBSD }

// Flags fails with errors.ErrUnsupported outside OpenBSD.
func Flags(name string) (int, error) { return 0, errNotOpenBSD }

// SetUp fails with errors.ErrUnsupported outside OpenBSD.
func SetUp(name string, up bool) error { return errNotOpenBSD }

// Rdomain fails with errors.ErrUnsupported outside OpenBSD.
func Rdomain(name string) (int, error) { return 0, errNotOpenBSD }

// SetRdomain fails with errors.ErrUnsupported outside OpenBSD.
func SetRdomain(name string, id int) error { return errNotOpenBSD }

// SetDescription fails with errors.ErrUnsupported outside OpenBSD.
func SetDescription(name, descr string) error { return errNotOpenBSD }

// Description fails with errors.ErrUnsupported outside OpenBSD.
func Description(name string) (string, error) { return "", errNotOpenBSD }

// Destroy fails with errors.ErrUnsupported outside OpenBSD.
func Destroy(name string) error { return errNotOpenBSD }
