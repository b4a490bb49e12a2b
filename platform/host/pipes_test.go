package host

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"testing"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform"
)

// TestPipeDriverLayout is Windows' arrangement, run on every OS: the
// unix-socket driver answers errors.ErrUnsupported to everything, and the
// named-pipe driver in the kernel's place must then answer Open and List.
func TestPipeDriverLayout(t *testing.T) {
	unsupported := fmt.Errorf("userspace open: unix sockets: %w", errors.ErrUnsupported)
	user := &fakeDriver{kind: wgtypes.Userspace, err: unsupported, lerr: unsupported}
	pipes := &fakeDriver{kind: wgtypes.Userspace, names: []string{"wg0", "office"}, err: fmt.Errorf("platform/windows: open wg9: %w", fs.ErrNotExist)}
	l, err := open("office", user, []platform.Driver{pipes})
	if err != nil || l.(fakeLink).kind != wgtypes.Userspace {
		t.Errorf("open(office) = %v, %v", l, err)
	}
	if _, err := open("wg9", user, []platform.Driver{pipes}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("open(wg9) = %v, want the pipe driver's not-exist error", err)
	}
	names, err := list(user, []platform.Driver{pipes})
	if err != nil || !slices.Equal(names, []string{"wg0", "office"}) {
		t.Errorf("list = %q, %v", names, err)
	}
}
