//go:build !unix

package uapi

import (
	"errors"
	"fmt"
)

// errUnsupported: outside unix the UAPI is a named pipe (platform/windows).
func errUnsupported(op, name string) error {
	return fmt.Errorf("userspace %s %s: unix sockets: %w", op, name, errors.ErrUnsupported)
}
