package windows

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wgshim/wgshim/core"
	"github.com/wgshim/wgshim/core/conn/conntest"
	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/windows/iphelper"
)

// tunnelWorld records, in one log, what runTunnel does to the adapter,
// the engine, the IP configuration and the hooks.
type tunnelWorld struct {
	t     *testing.T
	pipes unixPipes

	mu      sync.Mutex
	calls   []string
	lines   []string // the tunnel's log
	failOn  string   // a call starting with this fails
	tun     *fakeTUN
	d       *Daemon
	watchFn func()
	watchCt context.Context
	replans chan []netip.Addr
}

func newTunnelWorld(t *testing.T) *tunnelWorld {
	return &tunnelWorld{t: t, pipes: unixPipes{dir: t.TempDir()}, replans: make(chan []netip.Addr, 16)}
}

func (w *tunnelWorld) call(format string, args ...any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	line := fmt.Sprintf(format, args...)
	w.calls = append(w.calls, line)
	if w.failOn != "" && strings.HasPrefix(line, w.failOn) {
		return errors.New("injected failure")
	}
	return nil
}

func (w *tunnelWorld) log() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.calls)
}

// fakeIP is an applied IP configuration.
type fakeIP struct {
	w    *tunnelWorld
	mu   sync.Mutex
	plan iphelper.RoutePlan
	done bool
}

func (f *fakeIP) Plan() iphelper.RoutePlan {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.plan
}

func (f *fakeIP) Replan(eps []netip.Addr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return nil // like iphelper.Applied after Undo
	}
	if err := f.w.call("replan %v", eps); err != nil {
		return err
	}
	// One host route per endpoint, via a gateway.
	f.plan.Routes = nil
	for _, e := range eps {
		f.plan.Routes = append(f.plan.Routes, iphelper.Route{Prefix: netip.PrefixFrom(e, e.BitLen()), LUID: 7, NextHop: netip.MustParseAddr("192.168.1.1")})
	}
	f.w.replans <- eps
	return nil
}

func (f *fakeIP) Undo() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return nil
	}
	f.done = true
	return f.w.call("undo ip")
}

func (w *tunnelWorld) sys() tunnelSys {
	return tunnelSys{
		start: func(name string, mtu int) (*Daemon, error) {
			if err := w.call("start %s mtu %d", name, mtu); err != nil {
				return nil, err
			}
			w.tun = newFakeTUN()
			d, err := startDaemon(name, func() (luidTUN, error) { return w.tun, nil }, w.pipes.listen(name),
				conntest.NewNetwork().NewBind(netip.MustParseAddr("192.0.2.1")), nil)
			w.d = d
			return d, err
		},
		apply: func(luid uint64, cfg iphelper.Config) (ipConfig, error) {
			if err := w.call("apply luid %#x addresses %v allowed %v endpoints %v mtu %d dns %v no-routes %v",
				luid, cfg.Addresses, cfg.AllowedIPs, cfg.Endpoints, cfg.MTU, cfg.DNS, cfg.NoRoutes); err != nil {
				return nil, err
			}
			plan := iphelper.PlanRoutes(cfg.AllowedIPs, cfg.Endpoints, []iphelper.SystemRoute{
				{Prefix: netip.MustParsePrefix("0.0.0.0/0"), LUID: 7, NextHop: netip.MustParseAddr("192.168.1.1")},
			}, luid)
			return &fakeIP{w: w, plan: plan}, nil
		},
		watch: func(ctx context.Context, fn func()) error {
			if err := w.call("watch routes"); err != nil {
				return err
			}
			w.mu.Lock()
			w.watchFn, w.watchCt = fn, ctx
			w.mu.Unlock()
			return nil
		},
		hook: func(ctx context.Context, tunnel, cmd string) error {
			return w.call("hook %s: %s", tunnel, cmd)
		},
		block: func(luid uint64) (func() error, error) {
			if err := w.call("block luid %#x", luid); err != nil {
				return nil, err
			}
			return func() error {
				select {
				case <-w.tun.closed:
					return w.call("lift")
				default:
					return w.call("lift while the adapter exists")
				}
			}, nil
		},
		poll: time.Hour,
		log: &core.Logger{
			Verbosef: func(f string, a ...any) { w.mu.Lock(); w.lines = append(w.lines, fmt.Sprintf(f, a...)); w.mu.Unlock() },
			Errorf: func(f string, a ...any) {
				w.mu.Lock()
				w.lines = append(w.lines, "ERROR "+fmt.Sprintf(f, a...))
				w.mu.Unlock()
			},
		},
	}
}

func testTunnel(t *testing.T) (Tunnel, wgtypes.Key, wgtypes.Key) {
	priv, _ := wgtypes.GeneratePrivateKey()
	peer, _ := wgtypes.GeneratePrivateKey()
	ep := netip.MustParseAddrPort("203.0.113.5:51820")
	return Tunnel{
		Name: "wg0",
		WG: wgtypes.Config{PrivateKey: &priv, Peers: []wgtypes.PeerConfig{{
			PublicKey: peer.PublicKey(), Endpoint: &ep, ReplaceAllowedIPs: true,
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")},
		}}},
		IP: iphelper.Config{
			Addresses:  []netip.Prefix{netip.MustParsePrefix("10.8.0.2/24")},
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")},
			Endpoints:  []netip.Addr{ep.Addr()},
			DNS:        []netip.Addr{netip.MustParseAddr("10.8.0.1")},
		},
		PreUp: []string{"echo pre-up"}, PostUp: []string{"echo post-up"},
		PreDown: []string{"echo pre-down"}, PostDown: []string{"echo post-down"},
		RunHooks: true,
	}, priv, peer
}

// runAsync runs the tunnel until stop is closed; ready is closed when it
// is up and the result arrives on the returned channel.
func runAsync(tun Tunnel, sys tunnelSys) (ready chan struct{}, stop chan struct{}, res chan error) {
	ready, stop, res = make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var once sync.Once
	go func() { res <- runTunnel(tun, sys, func() { once.Do(func() { close(ready) }) }, stop) }()
	return ready, stop, res
}

func awaitReady(t *testing.T, ready chan struct{}, res chan error) {
	t.Helper()
	select {
	case <-ready:
	case err := <-res:
		t.Fatalf("runTunnel returned before ready: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("tunnel never ready")
	}
}

// upAndDown brings the tunnel up, then down, and fails the test on an
// error either way.
func upAndDown(t *testing.T, tun Tunnel, sys tunnelSys) {
	t.Helper()
	ready, stop, res := runAsync(tun, sys)
	awaitReady(t, ready, res)
	close(stop)
	if err := <-res; err != nil {
		t.Fatal(err)
	}
}

func TestRunTunnel(t *testing.T) {
	w := newTunnelWorld(t)
	tun, priv, peer := testTunnel(t)
	var saved *wgtypes.Device
	tun.Save = func(d *wgtypes.Device) error { saved = d; return w.call("save") }
	ready, stop, res := runAsync(tun, w.sys())
	awaitReady(t, ready, res)

	// The engine runs the configuration, reachable over the pipe as wg
	// would reach it.
	drv := &Driver{dial: w.pipes.dial}
	link, err := drv.Open("wg0")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	dev, err := link.Get()
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if dev.PrivateKey != priv || len(dev.Peers) != 1 || dev.Peers[0].PublicKey != peer.PublicKey() {
		t.Errorf("engine state: %+v", dev)
	}

	// A route change re-plans with the engine's current endpoints.
	w.mu.Lock()
	fn := w.watchFn
	w.mu.Unlock()
	fn()
	if got := <-w.replans; !slices.Equal(got, []netip.Addr{netip.MustParseAddr("203.0.113.5")}) {
		t.Errorf("replan endpoints = %v", got)
	}

	close(stop)
	if err := <-res; err != nil {
		t.Fatalf("runTunnel: %v", err)
	}
	want := []string{
		"start wg0 mtu 1420",
		"hook wg0: echo pre-up",
		"apply luid 0x1234 addresses [10.8.0.2/24] allowed [0.0.0.0/0] endpoints [203.0.113.5] mtu 1420 dns [10.8.0.1] no-routes false",
		"hook wg0: echo post-up",
		"watch routes",
		"replan [203.0.113.5]",
		"hook wg0: echo pre-down",
		"save",
		"undo ip",
		"hook wg0: echo post-down",
	}
	if diff := cmp.Diff(want, w.log()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if saved == nil || saved.PrivateKey != priv {
		t.Errorf("Save got %+v", saved)
	}
	select {
	case <-w.tun.closed:
	default:
		t.Error("adapter not deleted at stop")
	}
	if w.watchCt.Err() == nil {
		t.Error("route watch still running after stop")
	}
	wantLog := []string{
		"[#] create adapter wg0 (mtu 1420)",
		"[#] echo pre-up",
		"[#] wg setconf wg0 (1 peer)",
		"[#] address add 10.8.0.2/24 dev wg0",
		"[#] interface set mtu 1420 dev wg0",
		"[#] dns set 10.8.0.1 dev wg0",
		"[#] route add 203.0.113.5/32 via 192.168.1.1 dev luid 0x7",
		"[#] route add 0.0.0.0/1 dev tunnel",
		"[#] route add 128.0.0.0/1 dev tunnel",
		"[#] echo post-up",
		"[#] route delete 0.0.0.0/1 dev tunnel (route table changed)",
		"[#] route delete 128.0.0.0/1 dev tunnel (route table changed)",
		"[#] echo pre-down",
		"[#] wg showconf wg0",
		"[#] undo the interface configuration of wg0",
		"[#] delete adapter wg0",
		"[#] echo post-down",
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if diff := cmp.Diff(wantLog, w.lines); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

func TestRunTunnelUpFails(t *testing.T) {
	tests := []struct {
		failOn  string
		wantErr string
		want    []string // calls after the failing one (the undo)
		applied bool     // the adapter existed when it failed
	}{
		{failOn: "start", wantErr: "up wg0: create adapter: injected failure"},
		{failOn: "hook wg0: echo pre-up", wantErr: `up wg0: hook: PreUp "echo pre-up": injected failure`, applied: true},
		{failOn: "apply", wantErr: "up wg0: configure interface: injected failure", applied: true},
		{failOn: "hook wg0: echo post-up", wantErr: `up wg0: hook: PostUp "echo post-up": injected failure`, want: []string{"undo ip"}, applied: true},
		{failOn: "watch", wantErr: "up wg0: watch routes: injected failure", want: []string{"undo ip"}, applied: true},
	}
	for _, tt := range tests {
		t.Run(tt.failOn, func(t *testing.T) {
			w := newTunnelWorld(t)
			w.failOn = tt.failOn
			tun, _, _ := testTunnel(t)
			readyCalled := false
			err := runTunnel(tun, w.sys(), func() { readyCalled = true }, make(chan struct{}))
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("runTunnel = %v, want %q", err, tt.wantErr)
			}
			if readyCalled {
				t.Error("ready called on a failed start")
			}
			calls := w.log()
			i := slices.IndexFunc(calls, func(c string) bool { return strings.HasPrefix(c, tt.failOn) })
			if diff := cmp.Diff(tt.want, calls[i+1:], cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("calls after the failure (-want +got):\n%s", diff)
			}
			if tt.applied {
				select {
				case <-w.tun.closed:
				default:
					t.Error("adapter left after a failed start")
				}
			}
		})
	}

	// An engine configuration the engine refuses.
	w := newTunnelWorld(t)
	tun, _, _ := testTunnel(t)
	tun.WG.Peers[0].AllowedIPs = []netip.Prefix{{}}
	err := runTunnel(tun, w.sys(), func() {}, make(chan struct{}))
	if err == nil || !strings.HasPrefix(err.Error(), "up wg0: set configuration: ") {
		t.Fatalf("runTunnel = %v", err)
	}
	if calls := w.log(); slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, "apply") }) {
		t.Errorf("interface configured after the engine refused: %q", calls)
	}
	select {
	case <-w.tun.closed:
	default:
		t.Error("adapter left after a failed start")
	}
}

func TestRunTunnelHooksDisabled(t *testing.T) {
	w := newTunnelWorld(t)
	tun, _, _ := testTunnel(t)
	tun.RunHooks = false
	tun.IP.NoRoutes = true
	upAndDown(t, tun, w.sys())
	want := []string{
		"start wg0 mtu 1420",
		"apply luid 0x1234 addresses [10.8.0.2/24] allowed [0.0.0.0/0] endpoints [203.0.113.5] mtu 1420 dns [10.8.0.1] no-routes true",
		"undo ip",
	}
	if diff := cmp.Diff(want, w.log()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, key := range []string{"PreUp", "PostUp", "PreDown", "PostDown"} {
		if !slices.Contains(w.lines, "[!] "+key+": 1 command skipped (hooks are disabled)") {
			t.Errorf("no skip line for %s in %q", key, w.lines)
		}
	}
}

func TestRunTunnelEndpointRoams(t *testing.T) {
	w := newTunnelWorld(t)
	tun, _, peer := testTunnel(t)
	sys := w.sys()
	sys.poll = 5 * time.Millisecond
	ready, stop, res := runAsync(tun, sys)
	awaitReady(t, ready, res)

	moved := netip.MustParseAddrPort("198.51.100.9:4500")
	if err := w.d.Device().Set(wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: peer.PublicKey(), UpdateOnly: true, Endpoint: &moved}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-w.replans:
		if !slices.Equal(got, []netip.Addr{moved.Addr()}) {
			t.Errorf("replan endpoints = %v", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no replan after the endpoint moved")
	}
	close(stop)
	if err := <-res; err != nil {
		t.Fatal(err)
	}
}

func TestRunTunnelEngineDies(t *testing.T) {
	w := newTunnelWorld(t)
	tun, _, _ := testTunnel(t)
	ready, _, res := runAsync(tun, w.sys())
	awaitReady(t, ready, res)
	w.d.Device().Close() // as when the adapter is removed under it
	var err error
	select {
	case err = <-res:
	case <-time.After(10 * time.Second):
		t.Fatal("runTunnel did not return after the engine stopped")
	}
	if err == nil || !strings.Contains(err.Error(), "the engine stopped by itself") {
		t.Errorf("runTunnel = %v", err)
	}
	calls := w.log()
	if !slices.Contains(calls, "undo ip") || !slices.Contains(calls, "hook wg0: echo post-down") {
		t.Errorf("teardown incomplete: %q", calls)
	}
}

func TestRunTunnelKillSwitch(t *testing.T) {
	w := newTunnelWorld(t)
	tun, _, _ := testTunnel(t)
	tun.KillSwitch = true
	tun.RunHooks = false
	upAndDown(t, tun, w.sys())
	want := []string{
		"start wg0 mtu 1420",
		"block luid 0x1234",
		"apply luid 0x1234 addresses [10.8.0.2/24] allowed [0.0.0.0/0] endpoints [203.0.113.5] mtu 1420 dns [10.8.0.1] no-routes false",
		"watch routes",
		"undo ip",
		"lift",
	}
	if diff := cmp.Diff(want, w.log()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}

	// A failed start lifts it too, last.
	for _, failOn := range []string{"block", "apply", "watch"} {
		w := newTunnelWorld(t)
		w.failOn = failOn
		tun.KillSwitch = true
		if err := runTunnel(tun, w.sys(), func() {}, make(chan struct{})); err == nil {
			t.Fatalf("%s: runTunnel succeeded", failOn)
		}
		calls := w.log()
		lifted := slices.Contains(calls, "lift")
		if failOn == "block" && lifted || failOn != "block" && calls[len(calls)-1] != "lift" {
			t.Errorf("%s failed: calls %q", failOn, calls)
		}
		select {
		case <-w.tun.closed:
		default:
			t.Errorf("%s failed: adapter left", failOn)
		}
	}
}
