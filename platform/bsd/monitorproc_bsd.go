//go:build freebsd || openbsd

package bsd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

// StartMonitor starts the route monitor `wg-quick up` leaves behind, as
// upstream backgrounds a `route -n monitor` loop: this program again, as
// `SELF arg iface`, detached in a session of its own, with the JSON of
// its Endpoints state in the environment variable env.
func StartMonitor(arg, iface, env, state string) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("start route monitor: %w", err)
	}
	cmd := exec.Command(self, arg, iface)
	cmd.Env = append(os.Environ(), env+"="+state)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start route monitor: %w", err)
	}
	return cmd.Process.Release()
}

// MonitorProcess is the body of the process StartMonitor starts: it
// reads the state from env, opens the routing socket and, with the
// MonitorSystem newSys builds on it, keeps the endpoint routes pointing
// at the current default gateways until the interface goes away (or
// SIGINT/SIGTERM), then deletes them. newSys's cleanup runs at the end.
func MonitorProcess(env string, newSys func(rt *Conn) (sys MonitorSystem, cleanup func(), err error)) error {
	var st Endpoints
	if err := json.Unmarshal([]byte(os.Getenv(env)), &st); err != nil {
		return fmt.Errorf("%s: %w", env, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	rt, err := Dial()
	if err != nil {
		return err
	}
	sys, cleanup, err := newSys(rt)
	if err != nil {
		return err
	}
	defer cleanup()
	events, err := Watch(ctx)
	if err != nil {
		return err
	}
	RunMonitor(ctx, sys, st, events, nil)
	return nil
}
