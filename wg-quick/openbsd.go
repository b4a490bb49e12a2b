package wgquick

import (
	"fmt"
	"io"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/openbsd/quick"
	"github.com/wgshim/wgshim/wg-quick/config"
)

// This file hands wg-quick over to platform/openbsd/quick on OpenBSD,
// which plans and performs everything itself (wgN picked by
// description, resolvd, route monitor). Only the command line, the
// configuration search and loading are shared with the other flows.

// OpenBSDHost is the system the OpenBSD flow works on: *quick.Host, or a
// test double.
type OpenBSDHost interface {
	quick.Executor
	GatherUp(c *config.Config, wc *wgtypes.Config) (*quick.Facts, error)
	GatherDown(c *config.Config) (*quick.Facts, error)
	Close() error
}

// newOpenBSDHost is quick.NewHost as an OpenBSDHost (never a typed nil).
func newOpenBSDHost(stdout, stderr io.Writer) (OpenBSDHost, error) {
	h, err := quick.NewHost(stdout, stderr)
	if err != nil {
		return nil, err
	}
	return h, nil
}

// mainOpenBSD is Main's up, down and save for the loaded configuration c
// on OpenBSD. The warnings of quick.Warnings are the Note steps at the
// head of the up plan, so they are printed by the runner, dry run or
// not.
func mainOpenBSD(env Env, c *config.Config, cmd string, dryRun bool, die func(error) int) int {
	if cmd == "save" {
		return die(fmt.Errorf("save %s: saving the running configuration is not implemented on OpenBSD yet: %w", c.Name, errUnsupported))
	}
	if cmd == "up" {
		if err := quick.Check(c); err != nil {
			return die(err)
		}
	}
	open := env.OpenBSD
	if open == nil {
		open = newOpenBSDHost
	}
	h, err := open(env.Stdout, env.Stderr)
	if err != nil {
		return die(err)
	}
	defer h.Close()
	var plan []quick.Step
	switch cmd {
	case "up":
		wc, err := env.wgConfig(c)
		if err != nil {
			return die(err)
		}
		f, err := h.GatherUp(c, &wc)
		if err != nil {
			return die(err)
		}
		if plan, err = quick.PlanUp(c, &wc, f); err != nil {
			return die(err)
		}
	case "down":
		f, err := h.GatherDown(c)
		if err != nil {
			return die(err)
		}
		if plan, err = quick.PlanDown(c, f); err != nil {
			return die(err)
		}
	}
	run := &quick.Runner{Exec: h, Stderr: env.Stderr, DryRun: dryRun}
	if _, err := run.Run(env.Context, cmd, c.Name, plan); err != nil {
		return die(err)
	}
	return 0
}
