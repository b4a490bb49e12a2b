package e2e_test

import (
	"bytes"
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wgshim/wgshim/core/uapi"
	"github.com/wgshim/wgshim/core/wgtypes"
)

// linkExists reports whether iface exists in ns.
func linkExists(ns, iface string) bool {
	return exec.Command("ip", "-n", ns, "link", "show", "dev", iface).Run() == nil
}

func socketExists(iface string) bool {
	_, err := os.Stat(socketPath(iface))
	return !errors.Is(err, fs.ErrNotExist)
}

// waitGone waits until iface's socket and link are both gone.
func waitGone(t testing.TB, ns, iface string) {
	t.Helper()
	if !waitFor(5*time.Second, func() bool { return !socketExists(iface) && !linkExists(ns, iface) }) {
		t.Errorf("after 5s: socket present %v, link present %v; want both gone", socketExists(iface), linkExists(ns, iface))
	}
}

// TestDaemonExit stops a configured daemon each way wg-quick and service
// managers do (SIGTERM, SIGINT, deleting the link, deleting the socket):
// it exits with status 0 and leaves neither socket nor link behind.
func TestDaemonExit(t *testing.T) {
	requireEnv(t)
	triggers := []struct {
		name string
		do   func(t *testing.T, d *daemon)
	}{
		{"sigterm", func(t *testing.T, d *daemon) { d.cmd.Process.Signal(syscall.SIGTERM) }},
		{"sigint", func(t *testing.T, d *daemon) { d.cmd.Process.Signal(syscall.SIGINT) }},
		{"link-del", func(t *testing.T, d *daemon) { run(t, "ip", "-n", d.ns, "link", "del", d.iface) }},
		{"socket-deleted", func(t *testing.T, d *daemon) {
			if err := os.Remove(socketPath(d.iface)); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, impl := range []string{wgshim, wggo} {
		for _, tr := range triggers {
			t.Run(impl+"/"+tr.name, func(t *testing.T) {
				t.Parallel()
				nm := newNames()
				ns := newNetns(t, nm.ns("x"))
				d := startDaemon(t, impl, ns, nm.iface("x"))
				priv := mustKey(t)
				d.set(t, wgtypes.Config{PrivateKey: &priv, ListenPort: ptr(0), Peers: []wgtypes.PeerConfig{{
					PublicKey: mustKey(t).PublicKey(), AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32")}}}})
				run(t, "ip", "-n", ns, "link", "set", d.iface, "up")
				tr.do(t, d)
				d.waitExit(t, 5*time.Second)
				if d.waitErr != nil {
					t.Errorf("exit status: %v, want 0", d.waitErr)
				}
				waitGone(t, ns, d.iface)
			})
		}
	}
}

// TestDaemonize starts the daemon the way wg-quick does (no -f): the
// command returns 0 at once, the socket already answers, and the detached
// daemon goes away with its link.
func TestDaemonize(t *testing.T) {
	requireEnv(t)
	for _, impl := range []string{wgshim, wggo} {
		t.Run(impl, func(t *testing.T) {
			nm := newNames()
			ns := newNetns(t, nm.ns("d"))
			iface := nm.iface("d")
			t.Cleanup(func() { exec.Command("ip", "-n", ns, "link", "del", iface).Run() })
			start := time.Now()
			nsRun(t, ns, bins[impl], iface)
			if e := time.Since(start); e > 5*time.Second {
				t.Errorf("the parent took %v to return", e)
			}
			c, err := uapi.Dial(uapi.DefaultDir, iface)
			if err != nil {
				t.Fatalf("socket does not answer right after the parent returned: %v", err)
			}
			dev, err := (&uapi.Client{}).Get(c)
			c.Close()
			if err != nil || len(dev.Peers) != 0 {
				t.Fatalf("get from the detached daemon: %+v, %v", dev, err)
			}
			run(t, "ip", "-n", ns, "link", "del", iface)
			waitGone(t, ns, iface)
		})
	}
}

// startOnce runs the daemon command line args in ns to completion and
// returns its exit code, stdout and stderr.
func startOnce(t testing.TB, ns string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not exit within 10s; stderr: %s", args, stderr.Bytes())
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// TestStartupErrors: a name already taken (in the same namespace: the TUN;
// in another one: the shared socket) or not usable as an interface name
// makes wgshim exit non-zero with one clear line on stderr, and leaves the
// daemon that owns the name untouched. Bad arguments print wireguard-go's
// usage line on stdout with status 0, as wireguard-go does (spec uapi.md
// §8) and scripts may expect.
func TestStartupErrors(t *testing.T) {
	requireEnv(t)
	nm := newNames()
	ns1, ns2 := newNetns(t, nm.ns("s")), newNetns(t, nm.ns("t"))
	owner := startDaemon(t, wgshim, ns1, nm.iface("s"))
	priv := mustKey(t)
	owner.set(t, wgtypes.Config{PrivateKey: &priv})

	oneLine := func(t *testing.T, what, stderr string, mention string) {
		t.Helper()
		lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
		if len(lines) != 1 || lines[0] == "" {
			t.Errorf("%s: stderr has %d lines, want exactly one:\n%s", what, len(lines), stderr)
		}
		if !strings.Contains(stderr, mention) {
			t.Errorf("%s: stderr %q does not mention %q", what, stderr, mention)
		}
	}
	ownerIntact := func(t *testing.T) {
		t.Helper()
		if owner.exited() {
			t.Fatalf("the daemon owning %s exited: %v", owner.iface, owner.waitErr)
		}
		if got := owner.get(t).PrivateKey; got != priv {
			t.Errorf("the owning daemon lost its configuration")
		}
	}

	for _, c := range []struct {
		name, ns string
		args     []string
	}{
		{"tun name taken, foreground", ns1, []string{bins[wgshim], "-f", owner.iface}},
		{"tun name taken", ns1, []string{bins[wgshim], owner.iface}},
		{"socket taken from another namespace", ns2, []string{bins[wgshim], "-f", owner.iface}},
		{"socket taken from another namespace, detaching", ns2, []string{bins[wgshim], owner.iface}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := startOnce(t, c.ns, nil, c.args...)
			if code == 0 {
				t.Errorf("exit status 0, want non-zero")
			}
			oneLine(t, c.name, stderr, owner.iface)
			ownerIntact(t)
			if c.ns == ns2 && linkExists(ns2, owner.iface) {
				t.Errorf("a %s link was left behind in the second namespace", owner.iface)
			}
		})
	}

	for _, c := range []struct{ name, iface string }{
		{"name too long", "wgT" + strings.Repeat("x", 14)},
		{"slash in name", "wg/" + tag},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := startOnce(t, ns2, nil, bins[wgshim], c.iface)
			if code == 0 {
				t.Errorf("exit status 0, want non-zero")
			}
			oneLine(t, c.name, stderr, c.iface)
			if socketExists(c.iface) {
				t.Errorf("socket %s created", socketPath(c.iface))
				os.Remove(socketPath(c.iface))
			}
		})
	}

	for _, args := range [][]string{{}, {"-x", "a", "b"}, {"-f"}} {
		t.Run("usage "+strings.Join(args, " "), func(t *testing.T) {
			for _, impl := range []string{wgshim, wggo} {
				code, stdout, stderr := startOnce(t, ns2, nil, append([]string{bins[impl]}, args...)...)
				want := "Usage: " + bins[impl] + " [-f/--foreground] INTERFACE-NAME\n"
				if code != 0 || stdout != want {
					t.Errorf("%s %v: status %d, stdout %q (stderr %q); want 0 and %q like wireguard-go",
						impl, args, code, stdout, stderr, want)
				}
			}
		})
	}
}

// TestWgQuick brings an interface up and down with Debian's wg-quick,
// pointed at wgshim by WG_QUICK_USERSPACE_IMPLEMENTATION. wg-quick falls
// back to it when `ip link add ... type wireguard` fails; an ip(8) shim
// first in its PATH makes it fail whether or not this kernel has the
// module. wg-quick runs in its own network namespace and a private mount
// namespace so that nothing it does can reach the host. The other end is
// a wgshim daemon configured over UAPI.
func TestWgQuick(t *testing.T) {
	requireEnv(t, "wg-quick", "unshare")
	shim := t.TempDir()
	realIP, _ := exec.LookPath("ip") // requireEnv checked it
	err := os.WriteFile(filepath.Join(shim, "ip"), []byte(`#!/bin/sh
# ip(8) on a kernel without WireGuard: a wireguard link cannot be made.
for a; do
	if [ "$a" = wireguard ]; then
		echo "Error: Unknown device type." >&2
		exit 2
	fi
done
exec `+realIP+` "$@"
`), 0o755)
	if err != nil {
		t.Fatal(err)
	}
	nm := newNames()
	nsQ, nsP := newNetns(t, nm.ns("q")), newNetns(t, nm.ns("p"))
	vethQ, vethP := nm.veth("q"), nm.veth("p")
	run(t, "ip", "link", "add", vethQ, "netns", nsQ, "type", "veth", "peer", "name", vethP, "netns", nsP)
	run(t, "ip", "-n", nsQ, "addr", "add", "192.168.241.1/24", "dev", vethQ)
	run(t, "ip", "-n", nsP, "addr", "add", "192.168.241.2/24", "dev", vethP)
	run(t, "ip", "-n", nsQ, "link", "set", vethQ, "up")
	run(t, "ip", "-n", nsP, "link", "set", vethP, "up")

	privQ, privP := mustKey(t), mustKey(t)
	p := startDaemon(t, wgshim, nsP, nm.iface("p"))
	epQ := netip.MustParseAddrPort("192.168.241.1:51820")
	p.set(t, wgtypes.Config{PrivateKey: &privP, ListenPort: ptr(51821), Peers: []wgtypes.PeerConfig{{
		PublicKey: privQ.PublicKey(), Endpoint: &epQ,
		AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("fd00::1/128")}}}})
	run(t, "ip", "-n", nsP, "addr", "add", "10.0.0.2/24", "dev", p.iface)
	run(t, "ip", "-n", nsP, "addr", "add", "fd00::2/64", "dev", p.iface, "nodad")
	run(t, "ip", "-n", nsP, "link", "set", p.iface, "up")
	waitListening(t, nsP, 51821)

	ifQ := nm.iface("q")
	conf := filepath.Join(t.TempDir(), ifQ+".conf")
	err = os.WriteFile(conf, []byte(`[Interface]
PrivateKey = `+privQ.String()+`
Address = 10.0.0.1/24, fd00::1/64
ListenPort = 51820
MTU = 1380

[Peer]
PublicKey = `+privP.PublicKey().String()+`
Endpoint = 192.168.241.2:51821
AllowedIPs = 10.0.0.2/32, fd00::2/128
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	// Whatever happens, deleting the link (and the namespace) stops the
	// detached daemon.
	t.Cleanup(func() { exec.Command("ip", "-n", nsQ, "link", "del", ifQ).Run() })
	env := []string{"WG_QUICK_USERSPACE_IMPLEMENTATION=" + bins[wgshim], "PATH=" + shim + ":" + os.Getenv("PATH")}
	wgQuick := []string{"unshare", "--mount", "--propagation", "private", "wg-quick"}

	code, stdout, stderr := startOnce(t, nsQ, env, append(wgQuick, "up", conf)...)
	if code != 0 {
		t.Fatalf("wg-quick up: status %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	t.Logf("wg-quick up:\n%s", stderr)
	for _, want := range []string{
		"[!] Missing WireGuard kernel module. Falling back to slow userspace implementation.",
		"[#] " + bins[wgshim] + " " + ifQ,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("wg-quick up: output lacks %q", want)
		}
	}
	if !socketExists(ifQ) {
		t.Fatalf("no UAPI socket %s after wg-quick up", socketPath(ifQ))
	}
	link := nsRun(t, nsQ, "ip", "addr", "show", "dev", ifQ)
	for _, want := range []string{"mtu 1380", "10.0.0.1/24", "fd00::1/64", ",UP"} {
		if !strings.Contains(link, want) {
			t.Errorf("ip addr show %s lacks %q:\n%s", ifQ, want, link)
		}
	}
	ping(t, nsQ, netip.MustParseAddr("10.0.0.2"))
	ping(t, nsQ, netip.MustParseAddr("fd00::2"))
	dump := strings.Split(nsRun(t, nsQ, "wg", "show", ifQ, "dump"), "\n")
	if f := strings.Split(dump[0], "\t"); len(f) != 4 || f[0] != privQ.String() || f[2] != "51820" {
		t.Errorf("wg show dump interface line = %q, want the configured key and port 51820", dump[0])
	}
	if f := strings.Split(dump[1], "\t"); len(f) != 8 || f[0] != privP.PublicKey().String() || f[2] != "192.168.241.2:51821" || f[4] == "0" {
		t.Errorf("wg show dump peer line = %q, want P with its endpoint and a handshake", dump[1])
	}

	code, stdout, stderr = startOnce(t, nsQ, env, append(wgQuick, "down", conf)...)
	if code != 0 {
		t.Fatalf("wg-quick down: status %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "[#] ip link delete dev "+ifQ) {
		t.Errorf("wg-quick down: output lacks the link deletion:\n%s", stderr)
	}
	waitGone(t, nsQ, ifQ)
}
