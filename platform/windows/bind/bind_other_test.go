//go:build !windows

package bind

import (
	"errors"
	"strings"
	"testing"
)

func TestOpenUnsupported(t *testing.T) {
	b := New()
	_, _, err := b.Open(0)
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Open = %v, want errors.ErrUnsupported", err)
	}
	if strings.Contains(err.Error(), "udp6") {
		t.Errorf("Open error tries both families: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
}
