package daemon

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/wgshim/wgshim/core"
	"github.com/wgshim/wgshim/core/conn"
	"github.com/wgshim/wgshim/core/tun"
	"github.com/wgshim/wgshim/platform/windows"
	"github.com/wgshim/wgshim/platform/windows/pipe"
	"github.com/wgshim/wgshim/platform/windows/service"
)

const osName = "Windows"

// osMain handles the Windows command line, where there is no fork: a
// tunnel runs in the foreground of an elevated prompt, or as a service.
//
//	wgshim [-f] NAME                    run NAME until Ctrl-C
//	wgshim /installtunnelservice NAME   register and start NAME's service
//	wgshim /uninstalltunnelservice NAME stop and delete it
//	wgshim /tunnelservice NAME          what the service manager runs
func osMain(env Env) (int, bool) {
	args := env.Args[1:]
	if len(args) != 2 || len(args[0]) == 0 || args[0][0] != '/' {
		if len(args) == 1 && args[0] != "" && args[0][0] != '-' {
			return runForeground(env, args[0], pipe.SDDLAdmin), true
		}
		if len(args) == 2 && (args[0] == "-f" || args[0] == "--foreground") {
			return runForeground(env, args[1], pipe.SDDLAdmin), true
		}
		return 0, false
	}
	name := args[1]
	fail := func(err error) (int, bool) {
		fmt.Fprintf(env.Stderr, "wgshim: %s %s: %v\n", args[0], name, err)
		return 1, true
	}
	switch args[0] {
	case "/installtunnelservice":
		exe, err := os.Executable()
		if err != nil {
			return fail(err)
		}
		if err := service.Install(service.Spec{Tunnel: name, Exe: exe, Args: []string{"/tunnelservice", name}}); err != nil {
			return fail(err)
		}
		return 0, true
	case "/uninstalltunnelservice":
		if err := service.Uninstall(name); err != nil {
			return fail(err)
		}
		return 0, true
	case "/tunnelservice":
		log := core.NewLogger(env.Stdout, logLevel(env.Getenv(envLogLevel)), fmt.Sprintf("(%s) ", name))
		err := service.Run(name, func(ready func(), stop <-chan struct{}) error {
			d, err := windows.StartDaemon(name, windows.DaemonOptions{Logger: log})
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
		})
		if err != nil {
			return fail(err)
		}
		return 0, true
	}
	return 0, false
}

func runForeground(env Env, name, sddl string) int {
	log := core.NewLogger(env.Stdout, logLevel(env.Getenv(envLogLevel)), fmt.Sprintf("(%s) ", name))
	d, err := windows.StartDaemon(name, windows.DaemonOptions{PipeSDDL: sddl, Logger: log})
	if err != nil {
		fmt.Fprintf(env.Stderr, "wgshim: %v\n", err)
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	select {
	case <-sigs:
	case <-d.Done():
	}
	if err := d.Close(); err != nil {
		fmt.Fprintf(env.Stderr, "wgshim: %v\n", err)
		return 1
	}
	return 0
}

// The Unix path of Main is not used on Windows; these satisfy it.
func openTUN(name, fdEnv string) (tun.Device, error) { return nil, errors.ErrUnsupported }
func newBind() conn.Bind                             { return conn.NewStdBind() }
func kernelHasWireGuard() bool                       { return false }
func detachAttr() *syscall.SysProcAttr               { return &syscall.SysProcAttr{} }
