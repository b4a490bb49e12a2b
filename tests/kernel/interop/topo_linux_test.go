//go:build linux

package interop_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/core/uapi"
	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/linux/rtnl"
	"github.com/wgshim/wgshim/platform/linux/wgnl"
)

// Addresses of the topology drawn in doc.go.
var (
	kVeth4 = netip.MustParseAddr("192.168.77.1")
	uVeth4 = netip.MustParseAddr("192.168.77.2")
	kVeth6 = netip.MustParseAddr("fd77:1::1")
	uVeth6 = netip.MustParseAddr("fd77:1::2")
	kIn4   = netip.MustParseAddr("10.77.0.1")
	uIn4   = netip.MustParseAddr("10.77.0.2")
	kIn6   = netip.MustParseAddr("fd77::1")
	uIn6   = netip.MustParseAddr("fd77::2")
)

const (
	kPort = 51820
	uPort = 51821
)

var seq atomic.Int32

// env holds the paths run.sh passes into the VM.
type env struct {
	wgshim string // our daemon
	wg     string // Debian's wg(8)
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
	e := env{wgshim: os.Getenv("WGSHIM_BIN"), wg: os.Getenv("WGSHIM_WG")}
	if e.wgshim == "" || e.wg == "" {
		t.Fatalf("WGSHIM_KERNEL_VM=1 but WGSHIM_BIN=%q WGSHIM_WG=%q: run.sh passes both", e.wgshim, e.wg)
	}
	for _, p := range []string{e.wgshim, e.wg} {
		if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
			t.Fatalf("%s is not an executable: %v", p, err)
		}
	}
	for _, tool := range []string{"ip", "ping"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("prerequisite %s: %v", tool, err)
		}
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Fatalf("no TUN support: %v", err)
	}
	return e
}

// run runs a command and returns its stdout; failure fails the test with
// the command line and both outputs.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := runErr(name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runErr(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v\nstdout: %s\nstderr: %s",
			name, strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.String(), nil
}

// inNetns runs fn on an OS thread that has joined the named network
// namespace. Sockets fn opens stay in that namespace whatever thread uses
// them later. The thread is never unlocked, so the runtime destroys it when
// fn returns instead of reusing a thread in the wrong namespace.
func inNetns(ns string, fn func() error) error {
	f, err := os.Open("/run/netns/" + ns)
	if err != nil {
		return fmt.Errorf("open netns %s: %w", ns, err)
	}
	defer f.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// lockedBuffer collects a child's output while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// topo is one kernel-vs-wgshim topology (doc.go). Fields are fixed once
// newTopo returns.
type topo struct {
	t            *testing.T
	env          env
	nsK, nsU     string
	kIf, uIf     string
	kPriv, uPriv wgtypes.Key
	wgnl         *wgnl.Client // opened in nsK
	daemonOut    *lockedBuffer
}

// newTopo builds the namespaces, the veth pair, the kernel interface and
// the daemon, with keys and listen ports but no peers. Everything is removed
// when the test ends.
func newTopo(t *testing.T) *topo {
	t.Helper()
	e := kernelVM(t)
	// Names carry the pid as well: a crashed run leaves its namespaces and
	// socket behind, and the next one must not trip over them.
	id := fmt.Sprintf("%d-%d", os.Getpid(), seq.Add(1))
	tp := &topo{t: t, env: e, nsK: "ik" + id, nsU: "iu" + id, kIf: "wgk" + id, uIf: "wgu" + id}
	start := time.Now()

	for _, ns := range []string{tp.nsK, tp.nsU} {
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() {
			if _, err := runErr("ip", "netns", "del", ns); err != nil {
				t.Error(err)
			}
		})
	}
	run(t, "ip", "link", "add", "vk", "netns", tp.nsK, "type", "veth", "peer", "name", "vu", "netns", tp.nsU)
	for _, s := range []struct {
		ns, dev string
		v4, v6  netip.Addr
	}{{tp.nsK, "vk", kVeth4, kVeth6}, {tp.nsU, "vu", uVeth4, uVeth6}} {
		run(t, "ip", "-n", s.ns, "addr", "add", s.v4.String()+"/24", "dev", s.dev)
		// nodad: the address is usable at once instead of after DAD.
		run(t, "ip", "-n", s.ns, "addr", "add", s.v6.String()+"/64", "dev", s.dev, "nodad")
		run(t, "ip", "-n", s.ns, "link", "set", s.dev, "up")
		run(t, "ip", "-n", s.ns, "link", "set", "lo", "up")
	}

	var err error
	tp.kPriv, err = wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	tp.uPriv, err = wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}

	// Kernel side: rtnl creates and addresses the link, wgnl configures it;
	// both sockets are opened in nsK.
	rt := tp.rtnl(tp.nsK)
	if err := rt.CreateLink(tp.kIf, "wireguard"); err != nil {
		t.Fatal(err)
	}
	if err := inNetns(tp.nsK, func() (err error) { tp.wgnl, err = wgnl.Open(); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tp.wgnl.Close() })
	port := kPort
	if err := tp.wgnl.Set(tp.kIf, wgtypes.Config{PrivateKey: &tp.kPriv, ListenPort: &port}); err != nil {
		t.Fatal(err)
	}
	tp.address(rt, tp.kIf, kIn4, kIn6)

	// Userspace side: our daemon, in the foreground so the test owns it.
	tp.startDaemon()
	port = uPort
	tp.uapiSet(wgtypes.Config{PrivateKey: &tp.uPriv, ListenPort: &port})
	tp.address(tp.rtnl(tp.nsU), tp.uIf, uIn4, uIn6)

	// Sanity: each side reports the keys and port it was given.
	k, u := tp.kernelGet(), tp.uapiGet()
	if k.Type != wgtypes.LinuxKernel || k.PublicKey != tp.kPriv.PublicKey() || k.ListenPort != kPort {
		t.Fatalf("kernel device after setup: type %q, public key %s, port %d", k.Type, k.PublicKey, k.ListenPort)
	}
	if u.PublicKey != tp.uPriv.PublicKey() || u.ListenPort != uPort {
		t.Fatalf("wgshim device after setup: public key %s, port %d", u.PublicKey, u.ListenPort)
	}
	t.Logf("topology %s/%s up in %v", tp.nsK, tp.nsU, time.Since(start).Round(time.Millisecond))
	return tp
}

// rtnl opens an rtnetlink socket in ns, closed when the test ends.
func (tp *topo) rtnl(ns string) *rtnl.Conn {
	tp.t.Helper()
	f, err := os.Open("/run/netns/" + ns)
	if err != nil {
		tp.t.Fatal(err)
	}
	defer f.Close()
	c, err := rtnl.DialNetNS(int(f.Fd()))
	if err != nil {
		tp.t.Fatal(err)
	}
	tp.t.Cleanup(func() { c.Close() })
	return c
}

func (tp *topo) address(c *rtnl.Conn, dev string, a4, a6 netip.Addr) {
	tp.t.Helper()
	for _, p := range []netip.Prefix{netip.PrefixFrom(a4, 24), netip.PrefixFrom(a6, 64)} {
		if err := c.AddAddress(dev, p); err != nil {
			tp.t.Fatal(err)
		}
	}
	if err := c.SetLinkUp(dev); err != nil {
		tp.t.Fatal(err)
	}
}

// startDaemon runs `wgshim -f wgu<n>` in nsU and waits for its UAPI socket.
// At the end of the test it is stopped with SIGTERM and must exit with
// status 0; its log is printed if the test failed.
func (tp *topo) startDaemon() {
	t := tp.t
	t.Helper()
	tp.daemonOut = &lockedBuffer{}
	cmd := exec.Command("ip", "netns", "exec", tp.nsU, tp.env.wgshim, "-f", tp.uIf)
	cmd.Env = append(os.Environ(), "LOG_LEVEL=verbose")
	cmd.Stdout, cmd.Stderr = tp.daemonOut, tp.daemonOut
	if err := cmd.Start(); err != nil {
		t.Fatalf("start wgshim: %v", err)
	}
	done := make(chan struct{})
	var waitErr error // set before done is closed
	go func() { waitErr = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("wgshim log:\n%s", tp.daemonOut)
		}
	})
	t.Cleanup(func() {
		select {
		case <-done:
			t.Errorf("wgshim exited before the end of the test: %v", waitErr)
			return
		default:
		}
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
			if waitErr != nil {
				t.Errorf("wgshim did not exit cleanly on SIGTERM: %v", waitErr)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("wgshim still running 10 s after SIGTERM; killed")
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := uapi.Dial("", tp.uIf)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-done:
			t.Fatalf("wgshim exited before its UAPI socket appeared: %v", waitErr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no UAPI socket for %s after 20 s: %v", tp.uIf, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (tp *topo) uapiSet(cfg wgtypes.Config) {
	tp.t.Helper()
	c, err := uapi.Dial("", tp.uIf)
	if err != nil {
		tp.t.Fatal(err)
	}
	defer c.Close()
	if err := (&uapi.Client{}).Set(c, cfg); err != nil {
		tp.t.Fatalf("uapi set %s: %v", tp.uIf, err)
	}
}

func (tp *topo) uapiGet() *wgtypes.Device {
	tp.t.Helper()
	c, err := uapi.Dial("", tp.uIf)
	if err != nil {
		tp.t.Fatal(err)
	}
	defer c.Close()
	d, err := (&uapi.Client{}).Get(c)
	if err != nil {
		tp.t.Fatalf("uapi get %s: %v", tp.uIf, err)
	}
	d.Name = tp.uIf
	return d
}

func (tp *topo) kernelGet() *wgtypes.Device {
	tp.t.Helper()
	d, err := tp.wgnl.Get(tp.kIf)
	if err != nil {
		tp.t.Fatal(err)
	}
	return d
}

// connect gives each side the other as its only peer. A nil endpoint leaves
// that side without one: it cannot initiate and must learn the endpoint
// from the other side's handshake.
func (tp *topo) connect(kEndpoint, uEndpoint *netip.AddrPort) {
	tp.t.Helper()
	kPeer := wgtypes.PeerConfig{
		PublicKey:         tp.uPriv.PublicKey(),
		Endpoint:          kEndpoint,
		ReplaceAllowedIPs: true,
		AllowedIPs:        []netip.Prefix{netip.PrefixFrom(uIn4, 32), netip.PrefixFrom(uIn6, 128)},
	}
	if err := tp.wgnl.Set(tp.kIf, wgtypes.Config{ReplacePeers: true, Peers: []wgtypes.PeerConfig{kPeer}}); err != nil {
		tp.t.Fatal(err)
	}
	uPeer := wgtypes.PeerConfig{
		PublicKey:         tp.kPriv.PublicKey(),
		Endpoint:          uEndpoint,
		ReplaceAllowedIPs: true,
		AllowedIPs:        []netip.Prefix{netip.PrefixFrom(kIn4, 32), netip.PrefixFrom(kIn6, 128)},
	}
	tp.uapiSet(wgtypes.Config{ReplacePeers: true, Peers: []wgtypes.PeerConfig{uPeer}})
}

// ping sends count echo requests from ns to dst and fails unless every one
// is answered. The first one waits for the handshake: both implementations
// queue it until the session exists.
func (tp *topo) ping(ns string, dst netip.Addr, count int) {
	tp.t.Helper()
	start := time.Now()
	out, err := runErr("ip", "netns", "exec", ns, "ping", "-c", strconv.Itoa(count), "-i", "0.2", "-W", "5", dst.String())
	if err != nil {
		tp.t.Fatal(err)
	}
	want := fmt.Sprintf("%d packets transmitted, %d packets received", count, count)
	if !strings.Contains(out, want) {
		tp.t.Fatalf("ping %s from %s: want %q in:\n%s", dst, ns, want, out)
	}
	tp.t.Logf("ping -c %d %s from %s: %v", count, dst, ns, time.Since(start).Round(time.Millisecond))
}

// wgDump runs Debian's `wg show IFACE dump` (in ns, or anywhere for a
// userspace interface, whose socket is in the shared /var/run/wireguard)
// and parses it: the interface line, then one line per peer, tab separated.
func (tp *topo) wgDump(ns, iface string) *wgtypes.Device {
	t := tp.t
	t.Helper()
	args := []string{tp.env.wg, "show", iface, "dump"}
	if ns != "" {
		args = append([]string{"ip", "netns", "exec", ns}, args...)
	}
	out := run(t, args[0], args[1:]...)
	d, err := parseDump(iface, out)
	if err != nil {
		t.Fatalf("wg show %s dump: %v\n%s", iface, err, out)
	}
	return d
}

func parseDump(iface, out string) (*wgtypes.Device, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	var errs []error
	key := func(s string) wgtypes.Key {
		if s == "(none)" {
			return wgtypes.Key{}
		}
		k, err := wgtypes.ParseKey(s)
		errs = append(errs, err)
		return k
	}
	num := func(s string) uint64 {
		if s == "off" {
			return 0
		}
		n, err := strconv.ParseUint(s, 0, 64)
		errs = append(errs, err)
		return n
	}
	f := strings.Split(lines[0], "\t")
	if len(f) != 4 {
		return nil, fmt.Errorf("interface line %q has %d fields, want 4", lines[0], len(f))
	}
	d := &wgtypes.Device{Name: iface, PrivateKey: key(f[0]), PublicKey: key(f[1]),
		ListenPort: int(num(f[2])), FirewallMark: uint32(num(f[3]))}
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		if len(f) != 8 {
			return nil, fmt.Errorf("peer line %q has %d fields, want 8", l, len(f))
		}
		p := wgtypes.Peer{PublicKey: key(f[0]), PresharedKey: key(f[1]), ReceiveBytes: num(f[5]),
			TransmitBytes: num(f[6]), PersistentKeepalive: uint16(num(f[7]))}
		if f[2] != "(none)" {
			ap, err := netip.ParseAddrPort(f[2])
			errs = append(errs, err)
			p.Endpoint = ap
		}
		if f[3] != "(none)" {
			for _, s := range strings.Split(f[3], ",") {
				pfx, err := netip.ParsePrefix(s)
				errs = append(errs, err)
				p.AllowedIPs = append(p.AllowedIPs, pfx)
			}
		}
		if hs := num(f[4]); hs != 0 {
			p.LastHandshakeTime = time.Unix(int64(hs), 0)
		}
		d.Peers = append(d.Peers, p)
	}
	return d, errors.Join(errs...)
}
