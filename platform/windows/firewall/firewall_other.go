//go:build !windows

package firewall

import (
	"errors"
	"fmt"
)

// Session is an enabled kill switch. Outside Windows there is none.
type Session struct{}

// Enable returns an error wrapping errors.ErrUnsupported outside Windows:
// the kill switch is made of Windows Filtering Platform filters.
func Enable(opts Options) (*Session, error) {
	return nil, fmt.Errorf("firewall: the WFP kill switch needs Windows: %w", errors.ErrUnsupported)
}

// Close does nothing outside Windows.
func (s *Session) Close() error { return nil }
