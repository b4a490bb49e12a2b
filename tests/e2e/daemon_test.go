package e2e_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wgshim/wgshim/core/uapi"
	"github.com/wgshim/wgshim/core/wgtypes"
)

// daemon is one foreground WireGuard daemon (wgshim or wireguard-go) running
// in a namespace.
type daemon struct {
	impl, ns, iface string
	cmd             *exec.Cmd
	out             *syncBuffer
	done            chan struct{} // closed when the process has exited
	waitErr         error         // valid after done
}

// syncBuffer collects a daemon's output for failure reports.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 1<<20 { // keep memory bounded on chatty runs
		return len(p), nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func socketPath(iface string) string { return uapi.SocketPath(uapi.DefaultDir, iface) }

// startDaemon runs impl in the foreground as "ip netns exec NS IMPL -f IFACE"
// (ip execs, so the process is the daemon itself) and waits until its UAPI
// socket answers. At cleanup it is stopped with SIGTERM (SIGKILL after 5 s)
// and its output is logged if the test failed.
func startDaemon(t testing.TB, impl, ns, iface string) *daemon {
	t.Helper()
	d := &daemon{impl: impl, ns: ns, iface: iface, out: &syncBuffer{}, done: make(chan struct{})}
	d.cmd = exec.Command("ip", "netns", "exec", ns, bins[impl], "-f", iface)
	d.cmd.Env = append(os.Environ(), "LOG_LEVEL=verbose")
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", impl, err)
	}
	go func() {
		d.waitErr = d.cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(func() {
		d.stop()
		if t.Failed() {
			out := d.out.String()
			if len(out) > 8<<10 {
				out = "...\n" + out[len(out)-8<<10:]
			}
			t.Logf("%s %s in %s output:\n%s", impl, iface, ns, out)
		}
	})
	ok := waitFor(5*time.Second, func() bool {
		if d.exited() {
			return true
		}
		c, err := uapi.Dial(uapi.DefaultDir, iface)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
	if d.exited() {
		t.Fatalf("%s %s exited at start: %v\n%s", impl, iface, d.waitErr, d.out.String())
	}
	if !ok {
		t.Fatalf("%s %s: UAPI socket %s did not answer within 5s", impl, iface, socketPath(iface))
	}
	return d
}

func (d *daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// stop ends the daemon (SIGTERM, then SIGKILL) and waits for it.
func (d *daemon) stop() {
	if d.exited() {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
	}
}

// waitExit waits up to timeout for the daemon to exit by itself.
func (d *daemon) waitExit(t testing.TB, timeout time.Duration) {
	t.Helper()
	select {
	case <-d.done:
	case <-time.After(timeout):
		t.Fatalf("%s %s did not exit within %v", d.impl, d.iface, timeout)
	}
}

// dial connects to the daemon's UAPI socket with a deadline.
func (d *daemon) dial(t testing.TB) net.Conn {
	t.Helper()
	c, err := uapi.Dial(uapi.DefaultDir, d.iface)
	if err != nil {
		t.Fatalf("dial %s: %v", d.iface, err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return c
}

// set applies cfg through the UAPI client.
func (d *daemon) set(t testing.TB, cfg wgtypes.Config) {
	t.Helper()
	if err := d.setErr(t, cfg); err != nil {
		t.Fatalf("uapi set %s (%s): %v", d.iface, d.impl, err)
	}
}

func (d *daemon) setErr(t testing.TB, cfg wgtypes.Config) error {
	t.Helper()
	c := d.dial(t)
	defer c.Close()
	return (&uapi.Client{}).Set(c, cfg)
}

// get reads the device state through the UAPI client.
func (d *daemon) get(t testing.TB) *wgtypes.Device {
	t.Helper()
	c := d.dial(t)
	defer c.Close()
	dev, err := (&uapi.Client{}).Get(c)
	if err != nil {
		t.Fatalf("uapi get %s (%s): %v", d.iface, d.impl, err)
	}
	return dev
}

// peer returns the daemon's view of the peer with key pub.
func (d *daemon) peer(t testing.TB, pub wgtypes.Key) wgtypes.Peer {
	t.Helper()
	for _, p := range d.get(t).Peers {
		if p.PublicKey == pub {
			return p
		}
	}
	t.Fatalf("%s (%s) has no peer %s", d.iface, d.impl, pub)
	return wgtypes.Peer{}
}

// dump runs Debian's "wg show IFACE dump" in the daemon's namespace and
// returns its lines.
func (d *daemon) dump(t testing.TB) []string {
	t.Helper()
	out := nsRun(t, d.ns, "wg", "show", d.iface, "dump")
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

// dumpEndpoint returns the endpoint column of pub's line in wg show dump.
func (d *daemon) dumpEndpoint(t testing.TB, pub wgtypes.Key) string {
	t.Helper()
	for _, line := range d.dump(t)[1:] {
		f := strings.Split(line, "\t")
		if len(f) == 8 && f[0] == pub.String() {
			return f[2]
		}
	}
	t.Fatalf("wg show %s dump: no peer %s", d.iface, pub)
	return ""
}

// node is one end of a tunnel: a daemon and what the other end needs to
// know about it.
type node struct {
	*daemon
	priv, pub      wgtypes.Key
	port           int
	veth           string
	outer4, outer6 netip.Addr
	inner4, inner6 netip.Addr
}

func (n *node) endpoint(outer6 bool) netip.AddrPort {
	if outer6 {
		return netip.AddrPortFrom(n.outer6, uint16(n.port))
	}
	return netip.AddrPortFrom(n.outer4, uint16(n.port))
}

// peerConfig is the configuration of n as a peer of the other end.
func (n *node) peerConfig(outer6 bool) wgtypes.PeerConfig {
	ep := n.endpoint(outer6)
	return wgtypes.PeerConfig{
		PublicKey:         n.pub,
		Endpoint:          &ep,
		ReplaceAllowedIPs: true,
		AllowedIPs: []netip.Prefix{
			netip.PrefixFrom(n.inner4, 32),
			netip.PrefixFrom(n.inner6, 128),
		},
	}
}

// pair is two namespaces joined by a veth, a daemon in each and a tunnel
// between them (see the topology in doc.go).
type pair struct {
	a, b   *node
	outer6 bool
}

func mustKey(t testing.TB) wgtypes.Key {
	t.Helper()
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ptr[T any](v T) *T { return &v }

// newPair builds the two-namespace topology with implA in a and implB in b;
// outer6 selects IPv6 endpoints for the transport. Both interfaces are up
// and configured; no packet has been sent yet.
func newPair(t testing.TB, implA, implB string, outer6 bool) *pair {
	t.Helper()
	nm := newNames()
	nsA, nsB := newNetns(t, nm.ns("a")), newNetns(t, nm.ns("b"))
	a := &node{veth: nm.veth("a"), port: 51820,
		outer4: netip.MustParseAddr("192.168.241.1"), outer6: netip.MustParseAddr("fdaa::1"),
		inner4: netip.MustParseAddr("10.0.0.1"), inner6: netip.MustParseAddr("fd00::1")}
	b := &node{veth: nm.veth("b"), port: 51821,
		outer4: netip.MustParseAddr("192.168.241.2"), outer6: netip.MustParseAddr("fdaa::2"),
		inner4: netip.MustParseAddr("10.0.0.2"), inner6: netip.MustParseAddr("fd00::2")}
	run(t, "ip", "link", "add", a.veth, "netns", nsA, "type", "veth", "peer", "name", b.veth, "netns", nsB)
	for _, x := range []struct {
		n  *node
		ns string
	}{{a, nsA}, {b, nsB}} {
		run(t, "ip", "-n", x.ns, "addr", "add", x.n.outer4.String()+"/24", "dev", x.n.veth)
		run(t, "ip", "-n", x.ns, "addr", "add", x.n.outer6.String()+"/64", "dev", x.n.veth, "nodad")
		run(t, "ip", "-n", x.ns, "link", "set", x.n.veth, "up")
	}
	a.daemon = startDaemon(t, implA, nsA, nm.iface("a"))
	b.daemon = startDaemon(t, implB, nsB, nm.iface("b"))
	for _, n := range []*node{a, b} {
		n.priv = mustKey(t)
		n.pub = n.priv.PublicKey()
	}
	p := &pair{a: a, b: b, outer6: outer6}
	p.configure(t, a, b)
	p.configure(t, b, a)
	for _, n := range []*node{a, b} {
		run(t, "ip", "-n", n.ns, "addr", "add", n.inner4.String()+"/24", "dev", n.iface)
		run(t, "ip", "-n", n.ns, "addr", "add", n.inner6.String()+"/64", "dev", n.iface, "nodad")
		run(t, "ip", "-n", n.ns, "link", "set", n.iface, "up")
	}
	for _, n := range []*node{a, b} {
		waitListening(t, n.ns, n.port)
	}
	return p
}

// waitListening waits until a UDP socket is bound to port in ns. The
// daemons bind when they see the link go up, asynchronously; a handshake
// initiation sent before the other end is bound is lost and only retried
// after REKEY_TIMEOUT (5 s), longer than a ping waits.
func waitListening(t testing.TB, ns string, port int) {
	t.Helper()
	filter := fmt.Sprintf("sport = :%d", port)
	if !waitFor(5*time.Second, func() bool {
		out, err := nsRunErr(ns, "ss", "-Hunl", filter)
		return err == nil && strings.TrimSpace(out) != ""
	}) {
		t.Fatalf("nothing listens on udp port %d in %s after 5s", port, ns)
	}
}

// configure gives n its key and port and other as its only peer.
func (p *pair) configure(t testing.TB, n, other *node) {
	t.Helper()
	n.set(t, wgtypes.Config{
		PrivateKey:   &n.priv,
		ListenPort:   &n.port,
		ReplacePeers: true,
		Peers:        []wgtypes.PeerConfig{other.peerConfig(p.outer6)},
	})
}

// ping pings dst from ns and fails the test unless replies come back.
func ping(t testing.TB, ns string, dst netip.Addr, extra ...string) {
	t.Helper()
	if err := pingErr(ns, dst, 3, extra...); err != nil {
		t.Fatal(err)
	}
}

// pingFails fails the test if any of count pings to dst gets a reply.
func pingFails(t testing.TB, ns string, dst netip.Addr, count int, extra ...string) {
	t.Helper()
	if err := pingErr(ns, dst, count, extra...); err == nil {
		t.Fatalf("ping %v from %s %v: got a reply, want none", dst, ns, extra)
	}
}

func pingErr(ns string, dst netip.Addr, count int, extra ...string) error {
	args := []string{"ping", "-n", "-q", "-c", strconv.Itoa(count), "-i", "0.2", "-W", "2"}
	args = append(append(args, extra...), dst.String())
	_, err := nsRunErr(ns, args...)
	return err
}

// pingWithin pings dst once a second until a reply arrives or the deadline
// passes (a handshake retry can take REKEY_TIMEOUT, 5 s).
func pingWithin(t testing.TB, ns string, dst netip.Addr, deadline time.Duration) {
	t.Helper()
	secs := strconv.Itoa(int(deadline.Seconds()))
	if _, err := nsRunErr(ns, "ping", "-n", "-q", "-c", "1", "-w", secs, dst.String()); err != nil {
		t.Fatalf("no reply within %v: %v", deadline, err)
	}
}

// sysfsCounter reads /sys/class/net/IFACE/statistics/NAME in ns.
func sysfsCounter(t testing.TB, ns, iface, name string) uint64 {
	t.Helper()
	out := nsRun(t, ns, "cat", fmt.Sprintf("/sys/class/net/%s/statistics/%s", iface, name))
	v, err := strconv.ParseUint(strings.TrimSpace(out), 10, 64)
	if err != nil {
		t.Fatalf("%s %s: %v", iface, name, err)
	}
	return v
}

// errnoReply sends a raw request on a fresh UAPI connection (half-closing
// it when halfClose is set) and returns the whole reply.
func rawRequest(t testing.TB, d *daemon, req string, halfClose bool) string {
	t.Helper()
	c := d.dial(t)
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatalf("write request: %v", err)
	}
	if halfClose {
		c.(*net.UnixConn).CloseWrite()
	}
	var buf bytes.Buffer
	tmp := make([]byte, 4096)
	for {
		n, err := c.Read(tmp)
		buf.Write(tmp[:n])
		if bytes.HasSuffix(buf.Bytes(), []byte("\n\n")) {
			break
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("reply to %q: timed out after %q", clipString(req), buf.String())
			}
			break
		}
	}
	return buf.String()
}

func clipString(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
