package wgquick

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/platform/bsd"
	"github.com/wgshim/wgshim/platform/freebsd/ifconf"
	"github.com/wgshim/wgshim/platform/host"
	"github.com/wgshim/wgshim/platform/uapi"
)

// NewHost fails on FreeBSD: Main runs the FreeBSD flow there, on
// NewFreeBSDHost.
func NewHost(stdout, stderr io.Writer) (Host, error) {
	return nil, fmt.Errorf("wg-quick: freebsd: the Linux host: %w (FreeBSD uses NewFreeBSDHost)", errUnsupported)
}

// freebsdHost is the live FreeBSD system: interface ioctls (ifconf), the
// WireGuard drivers of platform/host (if_wg, else a userspace daemon),
// the routing socket (platform/bsd), resolvconf(8) and sh(1).
type freebsdHost struct {
	liveHost
	ifc *ifconf.Conn
	rt  *bsd.Conn
}

// NewFreeBSDHost returns the live FreeBSD system; commands it runs write
// to stdout and stderr.
func NewFreeBSDHost(stdout, stderr io.Writer) (FreeBSDHost, error) {
	ifc, err := ifconf.Open()
	if err != nil {
		return nil, err
	}
	rt, err := bsd.Dial()
	if err != nil {
		ifc.Close()
		return nil, err
	}
	return &freebsdHost{liveHost: newLiveHost(stdout, stderr), ifc: ifc, rt: rt}, nil
}

func (h *freebsdHost) Close() error {
	h.closeLinks()
	h.rt.Close()
	return h.ifc.Close()
}

// FreeBSDProber.

func (h *freebsdHost) LinkExists(name string) (bool, error) { return h.ifc.Exists(name) }

func (h *freebsdHost) WireGuardInterfaces() ([]string, error) { return host.List() }

func (h *freebsdHost) Userspace(name string) bool {
	fi, err := os.Stat("/var/run/wireguard/" + name + ".sock")
	return err == nil && fi.Mode()&fs.ModeSocket != 0
}

func (h *freebsdHost) RouteMTU(dst netip.Addr) (int, error) {
	e, err := h.rt.Get(dst)
	if err != nil {
		return 0, err
	}
	if e.Index == 0 {
		return 0, nil
	}
	ifi, err := net.InterfaceByIndex(e.Index)
	if err != nil {
		return 0, err
	}
	return ifi.MTU, nil
}

func (h *freebsdHost) RouteTable() ([]bsd.TableEntry, error) { return h.rt.Table() }

func (h *freebsdHost) FIBs() (int, error) {
	n, err := unix.SysctlUint32("net.fibs")
	return int(n), err
}

// Executor.

func (h *freebsdHost) Do(ctx context.Context, op Op) (*Op, error) {
	switch op.Kind {
	case CreateLink:
		return op.Undo, h.createLink(op.Iface)
	case DeleteLink:
		return nil, h.deleteLink(op.Iface)
	case Hook:
		return nil, h.hook(ctx, hookShell(), op.Text)
	case SetConfig:
		l, err := h.link(op.Iface)
		if err != nil {
			return nil, err
		}
		return op.Undo, l.Set(*op.Config)
	case AddAddress:
		return op.Undo, h.ifc.AddAddress(op.Iface, op.Prefix)
	case SetMTUUp:
		if err := h.ifc.SetMTU(op.Iface, op.MTU); err != nil {
			return nil, err
		}
		return nil, h.ifc.SetUp(op.Iface, true)
	case AddRoute:
		return op.Undo, h.rt.AddRoute(bsd.Route{Dst: op.Prefix, Iface: op.Iface, Table: op.Table})
	case DeleteRoute:
		return nil, h.rt.DeleteRoute(bsd.Route{Dst: op.Prefix, Iface: op.Iface, Table: op.Table})
	case Exec:
		return h.exec(ctx, op)
	case SaveConfig:
		return nil, h.saveConfig(op)
	}
	return nil, fmt.Errorf("%v: %w on FreeBSD", op.Kind, errUnsupported)
}

// exec performs an Exec op: the route monitor, a route(8) command of the
// plan through the routing socket, or any other command as it is
// (resolvconf).
func (h *freebsdHost) exec(ctx context.Context, op Op) (*Op, error) {
	if isMonitorOp(op) {
		return nil, startFreeBSDMonitor(h.stderr, op.Iface, op.Cmds[0].Stdin)
	}
	for _, c := range op.Cmds {
		if len(c.Args) > 0 && c.Args[0] == "route" {
			r, add, err := ParseRouteArgs(c.Args)
			if err != nil {
				return nil, err
			}
			if add {
				err = h.rt.AddRoute(r)
			} else {
				err = h.rt.DeleteRoute(r)
			}
			if err != nil {
				return nil, err
			}
			continue
		}
		if err := h.run(ctx, c); err != nil {
			return nil, err
		}
	}
	return op.Undo, nil
}

// createLink is add_if: if_wg (loaded on demand by the driver), else,
// unless the name is taken, the userspace implementation.
func (h *freebsdHost) createLink(name string) error {
	created, kerr := h.createKernel(name)
	switch {
	case created:
		return nil
	case errors.Is(kerr, fs.ErrExist):
		return kerr
	case kerr == nil:
		kerr = errors.New("no kernel driver")
	}
	fmt.Fprintf(h.stderr, "[!] Missing WireGuard kernel support (%v). Falling back to slow userspace implementation.\n", kerr)
	fmt.Fprintf(h.stderr, "[#] %s %s\n", userspaceProgram(), name)
	return h.create(&uapi.Driver{Stdout: h.stdout, Stderr: h.stderr}, name)
}

// deleteLink is del_if: destroy the interface (or remove a daemon's
// socket, which makes it exit), then wait until the interface has gone
// so that a following `up` does not find it.
func (h *freebsdHost) deleteLink(name string) error {
	if l, err := h.link(name); err == nil {
		delete(h.links, name)
		err := l.Destroy()
		l.Close()
		if err != nil {
			return err
		}
	} else if err := h.ifc.Destroy(name); err != nil {
		return err
	}
	gone := func() bool {
		ok, err := h.ifc.Exists(name)
		return err == nil && !ok
	}
	if awaitGone(gone, 5*time.Second, 100*time.Millisecond) {
		return nil
	}
	return h.ifc.Destroy(name)
}

func (h *freebsdHost) saveConfig(op Op) error {
	dev, err := h.device(op.Iface)
	if err != nil {
		return err
	}
	var run Running
	ifi, err := net.InterfaceByName(op.Iface)
	if err != nil {
		return err
	}
	run.MTU = ifi.MTU
	addrs, err := ifi.Addrs()
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			ip, _ := netip.AddrFromSlice(n.IP)
			ones, _ := n.Mask.Size()
			run.Addrs = append(run.Addrs, netip.PrefixFrom(ip.Unmap(), ones))
		}
	}
	if out, err := output("resolvconf", "-l", op.Iface); err == nil {
		run.DNS = parseNameservers(out)
	}
	return writeRunning(op.Save, dev, run)
}

// startFreeBSDMonitor is monitor_daemon: this executable run again as the
// route monitor of iface, detached, with state (JSON bsd.Endpoints).
func startFreeBSDMonitor(stderr io.Writer, iface, state string) error {
	fmt.Fprintln(stderr, NoteMonitor)
	return bsd.StartMonitor(FreeBSDMonitorArg, iface, FreeBSDMonitorStateEnv, state)
}

// FreeBSDMonitorMain is the route monitor process: args are
// [FreeBSDMonitorArg, IFACE]. It keeps the endpoint routes pointing at
// the current default gateways until the interface goes away (or
// SIGINT/SIGTERM), then deletes them.
func FreeBSDMonitorMain(args []string) int {
	if len(args) != 2 || args[0] != FreeBSDMonitorArg {
		fmt.Fprintf(os.Stderr, "usage: %s IFACE\n", FreeBSDMonitorArg)
		return 1
	}
	iface := args[1]
	err := bsd.MonitorProcess(FreeBSDMonitorStateEnv, func(rt *bsd.Conn) (bsd.MonitorSystem, func(), error) {
		ifc, err := ifconf.Open()
		if err != nil {
			return nil, nil, err
		}
		return &freebsdMonitor{iface: iface, ifc: ifc, rt: rt}, func() { ifc.Close() }, nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "route monitor %s: %v\n", iface, err)
		return 1
	}
	return 0
}

// freebsdMonitor is bsd.MonitorSystem on the live system.
type freebsdMonitor struct {
	iface string
	ifc   *ifconf.Conn
	rt    *bsd.Conn
}

func (m *freebsdMonitor) IfaceExists() (bool, error) { return m.ifc.Exists(m.iface) }

func (m *freebsdMonitor) Gateways() (bsd.Gateways, error) { return m.rt.DefaultGateways() }

func (m *freebsdMonitor) Endpoints() ([]netip.Addr, error) {
	l, err := host.Open(m.iface)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	d, err := l.Get()
	if err != nil {
		return nil, err
	}
	return d.EndpointAddrs(), nil
}

func (m *freebsdMonitor) AddRoute(r bsd.Route) error    { return m.rt.AddRoute(r) }
func (m *freebsdMonitor) DeleteRoute(r bsd.Route) error { return m.rt.DeleteRoute(r) }

// hookShell is bash when installed, as upstream runs hooks (so a Linux
// recipe's bash-isms keep working), else sh(1): bash is a package on
// FreeBSD, not part of the base system.
func hookShell() string {
	if p, err := exec.LookPath("bash"); err == nil {
		return p
	}
	return "/bin/sh"
}
