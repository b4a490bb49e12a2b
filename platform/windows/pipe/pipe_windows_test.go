package pipe

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/windows"

	"github.com/wgshim/wgshim/core/uapi"
	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/internal/testenv"
)

func requireAdmin(t *testing.T) {
	t.Helper()
	if windows.GetCurrentProcessToken().IsElevated() {
		return
	}
	testenv.Skip(t, "needs an elevated administrator")
}

// listen uses SDDL as LocalSystem and SDDLAdmin otherwise.
func listen(t *testing.T, iface string) (l interface{ Close() error }, serve func(h uapi.Handler)) {
	t.Helper()
	ln, err := Listen(iface)
	if errors.Is(err, os.ErrPermission) {
		ln, err = ListenSDDL(iface, SDDLAdmin)
	}
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, func(h uapi.Handler) { go uapi.ServeListener(ln, h) }
}

type memHandler struct {
	mu  sync.Mutex
	dev wgtypes.Device
}

func (h *memHandler) Get() (*wgtypes.Device, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.dev
	return &d, nil
}

func (h *memHandler) Set(cfg wgtypes.Config) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cfg.ListenPort != nil {
		h.dev.ListenPort = *cfg.ListenPort
	}
	return nil
}

func TestPipeRoundTrip(t *testing.T) {
	requireAdmin(t)
	iface := fmt.Sprintf("wgshim-test-%d", os.Getpid())
	_, serve := listen(t, iface)
	h := &memHandler{}
	serve(h)

	c, err := Dial(iface, 2*time.Second)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	var cl uapi.Client
	port := 51820
	if err := cl.Set(c, wgtypes.Config{ListenPort: &port}); err != nil {
		t.Fatalf("Set: %v", err)
	}
	d, err := cl.Get(c)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if d.ListenPort != port {
		t.Errorf("ListenPort = %d, want %d", d.ListenPort, port)
	}

	names, err := List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if !slices.Contains(names, iface) {
		t.Errorf("List() = %q, missing %q", names, iface)
	}
	// A second daemon for the same interface must not share the pipe.
	if l2, err := ListenSDDL(iface, SDDLAdmin); err == nil {
		l2.Close()
		t.Error("second Listen on the same interface succeeded")
	}
}

func TestDialMissing(t *testing.T) {
	_, err := Dial("wgshim-no-such-interface", 100*time.Millisecond)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Dial = %v, want os.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), `ProtectedPrefix\Administrators\WireGuard\wgshim-no-such-interface`) {
		t.Errorf("error %q does not name the pipe", err)
	}
}
