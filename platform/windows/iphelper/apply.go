package iphelper

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
)

// Config is what Apply sets on a tunnel's IP interface.
type Config struct {
	// Addresses of the interface (wg-quick Address).
	Addresses []netip.Prefix
	// AllowedIPs of all peers: the routes wanted, unless NoRoutes.
	AllowedIPs []netip.Prefix
	// Endpoints are the peers' endpoint IPs, protected from routing loops.
	Endpoints []netip.Addr
	// NoRoutes adds no route at all (wg-quick Table = off).
	NoRoutes bool
	// MTU of both families; 0 keeps the current one.
	MTU int
	// DNS servers and search domains; nothing is set without a server
	// (as in wg-quick, search domains alone do nothing).
	DNS       []netip.Addr
	DNSSearch []string
}

// system is the IP Helper calls Apply makes; Windows implements it, tests
// record it. A Route's LUID 0 stands for the tunnel's luid.
type system interface {
	Routes() ([]SystemRoute, error)
	Addresses(luid uint64) ([]netip.Prefix, error)
	AddAddress(luid uint64, p netip.Prefix) error
	DeleteAddress(luid uint64, p netip.Prefix) error
	// SetInterface applies s and returns how to put the old values back.
	SetInterface(luid uint64, s Settings) (restore func() error, err error)
	AddRoute(luid uint64, r Route) error
	DeleteRoute(luid uint64, r Route) error
	SetDNS(luid uint64, f DNSFamily) error
}

// Applied is a configuration in effect on a tunnel's interface: Undo
// reverts it, Replan follows changes of the underlay and the endpoints.
// Its methods may be called from any goroutine.
type Applied struct {
	sys  system
	luid uint64
	cfg  Config

	mu     sync.Mutex
	plan   RoutePlan
	routes []Route // installed by us, in order
	undos  []func() error
}

// Plan is the route plan in effect.
func (a *Applied) Plan() RoutePlan {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.plan
}

// apply configures the interface luid all or nothing: on error every change
// already made is undone and the error says which step failed.
func apply(sys system, luid uint64, cfg Config) (*Applied, error) {
	a := &Applied{sys: sys, luid: luid, cfg: cfg}
	fail := func(err error) (*Applied, error) {
		if uerr := a.Undo(); uerr != nil {
			err = fmt.Errorf("%w (undo: %v)", err, uerr)
		}
		return nil, err
	}

	// The underlay routes are read before any tunnel route exists.
	if !cfg.NoRoutes {
		sysRoutes, err := sys.Routes()
		if err != nil {
			return fail(fmt.Errorf("read routes: %w", err))
		}
		a.plan = PlanRoutes(cfg.AllowedIPs, cfg.Endpoints, sysRoutes, luid)
	}

	cur, err := sys.Addresses(luid)
	if err != nil {
		return fail(fmt.Errorf("read addresses: %w", err))
	}
	del, add := DiffAddresses(cur, cfg.Addresses)
	for _, p := range del {
		if err := sys.DeleteAddress(luid, p); err != nil {
			return fail(fmt.Errorf("delete address %s: %w", p, err))
		}
		a.undos = append(a.undos, func() error { return sys.AddAddress(luid, p) })
	}
	for _, p := range add {
		if err := sys.AddAddress(luid, p); err != nil {
			return fail(fmt.Errorf("add address %s: %w", p, err))
		}
		a.undos = append(a.undos, func() error { return sys.DeleteAddress(luid, p) })
	}

	for _, s := range InterfaceSettings(cfg.MTU, a.plan) {
		restore, err := sys.SetInterface(luid, s)
		if err != nil {
			return fail(fmt.Errorf("set %s interface (mtu %d): %w", s.Family, s.MTU, err))
		}
		if restore != nil {
			a.undos = append(a.undos, restore)
		}
	}

	// Routes change under Replan: one undo step removes whatever is
	// installed when it runs.
	a.undos = append(a.undos, a.deleteRoutes)
	for _, r := range a.plan.Routes {
		if err := sys.AddRoute(luid, r); err != nil {
			return fail(fmt.Errorf("add route %s: %w", r, err))
		}
		a.routes = append(a.routes, r)
	}

	if len(cfg.DNS) > 0 {
		for _, f := range DNSSettings(cfg.DNS, cfg.DNSSearch) {
			if err := sys.SetDNS(luid, f); err != nil {
				return fail(fmt.Errorf("set %s DNS %q: %w", f.Family, f.NameServer, err))
			}
			empty := DNSFamily{Family: f.Family, Flags: f.Flags}
			a.undos = append(a.undos, func() error { return sys.SetDNS(luid, empty) })
		}
	}
	return a, nil
}

// deleteRoutes removes the routes we installed, newest first; a.mu held.
func (a *Applied) deleteRoutes() error {
	var errs []error
	for i := len(a.routes) - 1; i >= 0; i-- {
		if err := a.sys.DeleteRoute(a.luid, a.routes[i]); err != nil {
			errs = append(errs, fmt.Errorf("delete route %s: %w", a.routes[i], err))
		}
	}
	a.routes = nil
	return errors.Join(errs...)
}

// Undo reverts everything, newest change first, and reports every error.
// It is safe to call more than once.
func (a *Applied) Undo() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var errs []error
	for i := len(a.undos) - 1; i >= 0; i-- {
		if err := a.undos[i](); err != nil {
			errs = append(errs, err)
		}
	}
	a.undos = nil
	return errors.Join(errs...)
}

// Replan re-reads the route table and re-plans the routes for endpoints
// (the peers' current endpoint IPs), then applies only the differences:
// new routes first, so an endpoint is never without one, then the stale
// ones are deleted. Call it after the route table changed (WatchRoutes)
// or a peer roamed. Our own host routes are left out of the table read,
// so a route via a gateway that went away is not taken for the underlay.
func (a *Applied) Replan(endpoints []netip.Addr) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cfg.NoRoutes || a.undos == nil {
		return nil
	}
	sys, err := a.sys.Routes()
	if err != nil {
		return fmt.Errorf("replan: read routes: %w", err)
	}
	sys = slices.DeleteFunc(slices.Clone(sys), func(s SystemRoute) bool {
		return slices.Contains(a.routes, Route{Prefix: s.Prefix, LUID: s.LUID, NextHop: s.NextHop}) ||
			slices.ContainsFunc(a.routes, func(r Route) bool {
				// On-link routes read back with an unspecified next hop.
				return r.Prefix == s.Prefix && r.LUID == s.LUID && !r.NextHop.IsValid() && s.NextHop.IsUnspecified()
			})
	})
	plan := PlanRoutes(a.cfg.AllowedIPs, endpoints, sys, a.luid)
	del, add := DiffRoutes(a.routes, plan.Routes)
	for i, r := range add {
		if err := a.sys.AddRoute(a.luid, r); err != nil {
			var errs []error
			for _, done := range slices.Backward(add[:i]) {
				if derr := a.sys.DeleteRoute(a.luid, done); derr != nil {
					errs = append(errs, derr)
				}
			}
			err = fmt.Errorf("replan: add route %s: %w", r, err)
			if uerr := errors.Join(errs...); uerr != nil {
				err = fmt.Errorf("%w (undo: %v)", err, uerr)
			}
			return err
		}
	}
	a.routes = append(a.routes, add...)
	a.plan = plan
	var errs []error
	for _, r := range del {
		if err := a.sys.DeleteRoute(a.luid, r); err != nil {
			errs = append(errs, fmt.Errorf("replan: delete route %s: %w", r, err))
			continue
		}
		a.routes = slices.DeleteFunc(a.routes, func(x Route) bool { return x == r })
	}
	return errors.Join(errs...)
}
