package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/wgshim/wgshim/core"
	"github.com/wgshim/wgshim/core/conn"
	"github.com/wgshim/wgshim/core/tun"
	"github.com/wgshim/wgshim/platform/windows"
	winbind "github.com/wgshim/wgshim/platform/windows/bind"
	"github.com/wgshim/wgshim/platform/windows/pipe"
	"github.com/wgshim/wgshim/platform/windows/service"
	wgquick "github.com/wgshim/wgshim/wg-quick"
	"github.com/wgshim/wgshim/wg-quick/config"
)

const osName = "Windows"

// osMain handles the Windows command line, where there is no fork: a
// tunnel runs in the foreground of an elevated prompt, or as a service.
// ARG is a wg-quick configuration file (a path, or a name ending in .conf
// or .toml: the tunnel is named after the file) or a bare tunnel name (the
// engine alone, configured later with wg setconf).
//
//	wgshim [-f] ARG                    run ARG until Ctrl-C
//	wgshim /installtunnelservice ARG   register and start ARG's service
//	wgshim /uninstalltunnelservice ARG stop and delete it
//	wgshim /tunnelservice ARG          what the service manager runs
func osMain(env Env) (int, bool) {
	args := env.Args[1:]
	if len(args) != 2 || len(args[0]) == 0 || args[0][0] != '/' {
		if len(args) == 1 && args[0] != "" && args[0][0] != '-' {
			return runForeground(env, args[0]), true
		}
		if len(args) == 2 && (args[0] == "-f" || args[0] == "--foreground") {
			return runForeground(env, args[1]), true
		}
		return 0, false
	}
	arg := args[1]
	fail := func(err error) (int, bool) {
		fmt.Fprintf(env.Stderr, "wgshim: %s %s: %v\n", args[0], arg, err)
		return 1, true
	}
	switch args[0] {
	case "/installtunnelservice":
		exe, err := os.Executable()
		if err != nil {
			return fail(err)
		}
		if wgquick.IsConfigPath(arg) {
			// The service runs elsewhere: give it an absolute path,
			// and refuse a file it could not use now rather than
			// have it fail at every start.
			if arg, err = filepath.Abs(arg); err != nil {
				return fail(err)
			}
			if _, err := wgquick.LoadWindows(arg); err != nil {
				return fail(err)
			}
		}
		spec, err := wgquick.ServiceSpec(exe, arg)
		if err != nil {
			return fail(err)
		}
		if err := service.Install(spec); err != nil {
			return fail(err)
		}
		return 0, true
	case "/uninstalltunnelservice":
		name, err := wgquick.TunnelName(arg)
		if err != nil {
			return fail(err)
		}
		if err := service.Uninstall(name); err != nil {
			return fail(err)
		}
		return 0, true
	case "/tunnelservice":
		name, err := wgquick.TunnelName(arg)
		if err != nil {
			return fail(err)
		}
		if err := runService(env, name, arg); err != nil {
			return fail(err)
		}
		return 0, true
	}
	return 0, false
}

// runService is the tunnel service. With a configuration file it owns
// the whole tunnel (windows.RunTunnel) and logs to windows.LogPath;
// otherwise it runs the bare engine.
func runService(env Env, name, arg string) error {
	if !wgquick.IsConfigPath(arg) {
		log := core.NewLogger(env.Stdout, logLevel(env.Getenv(envLogLevel)), fmt.Sprintf("(%s) ", name))
		return service.Run(name, func(ready func(), stop <-chan struct{}) error {
			return runBare(name, pipe.SDDL, log, ready, stop)
		})
	}
	var w io.Writer = io.Discard
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	path := windows.LogPath(filepath.Dir(exe), name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
		if f, err := os.Create(path); err == nil {
			defer f.Close()
			w = f
		}
	}
	level := core.LogVerbose
	if s := env.Getenv(envLogLevel); s != "" {
		level = logLevel(s)
	}
	log := core.NewLogger(w, level, fmt.Sprintf("(%s) ", name))
	return service.Run(name, func(ready func(), stop <-chan struct{}) error {
		return runConfig(arg, pipe.SDDL, log, ready, stop)
	})
}

// runConfig loads the configuration at path and runs its tunnel.
func runConfig(path, sddl string, log *core.Logger, ready func(), stop <-chan struct{}) error {
	c, err := wgquick.LoadWindows(path)
	if err != nil {
		log.Errorf("%v", err)
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	wc, err := wgquick.ResolveWindows(ctx, c, config.NetResolver{}, 10, 2*time.Second)
	if err != nil {
		log.Errorf("%v", err)
		return err
	}
	hooks := windows.HooksEnabled()
	for _, w := range wgquick.WindowsWarnings(c, hooks) {
		log.Verbosef("[!] %s", w)
	}
	t := wgquick.WindowsTunnel(c, &wc, hooks)
	return windows.RunTunnel(t, windows.TunnelOptions{PipeSDDL: sddl, Logger: log}, ready, stop)
}

// runBare runs the engine alone until stop.
func runBare(name, sddl string, log *core.Logger, ready func(), stop <-chan struct{}) error {
	d, err := windows.StartDaemon(name, windows.DaemonOptions{PipeSDDL: sddl, Logger: log})
	if err != nil {
		return err
	}
	ready()
	select {
	case <-stop:
	case <-d.Done():
		d.Close()
		return errors.New("tunnel stopped")
	}
	return d.Close()
}

// runForeground runs the tunnel of arg until Ctrl-C, with a pipe owned by
// Administrators (a LocalSystem owner needs the service).
func runForeground(env Env, arg string) int {
	name, err := wgquick.TunnelName(arg)
	if err != nil {
		fmt.Fprintf(env.Stderr, "wgshim: %v\n", err)
		return 1
	}
	level := logLevel(env.Getenv(envLogLevel))
	if wgquick.IsConfigPath(arg) && env.Getenv(envLogLevel) == "" {
		level = core.LogVerbose // the tunnel's steps
	}
	log := core.NewLogger(env.Stdout, level, fmt.Sprintf("(%s) ", name))
	stop := make(chan struct{})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() { <-sigs; close(stop) }()
	ready := func() {}
	if wgquick.IsConfigPath(arg) {
		err = runConfig(arg, pipe.SDDLAdmin, log, ready, stop)
	} else {
		err = runBare(name, pipe.SDDLAdmin, log, ready, stop)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "wgshim: %v\n", err)
		return 1
	}
	return 0
}

// The Unix path of Main is not used on Windows; these satisfy it.
func openTUN(name, fdEnv string) (tun.Device, error) { return nil, errors.ErrUnsupported }
func newBind() conn.Bind                             { return winbind.New() }
func kernelHasWireGuard() bool                       { return false }
func detachAttr() *syscall.SysProcAttr               { return &syscall.SysProcAttr{} }
