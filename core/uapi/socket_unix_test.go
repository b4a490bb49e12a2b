//go:build unix

package uapi

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/wgshim/wgshim/core/wgtypes"
)

func TestSocketPath(t *testing.T) {
	if got := SocketPath("", "wg0"); got != "/var/run/wireguard/wg0.sock" {
		t.Errorf("SocketPath default = %q", got)
	}
	if got := SocketPath("/run/x", "utun3"); got != "/run/x/utun3.sock" {
		t.Errorf("SocketPath = %q", got)
	}
}

func TestListenModes(t *testing.T) {
	// Whatever the umask, the directory is 0755 and the socket 0700: umask
	// 0 would leave the socket 0777 and umask 077 the directory 0700.
	for _, umask := range []int{0, 0o077} {
		dir := filepath.Join(t.TempDir(), "wireguard")
		old := syscallUmask(umask)
		l, err := Listen(dir, "wg0")
		syscallUmask(old)
		if err != nil {
			t.Fatal(err)
		}
		path := SocketPath(dir, "wg0")
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o700 {
			t.Errorf("umask %o: socket mode = %v, want socket 0700", umask, fi.Mode())
		}
		di, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if di.Mode().Perm() != 0o755 {
			t.Errorf("umask %o: dir mode = %v, want 0755", umask, di.Mode())
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("socket left after Close: %v", err)
		}
	}
}

func TestListenStaleAndLive(t *testing.T) {
	dir := t.TempDir()
	path := SocketPath(dir, "wg1")

	// A stale socket: bound, then closed without unlinking.
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("stale socket missing: %v", err)
	}
	l, err := Listen(dir, "wg1")
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	defer l.Close()

	// The live one is refused and left alone.
	if l2, err := Listen(dir, "wg1"); err == nil {
		l2.Close()
		t.Fatal("second Listen succeeded")
	} else if want := "uapi listen: " + path + ": unix socket in use"; err.Error() != want {
		t.Errorf("second Listen: %q, want %q", err, want)
	}
	c, err := Dial(dir, "wg1")
	if err != nil {
		t.Fatalf("Dial after refused Listen: %v", err)
	}
	c.Close()
}

func TestListenBadName(t *testing.T) {
	for _, name := range []string{"", "a/b", "a\x00b"} {
		if l, err := Listen(t.TempDir(), name); err == nil {
			l.Close()
			t.Errorf("Listen(%q) succeeded", name)
		} else if !errors.Is(err, EINVAL) {
			t.Errorf("Listen(%q) = %v, want EINVAL", name, err)
		}
	}
}

func TestDialAndList(t *testing.T) {
	dir := t.TempDir()
	if _, err := Dial(dir, "none"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Dial missing = %v, want ErrNotExist", err)
	}
	// A regular file is not an interface and is not removed.
	if err := os.WriteFile(SocketPath(dir, "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Dial(dir, "file"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Dial regular file = %v, want ErrNotExist", err)
	}
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: SocketPath(dir, "stale"), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	live, err := Listen(dir, "live")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if err := os.WriteFile(filepath.Join(dir, ".sock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	names, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, []string{"live"}) {
		t.Errorf("List = %q, want [live]", names)
	}
	if _, err := os.Lstat(SocketPath(dir, "stale")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale socket not removed: %v", err)
	}
	if _, err := os.Lstat(SocketPath(dir, "file")); err != nil {
		t.Errorf("regular file removed: %v", err)
	}
	if names, err := List(filepath.Join(dir, "missing")); err != nil || names != nil {
		t.Errorf("List(missing) = %q, %v", names, err)
	}
}

// TestServeListener runs concurrent clients against a listener on a real
// unix socket.
func TestServeListener(t *testing.T) {
	dir := t.TempDir()
	l, err := Listen(dir, "wg2")
	if err != nil {
		t.Fatal(err)
	}
	h := &fakeHandler{}
	served := make(chan error, 1)
	go func() { served <- ServeListener(l, h) }()

	cl := &Client{Dir: dir}
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := cl.Dial("wg2")
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			var k wgtypes.Key
			k[0], k[1] = 1, byte(i)
			if err := cl.Set(c, wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: k}}}); err != nil {
				errs <- err
				return
			}
			if _, err := cl.Get(c); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if d, _ := h.snapshot(); len(d.Peers) != n {
		t.Errorf("%d peers after %d concurrent sets", len(d.Peers), n)
	}
	l.Close()
	if err := <-served; err != nil {
		t.Errorf("ServeListener after Close = %v, want nil", err)
	}
}
