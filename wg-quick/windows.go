package wgquick

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/windows"
	"github.com/wgshim/wgshim/platform/windows/service"
	"github.com/wgshim/wgshim/wg-quick/config"
)

// This file is wg-quick on Windows, where a tunnel service owns the whole
// tunnel (as in wireguard-windows): `up` checks the configuration, prints
// what Windows will not honour, and installs the service
// `wgshim /installtunnelservice PATH`, which creates the adapter, starts
// the engine, applies addresses, routes, MTU and DNS (iphelper) and keeps
// them until it is stopped; `down` uninstalls the service, which undoes
// it all. Everything here is plain code, tested on every OS; the live
// WindowsHost is in exec_windows.go. The wgshim side (the service reading
// the same file) uses LoadWindows and WindowsTunnel.

// WindowsHost is the Windows system wg-quick works on: it answers the few
// questions the plan needs and performs CreateLink (install the service
// and wait until its pipe answers), DeleteLink (uninstall the service)
// and SaveConfig.
type WindowsHost interface {
	Executor
	// Elevated reports an elevated (administrator) process.
	Elevated() bool
	// HooksEnabled is windows.HooksEnabled: the administrator's switch.
	HooksEnabled() bool
	// ConfigDirs are the directories searched for NAME.toml and NAME.conf.
	ConfigDirs() []string
	// Wgshim is the path of wgshim.exe, the program the service runs.
	Wgshim() (string, error)
	// Tunnel reports whether the service of tunnel name is installed and
	// whether a pipe called name answers.
	Tunnel(name string) (installed, running bool, err error)
}

// WindowsConfigDirs returns where wg-quick looks for NAME.toml and
// NAME.conf on Windows: the Data\Configurations directory of the install
// directory under programFiles (%ProgramFiles%\wgshim, the layout of
// wireguard-windows), then exeDir, the directory of wg-quick.exe. Empty
// inputs are left out.
func WindowsConfigDirs(programFiles, exeDir string) []string {
	var out []string
	if programFiles != "" {
		out = append(out, winJoin(programFiles, `wgshim\Data\Configurations`))
	}
	if exeDir != "" {
		out = append(out, exeDir)
	}
	return out
}

// winJoin joins a directory and a file name whatever the OS we run on,
// with a backslash unless the directory is written with slashes only
// (Windows takes both; the tests on other systems use their own paths).
func winJoin(dir, file string) string {
	if strings.HasSuffix(dir, `\`) || strings.HasSuffix(dir, "/") {
		return dir + file
	}
	if strings.Contains(dir, "/") && !strings.Contains(dir, `\`) {
		return dir + "/" + file
	}
	return dir + `\` + file
}

// FindWindows resolves the wg-quick argument on Windows: a path (with a
// slash or backslash, or ending in .conf or .toml) as it is, otherwise
// NAME.toml then NAME.conf in each of dirs. The error is a
// *config.NotFoundError when nothing exists.
func FindWindows(stat config.StatFunc, arg string, dirs []string) (string, error) {
	if strings.ContainsAny(arg, `/\`) || strings.HasSuffix(arg, ".conf") || strings.HasSuffix(arg, ".toml") {
		return config.FindWith(stat, arg, "windows")
	}
	if !config.ValidInterfaceName(arg) {
		return "", fmt.Errorf("find config: %q is neither a path nor a valid interface name (1-15 characters from a-z A-Z 0-9 _ = + . -)", arg)
	}
	var tried []string
	for _, d := range dirs {
		for _, ext := range []string{".toml", ".conf"} {
			p := winJoin(d, arg+ext)
			tried = append(tried, p)
			_, err := stat(p)
			if err == nil {
				return p, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("find config: %w", err)
			}
		}
	}
	if len(tried) == 0 {
		return "", fmt.Errorf("find config: %s: no configuration directory known; give a path", arg)
	}
	return "", &config.NotFoundError{Tried: tried}
}

// LoadWindows reads the configuration at path, with its key files, and
// checks what the service will need: the name from the file name, and a
// complete wg(8) part (endpoint names are not resolved here).
func LoadWindows(path string) (*config.Config, error) {
	name, err := config.InterfaceName(path)
	if err != nil {
		return nil, err
	}
	c, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	c.Name = name
	if err := c.LoadKeyFiles(os.ReadFile); err != nil {
		return nil, err
	}
	// Any host name passes: the service resolves endpoints when it starts.
	anyHost := config.ResolverFunc(func(context.Context, string, string) (netip.AddrPort, error) {
		return netip.AddrPortFrom(netip.IPv4Unspecified(), 0), nil
	})
	if _, err := c.WGConfig(context.Background(), anyHost); err != nil {
		return nil, err
	}
	return c, nil
}

// WindowsWarnings lists the keys of c that Windows does not honour
// (windows.Warnings), with hooks allowed or not.
func WindowsWarnings(c *config.Config, hooks bool) []windows.Warning {
	in := &c.Interface
	k := windows.Keys{PreUp: len(in.PreUp), PostUp: len(in.PostUp), PreDown: len(in.PreDown), PostDown: len(in.PostDown)}
	if in.FwMark != nil {
		k.FwMark = "0x" + strconv.FormatUint(uint64(in.FwMark.V), 16)
		if in.FwMark.V == 0 {
			k.FwMark = "off"
		}
	}
	if in.Table != nil {
		k.Table = in.Table.V.String()
	}
	return windows.Warnings(k, windows.Policy{Hooks: hooks})
}

// WindowsTunnel is what the tunnel service brings up for c (key files
// loaded; c.Name set) given wc, its WGConfig with endpoints resolved:
//
//   - the engine gets wc without FwMark (Windows has no packet marks);
//   - Address, DNS and MTU (default 1420) go to the adapter;
//   - every peer's AllowedIPs become routes, with host routes keeping the
//     endpoints out of the tunnel, unless Table = off; any other Table
//     value means the main table (the only one);
//   - hooks get %i replaced and run only if hooks is set;
//   - KillSwitch = true blocks traffic outside the tunnel while it is up;
//   - SaveConfig = true writes the running configuration back to c.File
//     when the tunnel stops.
func WindowsTunnel(c *config.Config, wc *wgtypes.Config, hooks bool) windows.Tunnel {
	in := &c.Interface
	w := *wc
	w.FirewallMark = nil
	t := windows.Tunnel{Name: c.Name, WG: w, RunHooks: hooks}
	t.KillSwitch = in.KillSwitch != nil && in.KillSwitch.V
	for _, a := range in.Address {
		t.IP.Addresses = append(t.IP.Addresses, a.V)
	}
	for _, p := range wc.Peers {
		t.IP.AllowedIPs = append(t.IP.AllowedIPs, p.AllowedIPs...)
	}
	t.IP.Endpoints = windows.TunnelConfigEndpoints(*wc)
	t.IP.NoRoutes = in.Table != nil && in.Table.V.Mode == config.TableOff
	if in.MTU != nil {
		t.IP.MTU = in.MTU.V
	}
	for _, d := range in.DNS {
		t.IP.DNS = append(t.IP.DNS, d.V)
	}
	for _, d := range in.DNSSearch {
		t.IP.DNSSearch = append(t.IP.DNSSearch, d.V)
	}
	expand := func(hs []config.Value[string]) []string {
		var out []string
		for _, h := range hs {
			out = append(out, strings.ReplaceAll(h.V, "%i", c.Name))
		}
		return out
	}
	t.PreUp, t.PostUp, t.PreDown, t.PostDown = expand(in.PreUp), expand(in.PostUp), expand(in.PreDown), expand(in.PostDown)
	if in.SaveConfig != nil && in.SaveConfig.V {
		t.Save = func(dev *wgtypes.Device) error { return saveWindows(c, dev) }
	}
	return t
}

// windowsRunning is the running state the service set from c: on Windows
// the tunnel's addresses, DNS and MTU are the file's.
func windowsRunning(c *config.Config) Running {
	var r Running
	for _, a := range c.Interface.Address {
		r.Addrs = append(r.Addrs, a.V)
	}
	for _, d := range c.Interface.DNS {
		r.DNS = append(r.DNS, d.V)
	}
	if c.Interface.MTU != nil {
		r.MTU = c.Interface.MTU.V
	}
	return r
}

// saveWindows writes the running configuration of dev back to c.File.
func saveWindows(c *config.Config, dev *wgtypes.Device) error {
	b, err := encodeConfig(RunningConfig(c, dev, windowsRunning(c)))
	if err != nil {
		return err
	}
	return writeFileAtomic(c.File, b)
}

// ServiceSpec is the service `wgshim /installtunnelservice ARG` installs,
// exe being wgshim.exe's absolute path. ARG is a configuration file (a
// path, absolute, or a name ending in .conf or .toml): the tunnel is named
// after the file and the service runs `wgshim /tunnelservice PATH`. A bare
// tunnel name gives a service that starts the engine without
// configuration (configure it with wg setconf), as before configuration
// files were supported.
func ServiceSpec(exe, arg string) (service.Spec, error) {
	if !IsConfigPath(arg) {
		if _, err := service.Name(arg); err != nil {
			return service.Spec{}, err
		}
		return service.Spec{Tunnel: arg, Exe: exe, Args: []string{"/tunnelservice", arg}}, nil
	}
	name, err := config.InterfaceName(arg)
	if err != nil {
		return service.Spec{}, err
	}
	return service.Spec{Tunnel: name, Exe: exe, Args: []string{"/tunnelservice", arg}}, nil
}

// IsConfigPath reports whether a wgshim /...tunnelservice argument names
// a configuration file rather than a tunnel.
func IsConfigPath(arg string) bool {
	return strings.ContainsAny(arg, `/\`) || strings.HasSuffix(arg, ".conf") || strings.HasSuffix(arg, ".toml")
}

// TunnelName is the tunnel an /installtunnelservice, /uninstalltunnelservice
// or /tunnelservice argument stands for.
func TunnelName(arg string) (string, error) {
	if IsConfigPath(arg) {
		return config.InterfaceName(arg)
	}
	return arg, nil
}

// WindowsFacts is what the Windows plans depend on.
type WindowsFacts struct {
	Iface string
	// Path is the configuration file, absolute; Wgshim is wgshim.exe.
	Path, Wgshim string
	// Installed: the service exists; Running: the pipe answers.
	Installed, Running bool
}

func wgshimCmd(f *WindowsFacts, args ...string) Cmd {
	return Cmd{Args: append([]string{f.Wgshim}, args...)}
}

func wgshimDisplay(args ...string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = service.QuoteArg(a)
	}
	return "wgshim " + strings.Join(q, " ")
}

func opUninstall(f *WindowsFacts) Op {
	return Op{Kind: DeleteLink, Iface: f.Iface, Display: wgshimDisplay("/uninstalltunnelservice", f.Iface),
		Cmds: []Cmd{wgshimCmd(f, "/uninstalltunnelservice", f.Iface)}}
}

// PlanWindowsUp returns the steps of `wg-quick up` on Windows: one, the
// service install, whose undo uninstalls it. The executor waits for the
// tunnel's pipe before the step counts as done.
func PlanWindowsUp(f *WindowsFacts) ([]Op, error) {
	switch {
	case f.Installed:
		return nil, fmt.Errorf("`%s' %w (its service %s is installed; `wg-quick down %s' removes it)", f.Iface, ErrAlreadyExists, service.NamePrefix+f.Iface, f.Iface)
	case f.Running:
		return nil, fmt.Errorf("`%s' %w (a process serves its pipe)", f.Iface, ErrAlreadyExists)
	}
	undo := opUninstall(f)
	return []Op{{Kind: CreateLink, Iface: f.Iface, Display: wgshimDisplay("/installtunnelservice", f.Path),
		Cmds: []Cmd{wgshimCmd(f, "/installtunnelservice", f.Path)}, Undo: &undo}}, nil
}

// PlanWindowsDown returns the steps of `wg-quick down` on Windows:
// uninstalling the service, which stops the tunnel and undoes its
// configuration (hooks and SaveConfig included). A service that is
// installed but not running is removed all the same.
func PlanWindowsDown(f *WindowsFacts) ([]Op, error) {
	switch {
	case f.Installed:
		return []Op{opUninstall(f)}, nil
	case f.Running:
		return nil, fmt.Errorf("`%s' is not run by a tunnel service: stop the process serving it (wgshim in the foreground, or wireguard-go)", f.Iface)
	}
	return nil, errNotWireGuard(f.Iface)
}

// PlanWindowsSave returns the steps of `wg-quick save` on Windows: PlanSave
// of the running tunnel.
func PlanWindowsSave(c *config.Config, f *WindowsFacts) ([]Op, error) {
	return PlanSave(c, &Facts{Iface: f.Iface, IsWireGuard: f.Running})
}

// mainWindows is Main on Windows, after the command line was read.
func mainWindows(env Env, prog, cmd, arg string, dryRun bool, die func(error) int) int {
	h := env.Windows
	if h == nil {
		var err error
		if h, err = NewWindowsHost(env.Stdout, env.Stderr); err != nil {
			return die(err)
		}
	}
	if cmd != "strip" && !dryRun && !h.Elevated() {
		return die(fmt.Errorf("%s must be run as Administrator; try an elevated prompt (Run as administrator)", prog))
	}
	path, err := FindWindows(os.Stat, arg, h.ConfigDirs())
	var c *config.Config
	switch {
	case err == nil:
		if path, err = filepath.Abs(path); err != nil {
			return die(fmt.Errorf("config %s: %w", arg, err))
		}
		if c, err = LoadWindows(path); err != nil {
			return die(err)
		}
	case cmd == "down" && errors.Is(err, fs.ErrNotExist) && config.ValidInterfaceName(arg):
		// The service reads its own copy of the path; down needs only
		// the name, so a tunnel whose file is gone can still be removed.
		c = &config.Config{Name: arg}
	default:
		return die(err)
	}
	if cmd == "strip" {
		if err := config.WriteStrip(env.Stdout, c); err != nil {
			return die(err)
		}
		return 0
	}

	f := &WindowsFacts{Iface: c.Name, Path: path}
	if f.Wgshim, err = h.Wgshim(); err != nil {
		return die(err)
	}
	if f.Installed, f.Running, err = h.Tunnel(c.Name); err != nil {
		return die(err)
	}
	var plan []Op
	switch cmd {
	case "up":
		for _, w := range WindowsWarnings(c, h.HooksEnabled()) {
			fmt.Fprintf(env.Stderr, "[!] %s\n", w)
		}
		plan, err = PlanWindowsUp(f)
	case "down":
		plan, err = PlanWindowsDown(f)
	case "save":
		plan, err = PlanWindowsSave(c, f)
	}
	if err != nil {
		return die(err)
	}
	run := &Runner{Exec: h, Stderr: env.Stderr, DryRun: dryRun}
	if _, err := run.Run(env.Context, cmd, c.Name, plan); err != nil {
		return die(err)
	}
	return 0
}

// ResolveWindows is c.WGConfig for the tunnel service: at boot the DNS
// may not answer yet, so a failing resolution is retried, up to attempts
// times in all, pause apart (wg(8) retries the same way).
func ResolveWindows(ctx context.Context, c *config.Config, r config.Resolver, attempts int, pause time.Duration) (wgtypes.Config, error) {
	for i := 1; ; i++ {
		wc, err := c.WGConfig(ctx, r)
		if err == nil || i >= attempts {
			return wc, err
		}
		select {
		case <-ctx.Done():
			return wc, err
		case <-time.After(pause):
		}
	}
}

// lastLines returns the last n lines of a log file's contents.
func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// awaitTunnel waits, checking every pause for up to timeout, until the
// tunnel's service reports Running (it brought the whole tunnel up) and
// its pipe answers. A service found Stopped has failed: waiting for the
// manager's restarts would only repeat the failure.
func awaitTunnel(ctx context.Context, timeout, pause time.Duration, query func() (service.State, error), pipeUp func() bool) error {
	deadline := time.Now().Add(timeout)
	last := service.State(0)
	for {
		st, err := query()
		if err != nil {
			return err
		}
		last = st
		switch {
		case st == service.Running && pipeUp():
			return nil
		case st == service.Stopped:
			return errors.New("the tunnel service stopped: the tunnel failed to come up")
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the tunnel did not come up within %v (service %s)", timeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}
