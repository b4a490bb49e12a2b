//go:build !windows

package firewall

import (
	"errors"
	"testing"
)

func TestEnableUnsupported(t *testing.T) {
	s, err := Enable(Options{TunnelLUID: 1})
	if !errors.Is(err, errors.ErrUnsupported) || s != nil {
		t.Fatalf("Enable = %v, %v; want nil, errors.ErrUnsupported", s, err)
	}
}
