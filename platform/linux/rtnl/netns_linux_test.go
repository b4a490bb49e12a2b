package rtnl

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/internal/testenv"
)

// requireRoot skips a test that needs root, unless CI=true, where a missing
// prerequisite must fail loudly.
func requireRoot(t *testing.T) {
	t.Helper()
	testenv.RequireRoot(t, "CAP_NET_ADMIN and CAP_SYS_ADMIN to unshare a network namespace")
}

// requireTool is requireRoot for an executable the test runs.
func requireTool(t *testing.T, name string) {
	t.Helper()
	testenv.RequireTool(t, name)
}

// netns is a fresh network namespace owned by one OS thread. A goroutine
// locks itself to a thread, unshares the namespace and then runs closures
// sent to it. It never unlocks the thread, so when the namespace is closed
// the goroutine returns and the Go runtime destroys the thread, and with it
// the thread's membership in the namespace. Child processes started from
// that thread (exec forks the calling thread) are inside the namespace
// too, which is how `ip` sees what our socket did without a named netns.
//
//	test goroutine ──do(f)──▶ locked thread [netns N] ──fork──▶ ip -j ...
//	                                  │
//	                          rtnetlink socket (stays in N)
type netns struct {
	run chan func()
	c   *Conn
}

func newNetns(t *testing.T) *netns {
	t.Helper()
	requireRoot(t)
	n := &netns{run: make(chan func())}
	errc := make(chan error)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: the thread must die with this goroutine.
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
			return
		}
		c, err := Dial()
		if err != nil {
			errc <- err
			return
		}
		n.c = c
		errc <- nil
		for f := range n.run {
			f()
		}
	}()
	if err := <-errc; err != nil {
		if errors.Is(err, os.ErrPermission) {
			testenv.Skip(t, "%v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.c.Close()
		close(n.run)
	})
	return n
}

// do runs f on the namespace's thread.
func (n *netns) do(f func()) {
	done := make(chan struct{})
	n.run <- func() { defer close(done); f() }
	<-done
}

// ip runs `ip -N -j ARGS...` inside the namespace and decodes its JSON
// output into v.
func (n *netns) ip(t *testing.T, v any, args ...string) {
	t.Helper()
	requireTool(t, "ip")
	var out []byte
	var err error
	n.do(func() {
		out, err = exec.Command("ip", append([]string{"-N", "-j"}, args...)...).Output()
	})
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("ip %v: %v: %s", args, err, ee.Stderr)
		}
		t.Fatalf("ip %v: %v", args, err)
	}
	if len(out) == 0 || string(out) == "\n" {
		out = []byte("[]")
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("ip %v: decode %q: %v", args, out, err)
	}
}

// testLink creates a link to hang addresses and routes on. The host may
// lack the dummy module, so it tries a few kinds that need no extra
// attributes.
func (n *netns) testLink(t *testing.T, name string) Link {
	t.Helper()
	for _, kind := range []string{"dummy", "ifb", "bridge"} {
		err := n.c.CreateLink(name, kind)
		if errors.Is(err, errors.ErrUnsupported) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		l, err := n.c.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	t.Fatal("cannot create a dummy, ifb or bridge link")
	return Link{}
}
