package wgquick

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/bsd"
	"github.com/wgshim/wgshim/wg-quick/config"
)

// This file is the FreeBSD flow of Main: fact gathering from a
// FreeBSDProber, PlanUpFreeBSD/PlanDownFreeBSD, the route monitor step,
// and the runner. The live FreeBSDHost is in host_freebsd.go.

// FreeBSDMonitorArg is the hidden first argument that makes wg-quick run
// the FreeBSD route monitor of an interface (FreeBSDMonitorMain): the
// monitor step of `up` starts `wg-quick __freebsd-route-monitor IFACE`
// detached, with the starting bsd.Endpoints as JSON in
// FreeBSDMonitorStateEnv.
const (
	FreeBSDMonitorArg      = "__freebsd-route-monitor"
	FreeBSDMonitorStateEnv = "WGSHIM_ROUTE_MONITOR_STATE"
)

// NoteMonitor is what upstream's monitor_daemon prints when it starts.
const NoteMonitor = "[+] Backgrounding route monitor"

// FreeBSDProber answers the questions the FreeBSD plan depends on.
type FreeBSDProber interface {
	// LinkExists reports whether any interface called name exists
	// (`ifconfig NAME`).
	LinkExists(name string) (bool, error)
	// WireGuardInterfaces lists the WireGuard interfaces (`wg show
	// interfaces`): if_wg ones and userspace daemons' sockets.
	WireGuardInterfaces() ([]string, error)
	// Userspace reports whether name is served by a userspace daemon
	// (/var/run/wireguard/NAME.sock exists).
	Userspace(name string) bool
	// RouteMTU is the MTU of the interface the route to dst leaves
	// through (`route -n get DST`, then ifconfig); 0 if there is no
	// route. The unspecified IPv4 address asks for the default route.
	RouteMTU(dst netip.Addr) (int, error)
	// RouteTable is the routing table of FIB 0 (`netstat -nr`).
	RouteTable() ([]bsd.TableEntry, error)
	// FIBs is sysctl net.fibs.
	FIBs() (int, error)
}

// FreeBSDHost is the FreeBSD system wg-quick works on: NewFreeBSDHost, or
// a test double.
type FreeBSDHost interface {
	FreeBSDProber
	Executor
	Close() error
}

// GatherUpFreeBSD collects the facts PlanUpFreeBSD needs to bring iface
// up with wc (endpoints resolved). Like upstream's `|| true`, an endpoint
// without a route gives no MTU candidate and a host without a routing
// table dump no gateways.
func GatherUpFreeBSD(p FreeBSDProber, iface string, wc *wgtypes.Config) (*FreeBSDFacts, error) {
	f := &FreeBSDFacts{Iface: iface}
	var err error
	if f.LinkExists, err = p.LinkExists(iface); err != nil {
		return nil, fmt.Errorf("gather: %w", err)
	}
	f.EndpointMTUs = endpointMTUs(p.RouteMTU, wc)
	if mtu, err := p.RouteMTU(netip.IPv4Unspecified()); err == nil && mtu > 0 {
		f.DefaultMTU = mtu
	}
	if table, err := p.RouteTable(); err == nil {
		f.Gateways = bsd.DefaultGateways(table)
	}
	if f.FIBs, err = p.FIBs(); err != nil {
		f.FIBs = 0 // unknown: ParseTable then accepts any FIB number
	}
	return f, nil
}

// GatherDownFreeBSD collects the facts PlanDownFreeBSD needs.
func GatherDownFreeBSD(p FreeBSDProber, iface string) (*FreeBSDFacts, error) {
	f := &FreeBSDFacts{Iface: iface}
	names, err := p.WireGuardInterfaces()
	if err != nil {
		return nil, fmt.Errorf("gather: %w", err)
	}
	f.IsWireGuard = slices.Contains(names, iface)
	if f.IsWireGuard {
		f.Userspace = p.Userspace(iface)
	}
	return f, nil
}

// opFreeBSDMonitor starts the route monitor of iface from state st: an
// Exec op whose single Cmd is the hidden command line (without the
// program) and the state as JSON in Stdin; the FreeBSD executor runs
// it detached. No undo: the monitor exits, deleting its routes, when the
// interface goes.
func opFreeBSDMonitor(iface string, st *bsd.Endpoints) (Op, error) {
	js, err := json.Marshal(st)
	if err != nil {
		return Op{}, fmt.Errorf("route monitor %s: %w", iface, err)
	}
	return opExec(iface, "route -n monitor (endpoint routes for "+iface+")",
		Cmd{Args: []string{FreeBSDMonitorArg, iface}, Stdin: string(js)}), nil
}

// isMonitorOp reports whether op is opFreeBSDMonitor's.
func isMonitorOp(op Op) bool {
	return op.Kind == Exec && len(op.Cmds) == 1 && len(op.Cmds[0].Args) == 2 && op.Cmds[0].Args[0] == FreeBSDMonitorArg
}

// FreeBSDUpPlan is the whole `up` of c on FreeBSD: PlanUpFreeBSD with
// the route monitor started before the PostUp hooks, as upstream's
// cmd_up calls monitor_daemon, when a default route was taken over.
func FreeBSDUpPlan(c *config.Config, wc *wgtypes.Config, f *FreeBSDFacts) (*FreeBSDPlan, error) {
	p, err := PlanUpFreeBSD(c, wc, f)
	if err != nil {
		return nil, err
	}
	if p.Monitor == nil {
		return p, nil
	}
	mon, err := opFreeBSDMonitor(f.Iface, p.Monitor)
	if err != nil {
		return nil, err
	}
	at := len(p.Ops) - len(c.Interface.PostUp)
	p.Ops = slices.Insert(p.Ops, at, mon)
	return p, nil
}

// newFreeBSD opens env's FreeBSD host.
func (env Env) newFreeBSD() (FreeBSDHost, error) {
	if env.FreeBSD != nil {
		return env.FreeBSD(env.Stdout, env.Stderr)
	}
	return NewFreeBSDHost(env.Stdout, env.Stderr)
}

// mainFreeBSD is Main's up, down and save for the loaded configuration c
// on FreeBSD.
func mainFreeBSD(env Env, c *config.Config, cmd string, dryRun bool, die func(error) int) int {
	h, err := env.newFreeBSD()
	if err != nil {
		return die(err)
	}
	defer h.Close()
	var plan []Op
	switch cmd {
	case "up":
		wc, err := env.wgConfig(c)
		if err != nil {
			return die(err)
		}
		f, err := GatherUpFreeBSD(h, c.Name, &wc)
		if err != nil {
			return die(err)
		}
		p, err := FreeBSDUpPlan(c, &wc, f)
		if err != nil {
			return die(err)
		}
		for _, w := range p.Warnings {
			fmt.Fprintln(env.Stderr, w)
		}
		plan = p.Ops
	case "down", "save":
		f, err := GatherDownFreeBSD(h, c.Name)
		if err != nil {
			return die(err)
		}
		if cmd == "down" {
			plan, err = PlanDownFreeBSD(c, f)
		} else {
			plan, err = PlanSave(c, &Facts{Iface: c.Name, IsWireGuard: f.IsWireGuard})
		}
		if err != nil {
			return die(err)
		}
	}
	run := &Runner{Exec: h, Stderr: env.Stderr, DryRun: dryRun}
	if _, err := run.Run(env.Context, cmd, c.Name, plan); err != nil {
		return die(err)
	}
	return 0
}
