//go:build !freebsd

package ifconf

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
)

var errNotFreeBSD = fmt.Errorf("platform/freebsd/ifconf: %s: %w", runtime.GOOS, errors.ErrUnsupported)

// Conn issues interface ioctls; on this OS every method fails with
// errors.ErrUnsupported.
type Conn struct{}

// Open fails: these ioctls are FreeBSD's.
func Open() (*Conn, error) { return nil, errNotFreeBSD }

// Close does nothing.
func (c *Conn) Close() error { return nil }

// AddAddress fails with errors.ErrUnsupported.
func (c *Conn) AddAddress(string, netip.Prefix) error { return errNotFreeBSD }

// SetMTU fails with errors.ErrUnsupported.
func (c *Conn) SetMTU(string, int) error { return errNotFreeBSD }

// MTU fails with errors.ErrUnsupported.
func (c *Conn) MTU(string) (int, error) { return 0, errNotFreeBSD }

// Flags fails with errors.ErrUnsupported.
func (c *Conn) Flags(string) (uint32, error) { return 0, errNotFreeBSD }

// SetUp fails with errors.ErrUnsupported.
func (c *Conn) SetUp(string, bool) error { return errNotFreeBSD }

// Exists fails with errors.ErrUnsupported.
func (c *Conn) Exists(string) (bool, error) { return false, errNotFreeBSD }

// Rename fails with errors.ErrUnsupported.
func (c *Conn) Rename(string, string) error { return errNotFreeBSD }

// Destroy fails with errors.ErrUnsupported.
func (c *Conn) Destroy(string) error { return errNotFreeBSD }
