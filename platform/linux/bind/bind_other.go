//go:build !linux

package bind

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/wgshim/wgshim/core/conn"
)

// Bind is the Linux UDP bind. On this OS every operation that needs a
// socket fails with errors.ErrUnsupported; use conn.NewStdBind instead.
type Bind struct{}

var _ conn.Bind = (*Bind)(nil)

// New returns a Bind whose Open fails with errors.ErrUnsupported.
func New() conn.Bind { return &Bind{} }

var errNotLinux = fmt.Errorf("platform/linux/bind: not on Linux: %w", errors.ErrUnsupported)

// Open fails with errors.ErrUnsupported.
func (b *Bind) Open(port uint16) ([]conn.ReceiveFunc, uint16, error) { return nil, 0, errNotLinux }

// Close does nothing.
func (b *Bind) Close() error { return nil }

// SetMark fails with errors.ErrUnsupported.
func (b *Bind) SetMark(mark uint32) error { return errNotLinux }

// Send fails with errors.ErrUnsupported.
func (b *Bind) Send(bufs [][]byte, offset int, ep conn.Endpoint) error { return errNotLinux }

// Endpoint returns an endpoint for addr.
func (b *Bind) Endpoint(addr netip.AddrPort) conn.Endpoint { return newEndpoint(addr) }

// BatchSize returns 1.
func (b *Bind) BatchSize() int { return 1 }
