package tundev

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/wgshim/wgshim/internal/testenv"
)

// requireAdmin skips unless elevated with wintun.dll present; under CI=true
// a missing prerequisite fails instead.
func requireAdmin(t *testing.T) {
	t.Helper()
	why := ""
	if !windows.GetCurrentProcessToken().IsElevated() {
		why = "needs an elevated administrator"
	} else if err := windows.NewLazyDLL("wintun.dll").Load(); err != nil {
		why = "needs wintun.dll next to the test binary: " + err.Error()
	}
	if why == "" {
		return
	}
	testenv.Skip(t, "%s", why)
}

func TestAdapterLifetime(t *testing.T) {
	requireAdmin(t)
	const name = "wgshim-test0"
	created, err := Create(name, Options{})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	defer created.Close()
	if created.LUID() == 0 || !created.Created() {
		t.Fatalf("created device: LUID %d, Created %v", created.LUID(), created.Created())
	}
	opened, err := Open(name, Options{RingCapacity: 0x20000})
	if err == nil {
		// Wintun allows one session per adapter; a second handle may
		// still be opened and closed without deleting the adapter.
		if opened.Created() || opened.LUID() != created.LUID() {
			t.Errorf("opened device: Created %v, LUID %d want %d", opened.Created(), opened.LUID(), created.LUID())
		}
		opened.Close()
	}
	if err := created.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d, err := Open(name, Options{}); err == nil {
		d.Close()
		t.Fatal("adapter still exists after its creator closed it")
	} else if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open after delete = %v, want os.ErrNotExist", err)
	}
}

func TestOpenMissing(t *testing.T) {
	requireAdmin(t)
	_, err := Open("wgshim-no-such-adapter", Options{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open = %v, want os.ErrNotExist", err)
	}
}
