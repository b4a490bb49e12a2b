//go:build !openbsd

package quick

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/wg-quick/config"
)

var errNotOpenBSD = fmt.Errorf("platform/openbsd/quick: the live system on %s: %w", runtime.GOOS, errors.ErrUnsupported)

// Host is the live OpenBSD system; elsewhere it cannot be opened.
type Host struct{}

// NewHost fails with errors.ErrUnsupported outside OpenBSD.
func NewHost(stdout, stderr io.Writer) (*Host, error) { return nil, errNotOpenBSD }

// Close does nothing.
func (h *Host) Close() error { return nil }

// GatherUp fails with errors.ErrUnsupported outside OpenBSD.
func (h *Host) GatherUp(*config.Config, *wgtypes.Config) (*Facts, error) { return nil, errNotOpenBSD }

// GatherDown fails with errors.ErrUnsupported outside OpenBSD.
func (h *Host) GatherDown(*config.Config) (*Facts, error) { return nil, errNotOpenBSD }

// Do fails with errors.ErrUnsupported outside OpenBSD.
func (h *Host) Do(context.Context, Step) (*Step, error) { return nil, errNotOpenBSD }

// MonitorMain fails outside OpenBSD.
func MonitorMain(args []string) int {
	fmt.Fprintln(os.Stderr, errNotOpenBSD)
	return 1
}
