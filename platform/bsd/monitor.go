package bsd

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
)

// MonitorSystem is what the route monitor needs from the host.
type MonitorSystem interface {
	// IfaceExists reports whether the tunnel interface is still there.
	IfaceExists() (bool, error)
	// Gateways are the current default routers.
	Gateways() (Gateways, error)
	// Endpoints are the peers' current endpoint addresses.
	Endpoints() ([]netip.Addr, error)
	// AddRoute and DeleteRoute change the routing table.
	AddRoute(Route) error
	DeleteRoute(Route) error
}

// Apply deletes then adds the routes of ch. Like upstream (`|| true`) a
// failure does not stop the others; the errors are returned joined.
func Apply(sys MonitorSystem, ch Changes) error {
	var errs []error
	for _, r := range ch.Delete {
		if err := sys.DeleteRoute(r); err != nil {
			errs = append(errs, fmt.Errorf("delete route %s: %w", r.Dst, err))
		}
	}
	for _, r := range ch.Add {
		if err := sys.AddRoute(r); err != nil {
			errs = append(errs, fmt.Errorf("add route %s: %w", r.AddCommand(), err))
		}
	}
	return errors.Join(errs...)
}

// RunMonitor is the route monitor (upstream's monitor_daemon): after every
// routing message on events it calls Handle, and stops when Handle says
// the interface is gone, when events is closed or when ctx is done. It
// then deletes the endpoint routes it manages and returns the final
// state. Failures are reported to logf and do not stop it, as upstream
// ignores them.
func RunMonitor(ctx context.Context, sys MonitorSystem, st Endpoints, events <-chan struct{}, logf func(string, ...any)) (final Endpoints) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	defer func() {
		if err := Apply(sys, Changes{Delete: final.Cleanup()}); err != nil {
			logf("route monitor: cleanup: %v", err)
		}
		final.Routes = nil
	}()
	for {
		select {
		case <-ctx.Done():
			return st
		case _, ok := <-events:
			if !ok {
				return st
			}
		}
		// A gateway change is a burst of messages: one pass covers them.
		drain(events)
		var (
			more bool
			err  error
		)
		st, more, err = Handle(sys, st)
		if err != nil {
			logf("route monitor: %v", err)
		}
		if !more {
			return st
		}
	}
}

func drain(events <-chan struct{}) {
	for {
		select {
		case _, ok := <-events:
			if !ok {
				return
			}
		default:
			return
		}
	}
}

// Handle is the monitor's reaction to one routing message: stop (more is
// false) if the interface no longer exists, else reconcile the endpoint
// routes when the tunnel took over a default route.
func Handle(sys MonitorSystem, st Endpoints) (next Endpoints, more bool, err error) {
	ok, err := sys.IfaceExists()
	if err != nil {
		return st, true, err
	}
	if !ok {
		return st, false, nil
	}
	if !st.Auto4 && !st.Auto6 {
		return st, true, nil
	}
	next, _, err = Step(sys, st)
	return next, true, err
}

// Step is one reconciliation: read gateways and endpoints, compute and
// apply the changes. On a read error nothing changes.
func Step(sys MonitorSystem, st Endpoints) (Endpoints, Changes, error) {
	gw, err := sys.Gateways()
	if err != nil {
		return st, Changes{}, fmt.Errorf("default gateways: %w", err)
	}
	eps, err := sys.Endpoints()
	if err != nil {
		return st, Changes{}, fmt.Errorf("endpoints: %w", err)
	}
	next, ch := st.Reconcile(gw, eps)
	return next, ch, Apply(sys, ch)
}
