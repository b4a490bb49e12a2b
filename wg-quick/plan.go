package wgquick

import (
	"errors"
	"fmt"

	"github.com/wgshim/wgshim/wg-quick/config"
)

// The frame of upstream's cmd_up, cmd_down and cmd_save that the Linux
// (planlinux.go), FreeBSD (freebsd.go) and Windows (windows.go) planners
// share. What happens between the hooks is each OS's own.

// ErrAlreadyExists and ErrNotWireGuard are wrapped by the plan errors for
// an interface that exists (up) or is not a WireGuard interface (down, save).
var (
	ErrAlreadyExists = errors.New("already exists")
	ErrNotWireGuard  = errors.New("is not a WireGuard interface")
)

// errAlreadyExists is upstream's "`IFACE' already exists".
func errAlreadyExists(iface string) error { return fmt.Errorf("`%s' %w", iface, ErrAlreadyExists) }

// errNotWireGuard is upstream's "`IFACE' is not a WireGuard interface".
func errNotWireGuard(iface string) error { return fmt.Errorf("`%s' %w", iface, ErrNotWireGuard) }

// opHooks are the Hook ops of hooks (PreUp, PostUp, PreDown or PostDown)
// on iface, in order.
func opHooks(iface string, hooks []config.Value[string]) []Op {
	var ops []Op
	for _, h := range hooks {
		ops = append(ops, opHook(iface, h.V, h.Pos))
	}
	return ops
}

// planMTU is the MTU set_mtu_up sets: the MTU key with its position,
// else detected, the OS's guess from the routes.
func planMTU(in *config.Interface, detected int) (int, config.Pos) {
	if in.MTU != nil {
		return in.MTU.V, in.MTU.Pos
	}
	return detected, config.Pos{}
}

// downHead is the start of cmd_down: the PreDown hooks, then save_config
// when SaveConfig is true, before the interface goes.
func downHead(c *config.Config, iface string) []Op {
	plan := opHooks(iface, c.Interface.PreDown)
	if s := c.Interface.SaveConfig; s != nil && s.V {
		plan = append(plan, opSaveConfig(iface, c))
	}
	return plan
}
