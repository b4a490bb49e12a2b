//go:build !openbsd

package ifwg

import (
	"errors"
	"fmt"
)

// NewDriver returns the wg(4) driver; on this OS every method fails
// with errors.ErrUnsupported.
func NewDriver() *Driver {
	return &Driver{err: fmt.Errorf("platform/openbsd: wg(4) exists only on OpenBSD: %w", errors.ErrUnsupported)}
}
