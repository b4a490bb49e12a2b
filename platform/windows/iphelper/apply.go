package iphelper

import (
	"errors"
	"fmt"
	"net/netip"
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

// apply configures the interface luid all or nothing: on error every change
// already made is undone and the error says which step failed. On success
// undo reverts everything, in reverse order, and reports all its errors.
// The plan is returned for the caller to print and to re-plan against.
func apply(sys system, luid uint64, cfg Config) (undo func() error, plan RoutePlan, err error) {
	var undos []func() error
	rollback := func() error {
		var errs []error
		for i := len(undos) - 1; i >= 0; i-- {
			if err := undos[i](); err != nil {
				errs = append(errs, err)
			}
		}
		undos = nil
		return errors.Join(errs...)
	}
	fail := func(err error) (func() error, RoutePlan, error) {
		if uerr := rollback(); uerr != nil {
			err = fmt.Errorf("%w (undo: %v)", err, uerr)
		}
		return nil, RoutePlan{}, err
	}

	// The underlay routes are read before any tunnel route exists.
	if !cfg.NoRoutes {
		sysRoutes, err := sys.Routes()
		if err != nil {
			return fail(fmt.Errorf("read routes: %w", err))
		}
		plan = PlanRoutes(cfg.AllowedIPs, cfg.Endpoints, sysRoutes, luid)
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
		undos = append(undos, func() error { return sys.AddAddress(luid, p) })
	}
	for _, p := range add {
		if err := sys.AddAddress(luid, p); err != nil {
			return fail(fmt.Errorf("add address %s: %w", p, err))
		}
		undos = append(undos, func() error { return sys.DeleteAddress(luid, p) })
	}

	for _, s := range InterfaceSettings(cfg.MTU, plan) {
		restore, err := sys.SetInterface(luid, s)
		if err != nil {
			return fail(fmt.Errorf("set %s interface (mtu %d): %w", s.Family, s.MTU, err))
		}
		if restore != nil {
			undos = append(undos, restore)
		}
	}

	for _, r := range plan.Routes {
		if err := sys.AddRoute(luid, r); err != nil {
			return fail(fmt.Errorf("add route %s: %w", r, err))
		}
		undos = append(undos, func() error { return sys.DeleteRoute(luid, r) })
	}

	if len(cfg.DNS) > 0 {
		for _, f := range DNSSettings(cfg.DNS, cfg.DNSSearch) {
			if err := sys.SetDNS(luid, f); err != nil {
				return fail(fmt.Errorf("set %s DNS %q: %w", f.Family, f.NameServer, err))
			}
			empty := DNSFamily{Family: f.Family, Flags: f.Flags}
			undos = append(undos, func() error { return sys.SetDNS(luid, empty) })
		}
	}
	return rollback, plan, nil
}

// KillSwitch would block all traffic outside the tunnel with WFP filters
// (what wireguard-windows does for a /0 peer). It is not implemented.
func KillSwitch(luid uint64) error {
	return fmt.Errorf("iphelper: kill switch (WFP filters): %w", errors.ErrUnsupported)
}
