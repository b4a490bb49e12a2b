//go:build unix

package uapi

import (
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wgshim/wgshim/core"
	"github.com/wgshim/wgshim/core/conn"
	"github.com/wgshim/wgshim/core/tun/tuntest"
	coreuapi "github.com/wgshim/wgshim/core/uapi"
	"github.com/wgshim/wgshim/core/wgtypes"
)

// The test binary doubles as the userspace program Create starts: with
// daemonEnv set, TestMain runs a daemon instead of the tests.
const (
	daemonEnv = "WGSHIM_PLATFORM_UAPI_TEST_DAEMON" // "serve", "fail" or "silent"
	dirEnv    = "WGSHIM_PLATFORM_UAPI_TEST_DIR"
)

func TestMain(m *testing.M) {
	switch os.Getenv(daemonEnv) {
	case "":
		os.Exit(m.Run())
	case "fail":
		os.Stderr.WriteString("test daemon: failing on purpose\n")
		os.Exit(3)
	case "silent":
		time.Sleep(time.Minute) // never opens a socket
		os.Exit(0)
	case "serve":
		os.Exit(runDaemon(os.Getenv(dirEnv), os.Args[len(os.Args)-1]))
	}
}

// runDaemon serves a core engine on dir/name.sock until the file is removed,
// like cmd/wgshim.
func runDaemon(dir, name string) int {
	l, err := coreuapi.Listen(dir, name)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	dev := newDevice()
	go coreuapi.ServeListener(l, dev)
	path := coreuapi.SocketPath(dir, name)
	for {
		time.Sleep(5 * time.Millisecond)
		if _, err := os.Lstat(path); err != nil {
			return 0
		}
	}
}

// markBind is the portable bind with firewall marks accepted (and ignored),
// so that configurations with a fwmark apply while the device is up.
type markBind struct{ conn.Bind }

func (markBind) SetMark(uint32) error { return nil }

func newDevice() *core.Device {
	return core.NewDevice(tuntest.New(1420), markBind{conn.NewStdBind()}, core.Options{Workers: 1})
}

// serve runs a device on dir/name.sock in this process until the test ends.
func serve(t *testing.T, dir, name string) *core.Device {
	t.Helper()
	l, err := coreuapi.Listen(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	dev := newDevice()
	done := make(chan struct{})
	go func() { coreuapi.ServeListener(l, dev); close(done) }()
	t.Cleanup(func() { l.Close(); <-done; dev.Close() })
	return dev
}

func key(t *testing.T) wgtypes.Key {
	t.Helper()
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ptr[T any](v T) *T { return &v }

func TestOpenGetSet(t *testing.T) {
	dir := t.TempDir()
	serve(t, dir, "wgu0")
	d := &Driver{Dir: dir}
	if d.Kind() != wgtypes.Userspace {
		t.Errorf("Kind = %q", d.Kind())
	}
	l, err := d.Open("wgu0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Name() != "wgu0" {
		t.Errorf("Name = %q", l.Name())
	}
	priv, peer, psk := key(t), key(t), key(t)
	ep := netip.MustParseAddrPort("[2001:db8::1]:51820")
	cfg := wgtypes.Config{
		PrivateKey:   &priv,
		ListenPort:   ptr(0),
		FirewallMark: ptr(uint32(0x1234)),
		Peers: []wgtypes.PeerConfig{{
			PublicKey:           peer.PublicKey(),
			PresharedKey:        &psk,
			Endpoint:            &ep,
			PersistentKeepalive: ptr(uint16(25)),
			ReplaceAllowedIPs:   true,
			AllowedIPs:          []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32"), netip.MustParsePrefix("fd00::/64")},
		}},
	}
	if err := l.Set(cfg); err != nil {
		t.Fatal(err)
	}
	got, err := l.Get()
	if err != nil {
		t.Fatal(err)
	}
	want := &wgtypes.Device{
		Name: "wgu0", Type: wgtypes.Userspace,
		PrivateKey: priv, PublicKey: priv.PublicKey(), ListenPort: got.ListenPort, FirewallMark: 0x1234,
		Peers: []wgtypes.Peer{{
			PublicKey: peer.PublicKey(), PresharedKey: psk, Endpoint: ep, PersistentKeepalive: 25,
			AllowedIPs:      cfg.Peers[0].AllowedIPs,
			ProtocolVersion: 1,
		}},
	}
	if diff := cmp.Diff(want, got, netipEq, noTraffic); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}

	// A rejected set changes nothing and reports the daemon's errno.
	bad := wgtypes.Config{ListenPort: ptr(1), Peers: []wgtypes.PeerConfig{{PublicKey: key(t), AllowedIPs: []netip.Prefix{{}}}}}
	err = l.Set(bad)
	var ue *coreuapi.Error
	if !errors.As(err, &ue) {
		t.Fatalf("Set(bad) = %v, want a *uapi.Error", err)
	}
	again, err := l.Get()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, again, netipEq, noTraffic); diff != "" {
		t.Errorf("state changed by a failed Set (-before +after):\n%s", diff)
	}
}

func TestOpenMissing(t *testing.T) {
	dir := t.TempDir()
	d := &Driver{Dir: dir}
	if _, err := d.Open("nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want ErrNotExist", err)
	}
	// A stale socket (nobody listening) is removed and reported absent.
	path := filepath.Join(dir, "stale.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	if _, err := d.Open("stale"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(stale) = %v, want ErrNotExist", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale socket still there: %v", err)
	}
	if _, err := d.Open("a/b"); err == nil {
		t.Error("Open(a/b) succeeded")
	}
}

func TestList(t *testing.T) {
	dir := t.TempDir()
	d := &Driver{Dir: filepath.Join(dir, "missing")}
	if names, err := d.List(); err != nil || len(names) != 0 {
		t.Errorf("List(missing dir) = %q, %v; want nothing", names, err)
	}
	d.Dir = dir
	for _, n := range []string{"wgb", "wga", "wgc"} {
		serve(t, dir, n)
	}
	os.WriteFile(filepath.Join(dir, "file.sock"), nil, 0o600) // not a socket
	os.WriteFile(filepath.Join(dir, ".sock"), nil, 0o600)
	names, err := d.List()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	if want := []string{"wga", "wgb", "wgc"}; !slices.Equal(names, want) {
		t.Errorf("List = %q, want %q", names, want)
	}
}

func daemonDriver(t *testing.T, mode string) *Driver {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Setenv(daemonEnv, mode)
	t.Setenv(dirEnv, dir)
	return &Driver{Dir: dir, Program: exe, Timeout: 3 * time.Second}
}

func TestCreateDestroy(t *testing.T) {
	d := daemonDriver(t, "serve")
	l, err := d.Create("wgc0")
	if err != nil {
		t.Fatal(err)
	}
	priv := key(t)
	if err := l.Set(wgtypes.Config{PrivateKey: &priv}); err != nil {
		t.Fatal(err)
	}
	if dev, err := l.Get(); err != nil || dev.PublicKey != priv.PublicKey() {
		t.Fatalf("Get = %+v, %v", dev, err)
	}
	if _, err := d.Create("wgc0"); !errors.Is(err, os.ErrExist) {
		t.Errorf("second Create = %v, want ErrExist", err)
	}
	start := time.Now()
	if err := l.Destroy(); err != nil {
		t.Fatal(err)
	}
	t.Logf("destroy took %v", time.Since(start))
	if _, err := d.Open("wgc0"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open after Destroy = %v, want ErrNotExist", err)
	}
	if err := l.Destroy(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("second Destroy = %v, want ErrNotExist", err)
	}
}

func TestCreateFails(t *testing.T) {
	d := daemonDriver(t, "fail")
	var mu sync.Mutex
	var out []byte
	d.Stderr = writerFunc(func(p []byte) (int, error) { mu.Lock(); out = append(out, p...); mu.Unlock(); return len(p), nil })
	if _, err := d.Create("wgc1"); err == nil {
		t.Fatal("Create succeeded with a failing program")
	} else {
		t.Log(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if string(out) != "test daemon: failing on purpose\n" {
		t.Errorf("program stderr = %q", out)
	}

	d = daemonDriver(t, "silent")
	d.Timeout = 200 * time.Millisecond
	if _, err := d.Create("wgc2"); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Create(silent) = %v, want ErrDeadlineExceeded", err)
	}

	d.Program = filepath.Join(t.TempDir(), "missing-program")
	if _, err := d.Create("wgc3"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Create(missing program) = %v, want ErrNotExist", err)
	}
}

func TestDestroyWaitsForDaemon(t *testing.T) {
	// An in-process server does not exit when its socket is removed:
	// Destroy must say so rather than pretend.
	dir := t.TempDir()
	serve(t, dir, "wgd0")
	d := &Driver{Dir: dir, Timeout: 100 * time.Millisecond}
	l, err := d.Open("wgd0")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Destroy(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Destroy = %v, want ErrDeadlineExceeded", err)
	}
	if _, err := os.Lstat(coreuapi.SocketPath(dir, "wgd0")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket still there after Destroy: %v", err)
	}
}

func TestProgramEnv(t *testing.T) {
	t.Setenv(ProgramEnv, "")
	if p := (&Driver{}).program(); p != DefaultProgram {
		t.Errorf("program() = %q, want %q", p, DefaultProgram)
	}
	t.Setenv(ProgramEnv, "wireguard-go")
	if p := (&Driver{}).program(); p != "wireguard-go" {
		t.Errorf("program() = %q, want wireguard-go", p)
	}
	if p := (&Driver{Program: "x"}).program(); p != "x" {
		t.Errorf("program() = %q, want x", p)
	}
}

// noTraffic ignores what the up device's handshake attempts change.
var noTraffic = cmpopts.IgnoreFields(wgtypes.Peer{}, "TransmitBytes", "ReceiveBytes", "LastHandshakeTime")

var netipEq = cmpopts.EquateComparable(netip.Addr{}, netip.AddrPort{}, netip.Prefix{})

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
