//go:build linux

package wgnl

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// Tests named TestKernel* run against the kernel's WireGuard driver inside
// the VM of tests/kernel/run.sh, which sets WGSHIM_KERNEL_VM=1 (and
// WGSHIM_WG to the wg(8) binary it copied in). Outside it they cannot run:
// the development and CI hosts have no WireGuard module.

func kernelVM(t *testing.T) *Client {
	t.Helper()
	if os.Getenv("WGSHIM_KERNEL_VM") != "1" {
		t.Skip("skipping: needs the kernel test VM (tests/kernel/run.sh sets WGSHIM_KERNEL_VM=1)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("WGSHIM_KERNEL_VM=1 but not root")
	}
	c, err := Open()
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func wgBin() string {
	if p := os.Getenv("WGSHIM_WG"); p != "" {
		return p
	}
	return "wg"
}

// newLink creates a wireguard interface for one test. Every test uses its
// own name and the links are left for the VM's end: deleting one with 1000
// peers takes over 10 s in the emulated VM.
func newLink(t *testing.T, name string) string {
	t.Helper()
	run(t, "ip", "link", "add", name, "type", "wireguard")
	return name
}

func timed(t *testing.T, what string, fn func()) {
	t.Helper()
	start := time.Now()
	fn()
	t.Logf("%s: %v", what, time.Since(start).Round(time.Millisecond))
}

// wantDevice is the state of a fresh device after applying cfgs in order.
func wantDevice(name string, cfgs ...wgtypes.Config) *wgtypes.Device {
	m := newModel()
	for _, c := range cfgs {
		m.applyConfig(c)
	}
	d := m.device()
	d.Name = name
	return d
}

func checkDevice(t *testing.T, c *Client, want *wgtypes.Device) *wgtypes.Device {
	t.Helper()
	got, err := c.Get(want.Name)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	sameDevice(t, want, got)
	return got
}

// sameDevice compares two states ignoring peer and allowed-IP order; the
// plain comparison first, since cmp.Diff of 1000 peers takes seconds in the
// emulated VM.
func sameDevice(t *testing.T, want, got *wgtypes.Device) {
	t.Helper()
	w, g := normalize(want), normalize(got)
	eq := len(w.Peers) == len(g.Peers)
	if eq {
		wp, gp := w.Peers, g.Peers
		w.Peers, g.Peers = nil, nil
		eq = cmp.Equal(w, g)
		w.Peers, g.Peers = wp, gp
	}
	for i := 0; eq && i < len(w.Peers); i++ {
		a, b := w.Peers[i], g.Peers[i]
		eq = a.PublicKey == b.PublicKey && a.PresharedKey == b.PresharedKey && a.Endpoint == b.Endpoint &&
			a.PersistentKeepalive == b.PersistentKeepalive && a.LastHandshakeTime.Equal(b.LastHandshakeTime) &&
			a.ReceiveBytes == b.ReceiveBytes && a.TransmitBytes == b.TransmitBytes &&
			a.ProtocolVersion == b.ProtocolVersion && slices.Equal(a.AllowedIPs, b.AllowedIPs)
	}
	if eq {
		return
	}
	t.Fatalf("device state (-want +got):\n%s", cmp.Diff(w, g, cmpPrefix, cmpAddr))
}

// bigConfig: 1000 peers with 20 allowed IPs each, every kind of endpoint
// (IPv4, IPv6, link-local with a numeric zone and with "lo"), PSKs,
// keepalives, a fwmark and a listen port.
func bigConfig(seed uint64) wgtypes.Config {
	cfg := randConfig(rand.New(rand.NewPCG(seed, 99)), 1000, 20)
	for i := 7; i < len(cfg.Peers); i += 50 {
		ep := netip.AddrPortFrom(netip.MustParseAddr("fe80::7").WithZone("lo"), uint16(i))
		cfg.Peers[i].Endpoint = &ep
	}
	return cfg
}

func TestKernelSetGetLarge(t *testing.T) {
	c := kernelVM(t)
	name := newLink(t, "wgbig")
	var cfg wgtypes.Config
	timed(t, "generate", func() { cfg = bigConfig(1) })
	timed(t, "Set 1000 peers x 20 allowed IPs", func() {
		if err := c.Set(name, cfg); err != nil {
			t.Fatal(err)
		}
	})
	var want *wgtypes.Device
	timed(t, "model", func() { want = wantDevice(name, cfg) })
	var got *wgtypes.Device
	timed(t, "Get", func() { got = checkDevice(t, c, want) })
	// The kernel keeps peers in the order they were added.
	for i := range got.Peers {
		if got.Peers[i].PublicKey != cfg.Peers[i].PublicKey {
			t.Fatalf("peer %d is %s, want %s", i, got.Peers[i].PublicKey, cfg.Peers[i].PublicKey)
		}
	}
	if n := countIPs(got); n != 20000 {
		t.Errorf("%d allowed IPs, want 20000", n)
	}
	var dump *wgtypes.Device
	timed(t, "wg show dump", func() { dump = wgDump(t, name) })
	timed(t, "compare with wg", func() { compareDump(t, got, dump) })

	// Setting the same configuration again changes nothing.
	timed(t, "Set again and Get", func() {
		if err := c.Set(name, cfg); err != nil {
			t.Fatal(err)
		}
		checkDevice(t, c, want)
	})
}

func countIPs(d *wgtypes.Device) int {
	n := 0
	for _, p := range d.Peers {
		n += len(p.AllowedIPs)
	}
	return n
}

// wgDump parses `wg show NAME dump` (wg(8) "dump" format: tab separated,
// the interface line then one line per peer).
func wgDump(t *testing.T, name string) *wgtypes.Device {
	t.Helper()
	out := run(t, wgBin(), "show", name, "dump")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	key := func(s string) wgtypes.Key {
		if s == "(none)" {
			return wgtypes.Key{}
		}
		k, err := wgtypes.ParseKey(s)
		if err != nil {
			t.Fatalf("wg dump key %q: %v", s, err)
		}
		return k
	}
	num := func(s string) uint64 {
		if s == "off" {
			return 0
		}
		n, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			t.Fatalf("wg dump number %q: %v", s, err)
		}
		return n
	}
	f := strings.Split(lines[0], "\t")
	if len(f) != 4 {
		t.Fatalf("wg dump interface line %q", lines[0])
	}
	d := &wgtypes.Device{Name: name, Type: wgtypes.LinuxKernel, PrivateKey: key(f[0]), PublicKey: key(f[1]),
		ListenPort: int(num(f[2])), FirewallMark: uint32(num(f[3]))}
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		if len(f) != 8 {
			t.Fatalf("wg dump peer line %q", l)
		}
		p := wgtypes.Peer{PublicKey: key(f[0]), PresharedKey: key(f[1]), ReceiveBytes: num(f[5]),
			TransmitBytes: num(f[6]), PersistentKeepalive: uint16(num(f[7])), ProtocolVersion: 1}
		if f[2] != "(none)" {
			ap, err := netip.ParseAddrPort(f[2])
			if err != nil {
				t.Fatalf("wg dump endpoint %q: %v", f[2], err)
			}
			p.Endpoint = ap
		}
		if f[3] != "(none)" {
			for _, s := range strings.Split(f[3], ",") {
				p.AllowedIPs = append(p.AllowedIPs, netip.MustParsePrefix(s))
			}
		}
		if hs := num(f[4]); hs != 0 {
			p.LastHandshakeTime = time.Unix(int64(hs), 0)
		}
		d.Peers = append(d.Peers, p)
	}
	return d
}

// compareDump compares our Get with wg(8)'s view field by field. wg prints
// whole seconds of the handshake time; rx/tx may grow between the reads.
func compareDump(t *testing.T, got, dump *wgtypes.Device) {
	t.Helper()
	g, w := *got, *dump
	g.Peers, w.Peers = nil, nil
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("device: wg dump vs Get (-wg +Get):\n%s", diff)
	}
	if len(got.Peers) != len(dump.Peers) {
		t.Fatalf("Get has %d peers, wg dump %d", len(got.Peers), len(dump.Peers))
	}
	bad := 0
	for i := range got.Peers {
		a, b := got.Peers[i], dump.Peers[i]
		var errs []string
		if a.PublicKey != b.PublicKey {
			errs = append(errs, "public key")
		}
		if a.PresharedKey != b.PresharedKey {
			errs = append(errs, "preshared key")
		}
		if a.Endpoint != b.Endpoint {
			errs = append(errs, fmt.Sprintf("endpoint %v vs %v", a.Endpoint, b.Endpoint))
		}
		if a.PersistentKeepalive != b.PersistentKeepalive {
			errs = append(errs, "keepalive")
		}
		if !samePrefixes(a.AllowedIPs, b.AllowedIPs) {
			errs = append(errs, "allowed IPs")
		}
		if a.LastHandshakeTime.Unix() != b.LastHandshakeTime.Unix() && !(a.LastHandshakeTime.IsZero() && b.LastHandshakeTime.IsZero()) {
			errs = append(errs, fmt.Sprintf("handshake %v vs %v", a.LastHandshakeTime, b.LastHandshakeTime))
		}
		if a.ReceiveBytes > b.ReceiveBytes || a.TransmitBytes > b.TransmitBytes {
			errs = append(errs, "rx/tx")
		}
		if len(errs) > 0 {
			if bad++; bad <= 5 {
				t.Errorf("peer %d (%s): Get and wg dump differ in %s", i, a.PublicKey, strings.Join(errs, ", "))
			}
		}
	}
}

// wgConf writes cfg in wg(8) setconf format.
func wgConf(cfg wgtypes.Config) string {
	var b strings.Builder
	b.WriteString("[Interface]\n")
	if cfg.PrivateKey != nil {
		fmt.Fprintf(&b, "PrivateKey = %s\n", cfg.PrivateKey)
	}
	if cfg.ListenPort != nil {
		fmt.Fprintf(&b, "ListenPort = %d\n", *cfg.ListenPort)
	}
	if cfg.FirewallMark != nil {
		fmt.Fprintf(&b, "FwMark = %#x\n", *cfg.FirewallMark)
	}
	for _, p := range cfg.Peers {
		fmt.Fprintf(&b, "\n[Peer]\nPublicKey = %s\n", p.PublicKey)
		if p.PresharedKey != nil {
			fmt.Fprintf(&b, "PresharedKey = %s\n", p.PresharedKey)
		}
		if p.Endpoint != nil {
			fmt.Fprintf(&b, "Endpoint = %s\n", p.Endpoint)
		}
		if p.PersistentKeepalive != nil {
			fmt.Fprintf(&b, "PersistentKeepalive = %d\n", *p.PersistentKeepalive)
		}
		var ips []string
		for _, ip := range p.AllowedIPs {
			ips = append(ips, ip.String())
		}
		if len(ips) > 0 {
			fmt.Fprintf(&b, "AllowedIPs = %s\n", strings.Join(ips, ", "))
		}
	}
	return b.String()
}

func TestKernelSetconf(t *testing.T) {
	c := kernelVM(t)
	name := newLink(t, "wgconf")
	cfg := bigConfig(2)
	f := filepath.Join(t.TempDir(), "wg.conf")
	if err := os.WriteFile(f, []byte(wgConf(cfg)), 0o600); err != nil {
		t.Fatal(err)
	}
	timed(t, "wg setconf 1000 peers", func() { run(t, wgBin(), "setconf", name, f) })
	timed(t, "Get", func() { checkDevice(t, c, wantDevice(name, cfg)) })
}

// TestKernelSemantics applies changes one after another through Set and
// compares each result with the model of what the Config means.
func TestKernelSemantics(t *testing.T) {
	c := kernelVM(t)
	name := newLink(t, "wgsem")
	r := rand.New(rand.NewPCG(3, 3))
	base := randConfig(r, 60, 30)
	more := randConfig(r, 40, 30)
	key := func(i int) wgtypes.Key { return base.Peers[i].PublicKey }
	ep := netip.MustParseAddrPort("[2001:db8::99]:4242")
	steps := []struct {
		name string
		cfg  wgtypes.Config
	}{
		{"base", base},
		{"add peers", wgtypes.Config{Peers: more.Peers}},
		{"remove peers", wgtypes.Config{Peers: []wgtypes.PeerConfig{
			{PublicKey: key(0), Remove: true}, {PublicKey: key(59), Remove: true}, {PublicKey: randKey(r), Remove: true},
		}}},
		{"update-only", wgtypes.Config{Peers: []wgtypes.PeerConfig{
			{PublicKey: randKey(r), UpdateOnly: true, AllowedIPs: randConfig(r, 1, 300).Peers[0].AllowedIPs},
			{PublicKey: key(5), UpdateOnly: true, Endpoint: &ep, PersistentKeepalive: ptr(uint16(0)), AllowedIPs: randConfig(r, 1, 300).Peers[0].AllowedIPs},
		}}},
		{"replace-allowed-ips", wgtypes.Config{Peers: []wgtypes.PeerConfig{
			{PublicKey: key(6), ReplaceAllowedIPs: true, AllowedIPs: randConfig(r, 1, 500).Peers[0].AllowedIPs},
			{PublicKey: key(7), ReplaceAllowedIPs: true},
		}}},
		{"allowed IP moves between peers", wgtypes.Config{Peers: []wgtypes.PeerConfig{
			{PublicKey: key(8), AllowedIPs: base.Peers[9].AllowedIPs[:10]},
		}}},
		{"psk removed, private key changed", wgtypes.Config{PrivateKey: ptr(randKey(r).Clamped()), FirewallMark: ptr(uint32(0)),
			ListenPort: ptr(0), Peers: []wgtypes.PeerConfig{{PublicKey: key(10), PresharedKey: &wgtypes.Key{}}}}},
		{"replace-peers", wgtypes.Config{ReplacePeers: true, Peers: randConfig(r, 80, 25).Peers}},
		{"private key removed", wgtypes.Config{PrivateKey: &wgtypes.Key{}}},
		{"replace-peers with none", wgtypes.Config{ReplacePeers: true}},
	}
	var applied []wgtypes.Config
	for _, s := range steps {
		if err := c.Set(name, s.cfg); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		applied = append(applied, s.cfg)
		want := wantDevice(name, applied...)
		got, err := c.Get(name)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		// The link is down, so listen port 0 stays 0: the kernel picks a
		// port when it binds the socket.
		sameDevice(t, want, got)
	}
}

// kernelAtLeast reports whether the running kernel is major.minor or newer.
func kernelAtLeast(t *testing.T, major, minor int) bool {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		t.Fatal(err)
	}
	var b []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	var ma, mi int
	fmt.Sscanf(string(b), "%d.%d", &ma, &mi)
	t.Logf("kernel %s", b)
	return ma > major || ma == major && mi >= minor
}

// TestKernelRemoveAllowedIPs: per-prefix removal works on Linux 6.16+. On
// older kernels it fails with a clear error and changes nothing: found out
// by a probe before anything is sent when the device has a peer to probe
// with, else by the kernel rejecting the message, and then undone.
func TestKernelRemoveAllowedIPs(t *testing.T) {
	c := kernelVM(t)
	newer := kernelAtLeast(t, 6, 16)
	r := rand.New(rand.NewPCG(4, 4))
	unsupported := func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "Linux 6.16") {
			t.Fatalf("Set with allowed-IP removal on an old kernel: %v, want a clear unsupported error", err)
		}
		t.Logf("error: %v", err)
	}

	t.Run("no peer to probe with", func(t *testing.T) {
		name := newLink(t, "wgrm0")
		before := checkDevice(t, c, &wgtypes.Device{Name: name, Type: wgtypes.LinuxKernel})
		// New peers fill the first messages; the last one creates a peer
		// and removes allowed IPs from it.
		change := randConfig(r, 150, 20)
		extra := randConfig(r, 1, 20).Peers[0]
		extra.RemoveAllowedIPs = extra.AllowedIPs[:5]
		change.Peers = append(change.Peers, extra)
		err := c.Set(name, change)
		if newer {
			if err != nil {
				t.Fatal(err)
			}
			checkDevice(t, c, wantDevice(name, change))
			return
		}
		unsupported(t, err)
		if !regexp.MustCompile(`\(message \d+ of \d+\)`).MatchString(err.Error()) {
			t.Errorf("error %q does not name the rejected message", err)
		}
		checkDevice(t, c, before)
	})

	for _, fresh := range []bool{true, false} {
		t.Run(fmt.Sprintf("probe, fresh client %v", fresh), func(t *testing.T) {
			cl := c
			if fresh {
				var err error
				if cl, err = Open(); err != nil {
					t.Fatal(err)
				}
				defer cl.Close()
			}
			name := newLink(t, fmt.Sprintf("wgrm%v", fresh))
			base := randConfig(r, 200, 20)
			if err := cl.Set(name, base); err != nil {
				t.Fatal(err)
			}
			before := checkDevice(t, cl, wantDevice(name, base))
			change := randConfig(r, 150, 20)
			change.PrivateKey, change.ListenPort, change.ReplacePeers = nil, nil, false
			change.FirewallMark = ptr(uint32(77))
			change.Peers = append(change.Peers, wgtypes.PeerConfig{
				PublicKey:        base.Peers[3].PublicKey,
				RemoveAllowedIPs: base.Peers[3].AllowedIPs[:5],
			})
			err := cl.Set(name, change)
			if newer {
				if err != nil {
					t.Fatalf("Set with allowed-IP removal: %v", err)
				}
				checkDevice(t, cl, wantDevice(name, base, change))
				return
			}
			unsupported(t, err)
			if strings.Contains(err.Error(), "message") {
				t.Errorf("error %q: the probe should have failed before any message", err)
			}
			after := checkDevice(t, cl, before)
			compareSessions(t, before, after)
		})
	}
}

// compareSessions checks that peers kept their place (they were not
// removed and re-created by the undo).
func compareSessions(t *testing.T, before, after *wgtypes.Device) {
	t.Helper()
	for i := range before.Peers {
		if i >= len(after.Peers) || after.Peers[i].PublicKey != before.Peers[i].PublicKey {
			t.Fatalf("peer %d moved: the undo re-created peers it should have kept", i)
		}
	}
}

// TestKernelUndo makes the kernel reject a message part way through a
// multi-message Set and checks that the device ends up as before.
func TestKernelUndo(t *testing.T) {
	c := kernelVM(t)
	name := newLink(t, "wgundo")
	r := rand.New(rand.NewPCG(5, 5))
	base := randConfig(r, 300, 20)
	if err := c.Set(name, base); err != nil {
		t.Fatal(err)
	}
	before := checkDevice(t, c, wantDevice(name, base))

	t.Run("rejected peer in message 4", func(t *testing.T) {
		change := randConfig(r, 100, 20)
		change.ReplacePeers = true // message 1 removes every old peer
		// Also change surviving peers in later messages.
		for i := 0; i < 100; i++ {
			change.Peers = append(change.Peers, wgtypes.PeerConfig{
				PublicKey: base.Peers[i].PublicKey, Endpoint: ptr(netip.MustParseAddrPort("198.51.100.1:1")),
				AllowedIPs: base.Peers[200+i].AllowedIPs[:2],
			})
		}
		msgs, err := EncodeSet(name, change, MaxMessageSize, nil)
		if err != nil || len(msgs) < 6 {
			t.Fatalf("%d messages, %v; the test needs at least 6", len(msgs), err)
		}
		// A peer with protocol version 2 at the end of message 4: the
		// kernel applies the message's other peers, then fails with
		// EPFNOSUPPORT.
		c.mangle = func(i int, attrs []byte) []byte {
			if i != 3 {
				return attrs
			}
			return appendBadPeer(attrs)
		}
		defer func() { c.mangle = nil }()
		err = c.Set(name, change)
		if !errors.Is(err, syscall.EPFNOSUPPORT) || !strings.Contains(err.Error(), "message 4 of") {
			t.Fatalf("Set: %v, want EPFNOSUPPORT in message 4", err)
		}
		t.Logf("error: %v", err)
		checkDevice(t, c, before)
	})

	t.Run("listen port in use after fwmark", func(t *testing.T) {
		run(t, "ip", "link", "set", name, "up")
		defer run(t, "ip", "link", "set", name, "down")
		l, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		busy := l.LocalAddr().(*net.UDPAddr).Port
		// The kernel sets the fwmark, then fails to bind the port.
		err = c.Set(name, wgtypes.Config{FirewallMark: ptr(uint32(0xbeef)), ListenPort: &busy,
			Peers: []wgtypes.PeerConfig{{PublicKey: randKey(r)}}})
		if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "listen port already in use") {
			t.Fatalf("Set: %v, want EADDRINUSE", err)
		}
		after := checkDevice(t, c, before)
		compareSessions(t, before, after)
	})

	t.Run("invalid input is not sent", func(t *testing.T) {
		change := randConfig(r, 500, 10)
		change.Peers[499].AllowedIPs = append(change.Peers[499].AllowedIPs, netip.Prefix{})
		if err := c.Set(name, change); err == nil || !strings.Contains(err.Error(), "peer 499") {
			t.Fatalf("Set: %v, want a validation error for peer 499", err)
		}
		checkDevice(t, c, before)
	})
}

// appendBadPeer adds a peer with WGPEER_A_PROTOCOL_VERSION 2 at the end of
// a SET message's peer list.
func appendBadPeer(attrs []byte) []byte {
	var e encoder
	e.begin(0)
	k := wgtypes.Key{0xba, 0xd}
	e.bytes(peerPublicKey, k[:])
	e.u32(peerProtocolVersion, 2)
	e.end()
	// The peers nest is the last attribute: grow it.
	off := 0
	for off < len(attrs) {
		l := int(ne.Uint16(attrs[off:]))
		if ne.Uint16(attrs[off+2:])&nlaTypeMask == devicePeers {
			break
		}
		off += (l + 3) &^ 3
	}
	out := append(append([]byte{}, attrs...), e.b...)
	ne.PutUint16(out[off:], uint16(len(out)-off))
	return out
}

func TestKernelErrors(t *testing.T) {
	c := kernelVM(t)
	if _, err := c.Get("nosuchwg"); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "get nosuchwg: no such interface") {
		t.Errorf("Get of a missing interface: %v", err)
	}
	if err := c.Set("nosuchwg", wgtypes.Config{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Set of a missing interface: %v", err)
	}
	if _, err := c.Get("lo"); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "get lo: not a wireguard interface") {
		t.Errorf("Get of lo: %v", err)
	}
	if _, err := c.Get("bad/name"); err == nil || !strings.Contains(err.Error(), "contains") {
		t.Errorf("Get of a bad name: %v", err)
	}
}

// TestKernelPermission runs itself again as nobody: Get and Set must fail
// with os.ErrPermission and say why.
func TestKernelPermission(t *testing.T) {
	if os.Getenv("WGNL_UNPRIVILEGED") == "1" {
		c, err := Open()
		if err != nil {
			t.Fatalf("Open as nobody: %v", err)
		}
		defer c.Close()
		_, err = c.Get(os.Getenv("WGNL_LINK"))
		if !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), "needs CAP_NET_ADMIN") {
			t.Fatalf("Get as nobody: %v", err)
		}
		err = c.Set(os.Getenv("WGNL_LINK"), wgtypes.Config{ListenPort: ptr(1)})
		if !errors.Is(err, os.ErrPermission) {
			t.Fatalf("Set as nobody: %v", err)
		}
		fmt.Println("UNPRIVILEGED-OK", err)
		return
	}
	kernelVM(t)
	name := newLink(t, "wgperm")
	// nobody needs a path it may execute (run.sh's directory is private).
	dir, err := os.MkdirTemp("", "wgnl-perm")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "wgnl.test")
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run", "^TestKernelPermission$", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WGNL_UNPRIVILEGED=1", "WGNL_LINK="+name)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "UNPRIVILEGED-OK") {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}

// TestKernelHandshake joins two interfaces over loopback and checks the
// handshake time and counters Get reports against wg(8).
func TestKernelHandshake(t *testing.T) {
	c := kernelVM(t)
	a, b := newLink(t, "wghsa"), newLink(t, "wghsb")
	ka, kb := randKey(rand.New(rand.NewPCG(6, 6))).Clamped(), randKey(rand.New(rand.NewPCG(7, 7))).Clamped()
	pa, pb := 51001, 51002
	epa, epb := netip.MustParseAddrPort("127.0.0.1:51001"), netip.MustParseAddrPort("127.0.0.1:51002")
	if err := c.Set(a, wgtypes.Config{PrivateKey: &ka, ListenPort: &pa, Peers: []wgtypes.PeerConfig{{
		PublicKey: kb.PublicKey(), Endpoint: &epb, AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.99.0.2/32")}}}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(b, wgtypes.Config{PrivateKey: &kb, ListenPort: &pb, Peers: []wgtypes.PeerConfig{{
		PublicKey: ka.PublicKey(), Endpoint: &epa, AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.99.0.1/32")}}}}); err != nil {
		t.Fatal(err)
	}
	run(t, "ip", "addr", "add", "10.99.0.1/32", "dev", a)
	run(t, "ip", "addr", "add", "10.99.0.2/32", "dev", b)
	run(t, "ip", "link", "set", a, "up")
	run(t, "ip", "link", "set", b, "up")
	run(t, "ip", "route", "add", "10.99.0.2/32", "dev", a)
	start := time.Now().Add(-time.Second)
	// Both addresses are local, so send through the tunnel with UDP bound to
	// the interface instead of ping.
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(10, 99, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sc, _ := conn.SyscallConn()
	sc.Control(func(fd uintptr) { syscall.SetsockoptString(int(fd), syscall.SOL_SOCKET, syscall.SO_BINDTODEVICE, a) })
	var got *wgtypes.Device
	for i := 0; ; i++ {
		conn.WriteToUDP([]byte("hello"), &net.UDPAddr{IP: net.IPv4(10, 99, 0, 2), Port: 9})
		time.Sleep(200 * time.Millisecond)
		if got, err = c.Get(a); err != nil {
			t.Fatal(err)
		}
		if !got.Peers[0].LastHandshakeTime.IsZero() {
			break
		}
		if i > 50 {
			t.Fatal("no handshake after 10s")
		}
	}
	p := got.Peers[0]
	if p.LastHandshakeTime.Before(start) || p.LastHandshakeTime.After(time.Now()) {
		t.Errorf("handshake time %v, want between %v and now", p.LastHandshakeTime, start)
	}
	if p.TransmitBytes == 0 || p.ReceiveBytes == 0 {
		t.Errorf("rx %d tx %d, want both > 0 after a handshake", p.ReceiveBytes, p.TransmitBytes)
	}
	t.Logf("handshake %v, rx %d, tx %d", p.LastHandshakeTime, p.ReceiveBytes, p.TransmitBytes)
	compareDump(t, got, wgDump(t, a))
}

// TestKernelDumpConsistent moves allowed IPs between the first and the
// last peer from a second client while Get runs. Each move is one SET
// message, so the kernel applies it at once; a dump spanning several
// messages that sees the first peer before a move and the last one after it
// is marked NLM_F_DUMP_INTR and must be restarted. Every Get must see each
// moved IP exactly once.
func TestKernelDumpConsistent(t *testing.T) {
	c := kernelVM(t)
	name := newLink(t, "wgintr")
	r := rand.New(rand.NewPCG(8, 8))
	base := randConfig(r, 300, 10)
	movers := randConfig(r, 1, 60).Peers[0].AllowedIPs
	first, last := base.Peers[0], base.Peers[299]
	if err := c.Set(name, base); err != nil {
		t.Fatal(err)
	}
	moveTo := func(p wgtypes.PeerConfig) wgtypes.Config {
		return wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: p.PublicKey, AllowedIPs: movers}}}
	}
	if msgs, err := EncodeSet(name, moveTo(first), MaxMessageSize, nil); err != nil || len(msgs) != 1 {
		t.Fatalf("a move takes %d messages (%v); the test needs 1", len(msgs), err)
	}
	if err := c.Set(name, moveTo(last)); err != nil {
		t.Fatal(err)
	}
	w, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		n := 0
		defer func() { done <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			n++
			to := first
			if n%2 == 0 {
				to = last
			}
			if err := w.Set(name, moveTo(to)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	moverSet := map[netip.Prefix]bool{}
	for _, ip := range movers {
		moverSet[ip] = true
	}
	for range 20 {
		d, err := c.Get(name)
		if err != nil {
			t.Error(err)
			break
		}
		if len(d.Peers) != 300 {
			t.Fatalf("%d peers, want 300", len(d.Peers))
		}
		seen := 0
		for _, p := range d.Peers {
			for _, ip := range p.AllowedIPs {
				if moverSet[ip] {
					seen++
				}
			}
		}
		if seen != len(movers) {
			t.Errorf("inconsistent dump: %d of the %d moved allowed IPs present", seen, len(movers))
		}
	}
	close(stop)
	t.Logf("%d concurrent moves during 20 Gets, %d dumps restarted", <-done, c.restarts.Load())
}
