package wgquick

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/openbsd/quick"
	"github.com/wgshim/wgshim/wg-quick/config"
)

// Env is what Main takes from its process, so tests can run it in process.
type Env struct {
	Stdout, Stderr io.Writer
	// Context is cancelled on SIGINT/SIGTERM; `up` then unwinds.
	Context context.Context
	// Geteuid is os.Geteuid.
	Geteuid func() int
	// NewHost opens the system to work on (NewHost, or a Fake).
	NewHost func(stdout, stderr io.Writer) (Host, error)
	// Resolver resolves endpoint host names; nil is the system resolver.
	Resolver config.Resolver
	// GOOS picks the configuration search path; empty is runtime.GOOS.
	// "windows" runs wg-quick's Windows flow (windows.go).
	GOOS string
	// Windows is the system the Windows flow works on; nil is the live
	// one (NewWindowsHost).
	Windows WindowsHost
	// FreeBSD opens the system the FreeBSD flow ("freebsd") works on;
	// nil is the live one (NewFreeBSDHost).
	FreeBSD func(stdout, stderr io.Writer) (FreeBSDHost, error)
	// OpenBSD opens the system the OpenBSD flow ("openbsd", handed to
	// platform/openbsd/quick) works on; nil is the live one
	// (quick.NewHost).
	OpenBSD func(stdout, stderr io.Writer) (OpenBSDHost, error)
}

// Flow is the implementation of wg-quick a GOOS gets.
type Flow uint8

const (
	FlowLinux   Flow = iota // ip(8)-style plans on a Host (Linux, and the error elsewhere)
	FlowWindows             // a tunnel service (windows.go)
	FlowFreeBSD             // PlanUpFreeBSD on a FreeBSDHost
	FlowOpenBSD             // platform/openbsd/quick
)

// FlowFor returns the flow Main runs for goos.
func FlowFor(goos string) Flow {
	switch goos {
	case "windows":
		return FlowWindows
	case "freebsd":
		return FlowFreeBSD
	case "openbsd":
		return FlowOpenBSD
	}
	return FlowLinux
}

// Hidden returns the main of the hidden command args[1] names (the route
// monitors wg-quick up starts on FreeBSD and OpenBSD, run as `wg-quick
// __freebsd-route-monitor IFACE`), or nil if args is an ordinary
// command line. The returned function takes args[1:]. A monitor of
// another OS just fails with errors.ErrUnsupported.
func Hidden(args []string) func(args []string) int {
	if len(args) < 2 {
		return nil
	}
	switch args[1] {
	case quick.MonitorArg:
		return quick.MonitorMain
	case FreeBSDMonitorArg:
		return FreeBSDMonitorMain
	}
	return nil
}

// OSEnv is the process's real environment.
func OSEnv(ctx context.Context) Env {
	return Env{Stdout: os.Stdout, Stderr: os.Stderr, Context: ctx, Geteuid: os.Geteuid, NewHost: NewHost}
}

func usage(w io.Writer, prog string) {
	fmt.Fprintf(w, `Usage: %[1]s [ up | down | save | strip ] [ CONFIG_FILE | INTERFACE ]
       %[1]s convert CONFIG_FILE
       %[1]s --dry-run [ up | down | save ] [ CONFIG_FILE | INTERFACE ]

  CONFIG_FILE is a configuration file, whose filename is the interface name
  followed by `+"`.conf' (or `.toml' for the TOML format)"+`. Otherwise, INTERFACE is
  an interface name, with configuration found at
  /etc/wireguard/INTERFACE.toml or /etc/wireguard/INTERFACE.conf. It is to be
  readable by wg(8)'s `+"`setconf'"+` sub-command, with the exception of the
  following additions to the [Interface] section, which are handled by %[1]s:

  - Address: may be specified one or more times and contains one or more
    IP addresses (with an optional CIDR mask) to be set for the interface.
  - DNS: an optional DNS server to use while the device is up.
  - MTU: an optional MTU for the interface; if unspecified, auto-calculated.
  - Table: an optional routing table to which routes will be added; if
    unspecified or `+"`auto'"+`, the default table is used. If `+"`off'"+`, no routes
    are added.
  - PreUp, PostUp, PreDown, PostDown: script snippets which will be executed
    by bash(1) at the corresponding phases of the link, most commonly used
    to configure DNS. The string `+"`%%i'"+` is expanded to INTERFACE.
  - SaveConfig: if set to `+"`true'"+`, the configuration is saved from the current
    state of the interface upon shutdown.

  `+"`convert'"+` prints CONFIG_FILE in the other format (.conf <-> .toml).
  `+"`--dry-run'"+` prints the commands that would run, and runs none.

See wg-quick(8) for more info and examples.
`, prog)
}

// exitStatus is the status Main returns for err: that of the failed hook
// or command (anything with an ExitCode method, like *exec.ExitError), or 1.
func exitStatus(err error) int {
	var ee interface{ ExitCode() int }
	if errors.As(err, &ee) && ee.ExitCode() > 0 {
		return ee.ExitCode()
	}
	return 1
}

// Main runs wg-quick with args (args[0] is the program name) and returns
// the exit status: 0 on success, 1 on errors, or the status of a failed
// hook or command.
func Main(args []string, env Env) int {
	prog := "wg-quick"
	if len(args) > 0 && args[0] != "" {
		prog = filepath.Base(args[0])
	}
	if env.Context == nil {
		env.Context = context.Background()
	}
	if env.GOOS == "" {
		env.GOOS = runtime.GOOS
	}
	die := func(err error) int {
		for _, l := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(env.Stderr, "%s: %s\n", prog, l)
		}
		return exitStatus(err)
	}

	var rest []string
	dryRun := false
	for _, a := range args[1:] {
		if a == "--dry-run" {
			dryRun = true
			continue
		}
		rest = append(rest, a)
	}
	if len(rest) == 1 && !dryRun && (rest[0] == "-h" || rest[0] == "--help" || rest[0] == "help") {
		usage(env.Stderr, prog)
		return 0
	}
	if len(rest) != 2 {
		usage(env.Stderr, prog)
		return 1
	}
	cmd, arg := rest[0], rest[1]
	switch {
	case cmd == "convert" && !dryRun:
		return convert(env, arg, die)
	case cmd == "up" || cmd == "down" || cmd == "save" || cmd == "strip" && !dryRun:
	default:
		usage(env.Stderr, prog)
		return 1
	}
	flow := FlowFor(env.GOOS)
	if flow == FlowWindows {
		return mainWindows(env, prog, cmd, arg, dryRun, die)
	}
	if env.Geteuid != nil && env.Geteuid() != 0 && !dryRun {
		return die(fmt.Errorf("%s must be run as root; try: sudo %s %s %s", prog, prog, cmd, arg))
	}

	c, err := load(env, arg)
	if err != nil {
		return die(err)
	}
	if cmd == "strip" {
		if err := config.WriteStrip(env.Stdout, c); err != nil {
			return die(err)
		}
		return 0
	}
	if cmd == "up" {
		if err := refuseKillSwitch(c, env.GOOS); err != nil {
			return die(err)
		}
	}
	switch flow {
	case FlowFreeBSD:
		return mainFreeBSD(env, c, cmd, dryRun, die)
	case FlowOpenBSD:
		return mainOpenBSD(env, c, cmd, dryRun, die)
	}

	h, err := env.NewHost(env.Stdout, env.Stderr)
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
		tname := ""
		if t := c.Interface.Table; t != nil && t.V.Mode == config.TableName {
			tname = t.V.Name
		}
		f, err := GatherUp(h, c.Name, &wc, tname, NeedsDefaultRoute(c))
		if err != nil {
			return die(err)
		}
		if plan, err = PlanUp(c, &wc, f); err != nil {
			return die(err)
		}
	case "down", "save":
		f, err := GatherDown(h, c.Name)
		if err != nil {
			return die(err)
		}
		if cmd == "down" {
			plan, err = PlanDown(c, f)
		} else {
			plan, err = PlanSave(c, f)
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

// wgConfig is c.WGConfig, endpoints resolved with env's resolver.
func (env Env) wgConfig(c *config.Config) (wgtypes.Config, error) {
	r := env.Resolver
	if r == nil {
		r = config.NetResolver{}
	}
	return c.WGConfig(env.Context, r)
}

// load finds, checks and reads the configuration for arg, with key files
// loaded; it prints the world-accessible warning.
func load(env Env, arg string) (*config.Config, error) {
	path, err := config.Find(arg, env.GOOS)
	if err != nil {
		return nil, err
	}
	if _, err := config.InterfaceName(path); err != nil {
		return nil, errors.New("The config file must be a valid interface name, followed by .conf or .toml")
	}
	canon, err := filepath.EvalSymlinks(path)
	if err == nil {
		canon, err = filepath.Abs(canon)
	}
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	// The name comes from the argument's file name, as upstream takes it
	// before resolving symlinks.
	name, _ := config.InterfaceName(path)
	if fi, err := os.Stat(canon); err == nil {
		if di, err := os.Stat(filepath.Dir(canon)); err == nil {
			if w := config.WorldAccessibleWarning(canon, fi.Mode(), di.Mode()); w != "" {
				fmt.Fprintln(env.Stderr, w)
			}
		}
	}
	c, err := config.Load(canon)
	if err != nil {
		return nil, err
	}
	c.Name = name
	if err := c.LoadKeyFiles(os.ReadFile); err != nil {
		return nil, err
	}
	return c, nil
}

// convert prints the configuration file in the other format.
func convert(env Env, path string, die func(error) int) int {
	src, err := os.ReadFile(path)
	if err != nil {
		return die(fmt.Errorf("convert: %w", err))
	}
	from, to := config.INI, config.TOML
	if config.FormatOf(path) == config.TOML {
		from, to = config.TOML, config.INI
	}
	out, err := config.Convert(path, src, from, to)
	if err != nil {
		return die(err)
	}
	if _, err := env.Stdout.Write(out); err != nil {
		return die(fmt.Errorf("convert: %w", err))
	}
	return 0
}

// refuseKillSwitch fails "up" for a configuration asking for a kill switch
// on an OS where wg-quick cannot build one: a tunnel that silently leaks
// is worse than one that does not start.
func refuseKillSwitch(c *config.Config, goos string) error {
	k := c.Interface.KillSwitch
	if k == nil || !k.V {
		return nil
	}
	return fmt.Errorf("%s: [Interface]: KillSwitch: not available on %s (only on Windows); remove it and block untunnelled traffic with PostUp firewall rules", k.Pos, goos)
}
