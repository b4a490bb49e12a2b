package windows

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wgshim/wgshim/core"
	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/windows/firewall"
	"github.com/wgshim/wgshim/platform/windows/iphelper"
	"github.com/wgshim/wgshim/platform/windows/tundev"
)

// Tunnel is everything a tunnel service owns, as read from a wg-quick
// configuration file (the wg-quick package builds it): the engine's
// configuration, the adapter's IP configuration and the hooks.
type Tunnel struct {
	// Name is the tunnel's, its adapter's and its pipe's name.
	Name string
	// WG configures the engine; RunTunnel applies it with ReplacePeers.
	WG wgtypes.Config
	// IP is applied to the adapter's IP interface (iphelper.Apply).
	// IP.MTU is also the adapter's MTU; 0 means tundev.DefaultMTU.
	IP iphelper.Config
	// Hooks, %i already replaced, run by cmd.exe only if RunHooks is set
	// (see HooksEnabled); otherwise they are logged as skipped.
	PreUp, PostUp, PreDown, PostDown []string
	RunHooks                         bool
	// KillSwitch blocks all traffic outside the tunnel while it is up
	// (firewall.Enable), except the engine's own, loopback, DHCP and NDP.
	KillSwitch bool
	// Save, if set, is called with the running device before the tunnel
	// is torn down (wg-quick SaveConfig).
	Save func(*wgtypes.Device) error
}

// TunnelOptions tune RunTunnel; the zero value is the default.
type TunnelOptions struct {
	// PipeSDDL is the UAPI pipe's security descriptor, as in
	// DaemonOptions.
	PipeSDDL string
	// Logger receives the engine's messages; the tunnel's own steps go
	// to its Verbosef as "[#] ..." lines and problems to its Errorf.
	Logger *core.Logger
	// EndpointPoll is how often the peers' endpoints are compared with
	// the ones the routes were planned for (a peer roamed); 0 means 5 s.
	EndpointPoll time.Duration
}

// ipConfig is an applied IP configuration: *iphelper.Applied or a double.
type ipConfig interface {
	Plan() iphelper.RoutePlan
	Replan(endpoints []netip.Addr) error
	Undo() error
}

// tunnelSys is what runTunnel does to the system; RunTunnel passes the
// real calls, tests pass doubles.
type tunnelSys struct {
	start func(name string, mtu int) (*Daemon, error)
	apply func(luid uint64, cfg iphelper.Config) (ipConfig, error)
	watch func(ctx context.Context, fn func()) error
	hook  func(ctx context.Context, tunnel, cmd string) error
	// block enables the kill switch for the adapter; the returned
	// function lifts it.
	block func(luid uint64) (lift func() error, err error)
	poll  time.Duration
	log   *core.Logger
}

// RunTunnel brings t up, calls ready, keeps it until stop is closed (or
// the engine ends by itself, an error), then tears it down. It is a
// service.RunFunc once t and o are bound.
//
// Up, all or nothing (a failed step undoes the earlier ones):
//
//	create the adapter, start the engine and the pipe (StartDaemon)
//	the kill switch, if asked for, before any traffic can leak
//	PreUp hooks
//	set the engine's configuration (keys, peers, endpoints)
//	addresses, MTU, metric, routes with endpoint host routes, DNS (iphelper)
//	PostUp hooks
//	watch the route table and the endpoints: re-plan the endpoint routes
//
// Down: PreDown hooks, Save, undo the IP configuration, close the engine
// and delete the adapter, lift the kill switch, PostDown hooks. Teardown errors are logged and
// returned joined; every step is tried.
func RunTunnel(t Tunnel, o TunnelOptions, ready func(), stop <-chan struct{}) error {
	log := o.Logger
	if log == nil {
		log = core.DiscardLogger
	}
	sys := tunnelSys{
		start: func(name string, mtu int) (*Daemon, error) {
			return StartDaemon(name, DaemonOptions{TUN: tundev.Options{MTU: mtu}, PipeSDDL: o.PipeSDDL, Logger: log})
		},
		apply: func(luid uint64, cfg iphelper.Config) (ipConfig, error) {
			a, err := iphelper.Apply(luid, cfg)
			if err != nil {
				return nil, err
			}
			return a, nil
		},
		watch: iphelper.WatchRoutes,
		hook:  runHook,
		block: func(luid uint64) (func() error, error) {
			s, err := firewall.Enable(firewall.Options{TunnelLUID: luid})
			if err != nil {
				return nil, err
			}
			return s.Close, nil
		},
		poll: o.EndpointPoll,
		log:  log,
	}
	return runTunnel(t, sys, ready, stop)
}

func runTunnel(t Tunnel, sys tunnelSys, ready func(), stop <-chan struct{}) (err error) {
	logf := func(format string, args ...any) {
		if sys.log.Verbosef != nil {
			sys.log.Verbosef(format, args...)
		}
	}
	errf := func(format string, args ...any) {
		if sys.log.Errorf != nil {
			sys.log.Errorf(format, args...)
		}
	}
	if sys.poll <= 0 {
		sys.poll = 5 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// undos run newest first when up fails.
	var undos []func() error
	fail := func(step string, err error) error {
		err = fmt.Errorf("up %s: %s: %w", t.Name, step, err)
		errf("%v", err)
		var errs []error
		for i := len(undos) - 1; i >= 0; i-- {
			if uerr := undos[i](); uerr != nil {
				errf("undo: %v", uerr)
				errs = append(errs, uerr)
			}
		}
		if uerr := errors.Join(errs...); uerr != nil {
			err = fmt.Errorf("%w (undo: %v)", err, uerr)
		}
		return err
	}
	hooks := func(key string, cmds []string) error {
		if len(cmds) == 0 {
			return nil
		}
		if !t.RunHooks {
			logf("[!] %s: %s skipped (hooks are disabled)", key, plural(len(cmds), "command"))
			return nil
		}
		for _, c := range cmds {
			logf("[#] %s", c)
			if err := sys.hook(ctx, t.Name, c); err != nil {
				return fmt.Errorf("%s %q: %w", key, c, err)
			}
		}
		return nil
	}

	mtu := t.IP.MTU
	if mtu == 0 {
		mtu = tundev.DefaultMTU
	}
	logf("[#] create adapter %s (mtu %d)", t.Name, mtu)
	d, err := sys.start(t.Name, mtu)
	if err != nil {
		return fail("create adapter", err)
	}
	undos = append(undos, d.Close)
	lift := func() error { return nil }
	if t.KillSwitch {
		logf("[#] kill switch on: block traffic outside %s", t.Name)
		if lift, err = sys.block(d.LUID()); err != nil {
			return fail("kill switch", err)
		}
		// Lifted after the adapter is gone, so nothing leaks meanwhile.
		undos = append([]func() error{lift}, undos...)
	}
	if err := hooks("PreUp", t.PreUp); err != nil {
		return fail("hook", err)
	}
	wc := t.WG
	wc.ReplacePeers = true
	logf("[#] wg setconf %s (%s)", t.Name, plural(len(wc.Peers), "peer"))
	if err := d.Device().Set(wc); err != nil {
		return fail("set configuration", err)
	}
	ipc := t.IP
	ipc.MTU = mtu
	for _, l := range ipLines(t.Name, ipc) {
		logf("[#] %s", l)
	}
	a, err := sys.apply(d.LUID(), ipc)
	if err != nil {
		return fail("configure interface", err)
	}
	undos = append(undos, a.Undo)
	plan := a.Plan()
	for _, r := range plan.Routes {
		logf("[#] route add %s", r)
	}
	for _, w := range plan.Warnings {
		logf("[!] %s", w)
	}
	if err := hooks("PostUp", t.PostUp); err != nil {
		return fail("hook", err)
	}

	var wg sync.WaitGroup
	// mu serialises re-planning (the route watch and the endpoint poll)
	// and teardown: no re-plan starts once ctx is cancelled.
	var mu sync.Mutex
	if !ipc.NoRoutes {
		last := endpointsOf(d)
		replan := func(why string) {
			mu.Lock()
			defer mu.Unlock()
			if ctx.Err() != nil {
				return
			}
			eps := endpointsOf(d)
			before := a.Plan().Routes
			if err := a.Replan(eps); err != nil {
				errf("%s: %v", why, err)
				return
			}
			last = eps
			if after := a.Plan().Routes; !slices.Equal(before, after) {
				del, add := iphelper.DiffRoutes(before, after)
				for _, r := range add {
					logf("[#] route add %s (%s)", r, why)
				}
				for _, r := range del {
					logf("[#] route delete %s (%s)", r, why)
				}
			}
		}
		if err := sys.watch(ctx, func() { replan("route table changed") }); err != nil {
			return fail("watch routes", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(sys.poll)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				mu.Lock()
				changed := !slices.Equal(last, endpointsOf(d))
				mu.Unlock()
				if changed {
					replan("endpoint changed")
				}
			}
		}()
	}

	ready()
	died := false
	select {
	case <-stop:
	case <-d.Done():
		died = true
		errf("the engine stopped (adapter removed?)")
	}
	mu.Lock()
	cancel()
	mu.Unlock()
	wg.Wait()

	var errs []error
	down := func(step string, err error) {
		if err != nil {
			err = fmt.Errorf("down %s: %s: %w", t.Name, step, err)
			errf("%v", err)
			errs = append(errs, err)
		}
	}
	down("hook", hooks("PreDown", t.PreDown))
	if t.Save != nil {
		logf("[#] wg showconf %s", t.Name)
		dev, err := d.Device().Get()
		if err == nil {
			err = t.Save(dev)
		}
		down("save configuration", err)
	}
	logf("[#] undo the interface configuration of %s", t.Name)
	down("undo interface configuration", a.Undo())
	logf("[#] delete adapter %s", t.Name)
	down("delete adapter", d.Close())
	if t.KillSwitch {
		logf("[#] kill switch off")
		down("lift kill switch", lift())
	}
	down("hook", hooks("PostDown", t.PostDown))
	if died {
		errs = append([]error{fmt.Errorf("tunnel %s: the engine stopped by itself", t.Name)}, errs...)
	}
	return errors.Join(errs...)
}

// ipLines describes what iphelper.Apply is about to do, for the log.
func ipLines(name string, c iphelper.Config) []string {
	var out []string
	for _, p := range c.Addresses {
		out = append(out, fmt.Sprintf("address add %s dev %s", p, name))
	}
	out = append(out, fmt.Sprintf("interface set mtu %d dev %s", c.MTU, name))
	if c.NoRoutes {
		out = append(out, "no routes (Table = off)")
	}
	if len(c.DNS) > 0 {
		var s []string
		for _, a := range c.DNS {
			s = append(s, a.String())
		}
		l := fmt.Sprintf("dns set %s dev %s", strings.Join(s, ","), name)
		if len(c.DNSSearch) > 0 {
			l += " search " + strings.Join(c.DNSSearch, ",")
		}
		out = append(out, l)
	}
	return out
}

// endpointsOf returns the peers' current endpoint addresses, sorted.
func endpointsOf(d *Daemon) []netip.Addr {
	dev, err := d.Device().Get()
	if err != nil {
		return nil
	}
	return dev.EndpointAddrs()
}

// TunnelConfigEndpoints is the endpoint addresses of cfg's peers, the
// Endpoints of an iphelper.Config.
func TunnelConfigEndpoints(cfg wgtypes.Config) []netip.Addr {
	var out []netip.Addr
	for _, p := range cfg.Peers {
		if p.Endpoint != nil && p.Endpoint.IsValid() {
			out = append(out, p.Endpoint.Addr().Unmap())
		}
	}
	return out
}

// LogPath is the log file of tunnel name's service: Data\Logs\NAME.log
// in exeDir, the directory of wgshim.exe. That directory is already
// trusted to hold the program the service runs as LocalSystem, so a user
// who cannot replace wgshim.exe cannot plant a link where the service
// writes its log either (unlike under %ProgramData%, where users may
// create files). The service rewrites the file at each start; wg-quick
// shows its end when a tunnel does not come up.
func LogPath(exeDir, name string) string {
	sep := `\`
	if strings.Contains(exeDir, "/") && !strings.Contains(exeDir, `\`) {
		sep = "/" // a path of the system running the tests
	}
	return strings.TrimRight(exeDir, sep) + sep + "Data" + sep + "Logs" + sep + name + ".log"
}
