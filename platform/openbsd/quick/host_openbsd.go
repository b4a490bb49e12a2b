package quick

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform"
	"github.com/wgshim/wgshim/platform/bsd"
	"github.com/wgshim/wgshim/platform/openbsd/ifwg"
	"github.com/wgshim/wgshim/platform/openbsd/netif"
	"github.com/wgshim/wgshim/platform/openbsd/tundev"
	"github.com/wgshim/wgshim/platform/uapi"
	"github.com/wgshim/wgshim/wg-quick/config"
)

// Host is the live OpenBSD system: it gathers Facts and performs steps
// with wg(4) ioctls (ifwg) or a userspace daemon (platform/uapi),
// interface ioctls (netif), the routing socket (platform/bsd), route(8)
// for resolvd's name servers and bash(1) for hooks.
type Host struct {
	Stdout, Stderr io.Writer
	drv            *ifwg.Driver
	rt             *bsd.Conn
	real           map[string]string // planned wgN -> created wgN
}

// NewHost opens the live system.
func NewHost(stdout, stderr io.Writer) (*Host, error) {
	rt, err := bsd.Dial()
	if err != nil {
		return nil, err
	}
	return &Host{Stdout: stdout, Stderr: stderr, drv: ifwg.NewDriver(), rt: rt, real: map[string]string{}}, nil
}

// Close releases the routing-socket connection.
func (h *Host) Close() error { return h.rt.Close() }

// GatherUp collects the Facts PlanUp needs for c (wc: endpoints resolved).
func (h *Host) GatherUp(c *config.Config, wc *wgtypes.Config) (*Facts, error) {
	f := &Facts{Userspace: os.Getenv(uapi.ProgramEnv)}
	var err error
	if f.Existing, err = h.interfaces(); err != nil {
		if !errors.Is(err, errors.ErrUnsupported) {
			return nil, fmt.Errorf("gather: %w", err)
		}
		if f.Userspace == "" {
			f.Userspace, f.Missing = uapi.DefaultProgram, err.Error()
		}
	}
	if f.Userspace != "" {
		f.FreeTun = freeTun()
	}
	for _, p := range wc.Peers {
		if p.Endpoint == nil {
			continue
		}
		if mtu := h.routeMTU(p.Endpoint.Addr().Unmap()); mtu > 0 {
			f.EndpointMTUs = append(f.EndpointMTUs, mtu)
		}
	}
	f.DefaultMTU = h.routeMTU(netip.IPv4Unspecified())
	// Like upstream's `netstat -nr` parsing, no table means no gateways.
	f.Gateways, _ = h.rt.DefaultGateways()
	if len(c.Interface.DNS) > 0 {
		f.Unwind, f.Resolvd = running("unwind"), running("resolvd")
	}
	return f, nil
}

// interfaces lists the userspace daemons' tunN and the wg(4)
// interfaces, with descriptions. Without wg(4) the userspace ones are
// returned with an error wrapping errors.ErrUnsupported.
func (h *Host) interfaces() ([]ifwg.Iface, error) {
	var out []ifwg.Iface
	if names, err := (&uapi.Driver{}).List(); err == nil {
		for _, n := range names {
			if _, _, err := tundev.ParseName(n); err != nil || n == "tun" {
				continue
			}
			d, err := netif.Description(n)
			if err != nil {
				continue // a stale socket
			}
			out = append(out, ifwg.Iface{Name: n, Description: d})
		}
	}
	k, err := h.drv.Interfaces()
	return append(out, k...), err
}

// freeTun is the lowest tunN with a device node and no interface, for a
// userspace daemon to create; "" if there is none.
func freeTun() string {
	for n := range 256 {
		name := tundev.UnitName(n)
		if _, err := os.Stat(tundev.DevPath(n)); err != nil {
			return ""
		}
		if _, err := net.InterfaceByName(name); err != nil {
			return name
		}
	}
	return ""
}

// link opens the WireGuard interface iface: a userspace daemon's socket
// for tunN, wg(4) otherwise.
func (h *Host) link(iface string) (platform.Link, error) {
	if IsUserspace(iface) {
		return (&uapi.Driver{Stdout: h.Stdout, Stderr: h.Stderr}).Open(iface)
	}
	return h.drv.Open(iface)
}

// routeMTU is the MTU of the interface the route to dst goes out of
// (`route -n get` then ifconfig), 0 if there is none.
func (h *Host) routeMTU(dst netip.Addr) int {
	e, err := h.rt.Get(dst)
	if err != nil || e.Index == 0 {
		return 0
	}
	ifi, err := net.InterfaceByIndex(e.Index)
	if err != nil {
		return 0
	}
	return ifi.MTU
}

// running is `pgrep -qx NAME`.
func running(name string) bool { return exec.Command("pgrep", "-qx", name).Run() == nil }

// GatherDown collects the Facts PlanDown needs.
func (h *Host) GatherDown(c *config.Config) (*Facts, error) {
	f := &Facts{}
	var err error
	if f.Existing, err = h.interfaces(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return nil, fmt.Errorf("gather: %w", err)
	}
	_, err = os.Stat(BackupFile(c.Name))
	f.DNSBackup = err == nil
	return f, nil
}

func (h *Host) iface(s Step) string {
	if r, ok := h.real[s.Iface]; ok {
		return r
	}
	return s.Iface
}

// Do performs s.
func (h *Host) Do(ctx context.Context, s Step) (*Step, error) {
	iface := h.iface(s)
	switch s.Kind {
	case CreateIface:
		if s.Text != "" {
			return h.createUserspace(s)
		}
		l, err := h.drv.CreateConfig(s.Name)
		if err != nil {
			return nil, err
		}
		real := l.Name()
		l.Close()
		if real != s.Iface {
			// Another process took the planned unit meanwhile.
			h.real[s.Iface] = real
			fmt.Fprintf(h.Stderr, "[+] %s is %s, not %s\n", s.Name, real, s.Iface)
		}
		return s.Undo, nil
	case DestroyIface:
		if IsUserspace(iface) {
			return nil, destroyUserspace(iface)
		}
		return nil, netif.Destroy(iface)
	case Hook:
		return nil, h.hook(ctx, s.Text)
	case SetConfig:
		l, err := h.link(iface)
		if err != nil {
			return nil, err
		}
		defer l.Close()
		cfg := *s.Config
		cfg.ReplacePeers = true // wg setconf
		return nil, l.Set(cfg)
	case AddAddress:
		return nil, netif.AddAddress(iface, s.Prefix)
	case SetMTU:
		return nil, netif.SetMTU(iface, s.MTU)
	case SetUp:
		return nil, netif.SetUp(iface, true)
	case SetDNS:
		if err := setDNS(iface, s); err != nil {
			return nil, err
		}
		return s.Undo, nil
	case UnsetDNS:
		return nil, unsetDNS(iface, s.Name)
	case AddRoute:
		var err error
		if s.Route.Iface != "" {
			err = h.rt.AddLocalRoute(s.Route.Dst, s.Local, s.Route.Table)
		} else {
			err = h.rt.AddRoute(s.Route)
		}
		if err != nil {
			return nil, err
		}
		return s.Undo, nil
	case DeleteRoute:
		err := h.rt.DeleteRouteTo(s.Route.Dst, s.Route.Table)
		if errors.Is(err, syscall.ESRCH) {
			err = nil // gone with the interface
		}
		return nil, err
	case StartMonitor:
		return nil, startMonitor(iface, *s.State)
	}
	return nil, fmt.Errorf("unexpected step %v", s.Kind)
}

// createUserspace starts the userspace implementation for the planned
// tunN, waits for its socket and tags the interface with the
// configuration's description.
func (h *Host) createUserspace(s Step) (*Step, error) {
	d := &uapi.Driver{Program: s.Text, Stdout: h.Stdout, Stderr: h.Stderr}
	l, err := d.Create(s.Iface)
	if err != nil {
		return nil, err
	}
	if err := netif.SetDescription(s.Iface, ifwg.Description(s.Name)); err != nil {
		if derr := destroyUserspace(s.Iface); derr != nil {
			return nil, fmt.Errorf("%w (and stopping %s again failed: %v)", err, s.Text, derr)
		}
		return nil, err
	}
	l.Close()
	return s.Undo, nil
}

// destroyUserspace removes the daemon's socket, which makes it exit, and
// destroys the tun interface in case the implementation leaves it.
func destroyUserspace(iface string) error {
	var errs []error
	if l, err := (&uapi.Driver{}).Open(iface); err == nil {
		if err := l.Destroy(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := netif.Destroy(iface); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// hook runs text with bash -c, as upstream's eval in a subshell.
func (h *Host) hook(ctx context.Context, text string) error {
	bash, err := exec.LookPath("bash")
	if err != nil {
		return fmt.Errorf("hooks need bash: %w (pkg_add bash)", err)
	}
	cmd := exec.CommandContext(ctx, bash, "-c", text)
	cmd.Stdout, cmd.Stderr = h.Stdout, h.Stderr
	return cmd.Run()
}

const resolvConf = "/etc/resolv.conf"

// setDNS backs resolv.conf up, writes the search domains into it when
// there are some, and hands the servers to resolvd through a route(8)
// nameserver proposal for the interface.
func setDNS(iface string, s Step) error {
	old, err := os.ReadFile(resolvConf)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.WriteFile(BackupFile(s.Name), old, 0o644); err != nil {
		return err
	}
	if len(s.Search) > 0 {
		if err := os.WriteFile(resolvConf, []byte("search "+strings.Join(s.Search, " ")+"\n"), 0o644); err != nil {
			return err
		}
	}
	args := []string{"nameserver", iface}
	for _, d := range s.DNS {
		args = append(args, d.String())
	}
	if out, err := exec.Command("route", args...).CombinedOutput(); err != nil {
		os.Rename(BackupFile(s.Name), resolvConf)
		return fmt.Errorf("route %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// unsetDNS withdraws the proposal and restores the backup, if up made one.
func unsetDNS(iface, name string) error {
	if _, err := os.Stat(BackupFile(name)); err != nil {
		return nil
	}
	var errs []error
	if out, err := exec.Command("route", "nameserver", iface).CombinedOutput(); err != nil {
		errs = append(errs, fmt.Errorf("route nameserver %s: %w: %s", iface, err, strings.TrimSpace(string(out))))
	}
	if err := os.Rename(BackupFile(name), resolvConf); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// startMonitor runs this executable again as the route monitor of iface,
// detached, as upstream backgrounds a `route -n monitor` loop.
func startMonitor(iface string, st bsd.Endpoints) error {
	js, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return bsd.StartMonitor(MonitorArg, iface, envMonitorState, string(js))
}

// MonitorMain is the route monitor process: args are [MonitorArg, wgN].
// It keeps the endpoint routes pointing at the current default gateway
// until the interface goes away (or SIGTERM), then deletes them.
func MonitorMain(args []string) int {
	if len(args) != 2 || args[0] != MonitorArg {
		fmt.Fprintf(os.Stderr, "usage: %s wgN\n", MonitorArg)
		return 1
	}
	iface := args[1]
	err := bsd.MonitorProcess(envMonitorState, func(rt *bsd.Conn) (bsd.MonitorSystem, func(), error) {
		h := &Host{drv: ifwg.NewDriver(), Stdout: io.Discard, Stderr: io.Discard}
		return &monitorSys{iface: iface, rt: rt, h: h}, func() {}, nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "route monitor %s: %v\n", iface, err)
		return 1
	}
	return 0
}

// monitorSys is bsd.MonitorSystem on the live system.
type monitorSys struct {
	iface string
	rt    *bsd.Conn
	h     *Host
}

func (m *monitorSys) IfaceExists() (bool, error) {
	_, err := netif.Flags(m.iface)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func (m *monitorSys) Gateways() (bsd.Gateways, error) { return m.rt.DefaultGateways() }

func (m *monitorSys) Endpoints() ([]netip.Addr, error) {
	l, err := m.h.link(m.iface)
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

func (m *monitorSys) AddRoute(r bsd.Route) error    { return m.rt.AddRoute(r) }
func (m *monitorSys) DeleteRoute(r bsd.Route) error { return m.rt.DeleteRouteTo(r.Dst, r.Table) }
