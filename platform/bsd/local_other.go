//go:build !openbsd

package bsd

import (
	"errors"
	"fmt"
	"net/netip"
)

var errNotOpenBSD = fmt.Errorf("platform/bsd: routes through a local address (-iface ADDR) are OpenBSD's: %w", errors.ErrUnsupported)

// AddLocalRoute is OpenBSD only; it fails with errors.ErrUnsupported.
func (c *Conn) AddLocalRoute(dst netip.Prefix, local netip.Addr, table uint32) error {
	return errNotOpenBSD
}

// DeleteRouteTo is OpenBSD only; it fails with errors.ErrUnsupported.
func (c *Conn) DeleteRouteTo(dst netip.Prefix, table uint32) error { return errNotOpenBSD }
