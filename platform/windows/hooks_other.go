//go:build !windows

package windows

import (
	"context"
	"errors"
	"fmt"
)

// HooksEnabled reports false outside Windows.
func HooksEnabled() bool { return false }

func runHook(ctx context.Context, tunnel, command string) error {
	return fmt.Errorf("hook: cmd.exe: %w", errors.ErrUnsupported)
}
