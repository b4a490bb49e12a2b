//go:build !freebsd && !openbsd

package bsd

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
)

var errNotBSD = fmt.Errorf("platform/bsd: routing sockets on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// Conn changes and reads the routing table; on this OS every method
// fails with errors.ErrUnsupported.
type Conn struct{}

// Dial fails: no PF_ROUTE here.
func Dial() (*Conn, error) { return nil, errNotBSD }

// Close does nothing.
func (c *Conn) Close() error { return nil }

// AddRoute fails with errors.ErrUnsupported.
func (c *Conn) AddRoute(Route) error { return errNotBSD }

// DeleteRoute fails with errors.ErrUnsupported.
func (c *Conn) DeleteRoute(Route) error { return errNotBSD }

// Get fails with errors.ErrUnsupported.
func (c *Conn) Get(netip.Addr) (TableEntry, error) { return TableEntry{}, errNotBSD }

// Table fails with errors.ErrUnsupported.
func (c *Conn) Table() ([]TableEntry, error) { return nil, errNotBSD }

// DefaultGateways fails with errors.ErrUnsupported.
func (c *Conn) DefaultGateways() (Gateways, error) { return Gateways{}, errNotBSD }

// Watch fails with errors.ErrUnsupported.
func Watch(context.Context) (<-chan struct{}, error) { return nil, errNotBSD }
