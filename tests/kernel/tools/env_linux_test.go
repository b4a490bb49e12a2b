//go:build linux

package tools_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// env holds the paths run.sh passes into the VM.
type env struct {
	debianWG    string // Debian's wg(8)
	ourWG       string // cmd/wg
	debianQuick string // Debian's wg-quick(8)
	ourQuick    string // cmd/wg-quick
	ours        string // the directory of ourWG and ourQuick
	nft         string
}

// kernelVM skips outside the VM; inside it, every prerequisite that is
// missing fails the test.
func kernelVM(t *testing.T) env {
	t.Helper()
	if os.Getenv("WGSHIM_KERNEL_VM") != "1" {
		t.Skip("skipping: needs the kernel test VM (tests/kernel/run.sh sets WGSHIM_KERNEL_VM=1)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("WGSHIM_KERNEL_VM=1 but not root")
	}
	ours := os.Getenv("WGSHIM_OURS")
	e := env{
		debianWG:    os.Getenv("WGSHIM_WG"),
		debianQuick: os.Getenv("WGSHIM_WGQUICK"),
		nft:         os.Getenv("WGSHIM_NFT"),
		ours:        ours,
	}
	if ours == "" || e.debianWG == "" || e.debianQuick == "" || e.nft == "" {
		t.Fatalf("WGSHIM_KERNEL_VM=1 but WGSHIM_OURS=%q WGSHIM_WG=%q WGSHIM_WGQUICK=%q WGSHIM_NFT=%q: run.sh passes all",
			ours, e.debianWG, e.debianQuick, e.nft)
	}
	e.ourWG, e.ourQuick = filepath.Join(ours, "wg"), filepath.Join(ours, "wg-quick")
	for _, p := range []string{e.debianWG, e.ourWG, e.debianQuick, e.ourQuick, e.nft} {
		if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
			t.Fatalf("%s is not an executable: %v", p, err)
		}
	}
	for _, tool := range []string{"ip", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("prerequisite %s: %v", tool, err)
		}
	}
	return e
}

var seq atomic.Int32

// netns is a fresh network namespace owned by one locked OS thread.
// Commands started from that thread (exec forks the calling thread) run
// inside the namespace, without `ip netns exec` per command.
type netns struct {
	run chan func()
}

func newNetns(t *testing.T) *netns {
	t.Helper()
	n := &netns{run: make(chan func())}
	errc := make(chan error)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: the thread must die with this goroutine.
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
			return
		}
		errc <- nil
		for f := range n.run {
			f()
		}
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { close(n.run) })
	return n
}

// do runs f on the namespace's thread: sockets it opens stay in the
// namespace.
func (n *netns) do(f func()) {
	done := make(chan struct{})
	n.run <- func() { defer close(done); f() }
	<-done
}

// result is what one command did.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// exec runs a command in the namespace with the given environment
// (KEY=VALUE; PATH is set when absent) and returns what it did. A command
// that cannot start fails the test.
func (n *netns) exec(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	var r result
	var err error
	done := make(chan struct{})
	n.run <- func() {
		defer close(done)
		c := exec.Command(name, args...)
		c.Args[0] = filepath.Base(name) // usage messages print argv[0]
		c.Env = env
		if !hasKey(env, "PATH") {
			c.Env = append(c.Env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin")
		}
		var o, e bytes.Buffer
		c.Stdout, c.Stderr = &o, &e
		c.WaitDelay = 5 * time.Second
		err = c.Run()
		r = result{stdout: o.String(), stderr: e.String()}
	}
	<-done
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	return r
}

func hasKey(env []string, key string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}

// must runs a command that has to succeed and returns its stdout.
func (n *netns) must(t *testing.T, name string, args ...string) string {
	t.Helper()
	r := n.exec(t, nil, name, args...)
	if r.code != 0 {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), r)
	}
	return r.stdout
}

// writeFile writes a private temporary file and returns its path.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
