package e2e_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wgshim/wgshim/internal/testenv"
)

// Implementations under test.
const (
	wgshim = "wgshim"
	wggo   = "wireguard-go"
)

var (
	binDir   string            // temporary directory holding the built binaries
	bins     map[string]string // implementation or helper name -> path
	buildErr error
	tag      string       // per-process part of every name, so runs cannot collide
	seq      atomic.Int32 // per-test part of every name
)

// variants are the two pairings every two-node scenario runs against.
var variants = []struct{ name, a, b string }{
	{"wgshim-wgshim", wgshim, wgshim},
	{"wgshim-wireguard-go", wgshim, wggo},
}

func TestMain(m *testing.M) {
	tag = string(rune('a'+os.Getpid()%26)) + string(rune('a'+os.Getpid()/26%26))
	if os.Geteuid() == 0 || testenv.InCI() {
		binDir, buildErr = os.MkdirTemp("", "wgshim-e2e-")
		if buildErr == nil {
			buildErr = build(binDir)
		}
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// build compiles the daemons and helpers under test with the go command
// that runs this test.
func build(dir string) error {
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	pkgs := map[string]string{
		wgshim: "github.com/wgshim/wgshim/cmd/wgshim",
		wggo:   "golang.zx2c4.com/wireguard",
		"xfer": "github.com/wgshim/wgshim/tests/e2e/internal/xfer",
	}
	bins = map[string]string{}
	for name, pkg := range pkgs {
		out := filepath.Join(dir, name)
		cmd := exec.Command(gobin, "build", "-o", out, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
		bins[name] = out
	}
	return nil
}

// requireEnv skips the test when it cannot run here (not root, CI unset) and
// fails it when it should run but cannot (CI=true, or the build failed).
// tools are commands that must be in PATH besides ip, ss, ping, sysctl
// and wg.
func requireEnv(t *testing.T, tools ...string) {
	t.Helper()
	testenv.RequireRoot(t, "network namespaces and TUN devices")
	for _, tool := range append([]string{"ip", "ss", "ping", "sysctl", "wg"}, tools...) {
		testenv.RequireTool(t, tool)
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		testenv.Skip(t, "no TUN support: %v", err)
	}
	if buildErr != nil {
		t.Fatalf("building the binaries under test: %v", buildErr)
	}
}

// names gives the namespace and interface names of one test: every call
// returns fresh ones.
type names struct{ n int32 }

func newNames() names { return names{seq.Add(1)} }

// ns is a network namespace name; iface a WireGuard interface name (at most
// 15 bytes, unique across namespaces since the socket directory is shared);
// veth a veth name.
func (nm names) ns(s string) string    { return fmt.Sprintf("wge2e-%s-%d%s", tag, nm.n, s) }
func (nm names) iface(s string) string { return fmt.Sprintf("wgT%s%d%s", tag, nm.n, s) }
func (nm names) veth(s string) string  { return fmt.Sprintf("veT%s%d%s", tag, nm.n, s) }

// run runs a command and fails the test if it fails; it returns stdout.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := runErr(name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runErr runs a command and returns its stdout, or an error that includes
// the command line and its stderr.
func runErr(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v\nstdout: %s\nstderr: %s",
			name, strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.String(), nil
}

// nsRun runs a command inside a network namespace.
func nsRun(t testing.TB, ns string, args ...string) string {
	t.Helper()
	return run(t, "ip", append([]string{"netns", "exec", ns}, args...)...)
}

func nsRunErr(ns string, args ...string) (string, error) {
	return runErr("ip", append([]string{"netns", "exec", ns}, args...)...)
}

// newNetns creates a network namespace with lo up, deleted at cleanup.
func newNetns(t testing.TB, name string) string {
	t.Helper()
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return name
}

// waitFor polls cond every 50ms until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	for end := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}
