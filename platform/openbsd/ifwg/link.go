package ifwg

import (
	"fmt"
	"strings"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform"
	"github.com/wgshim/wgshim/platform/bsd/rollback"
	"github.com/wgshim/wgshim/platform/openbsd/wgio"
)

// Link is one wg(4) interface. It implements platform.Link. A Link holds
// one control socket; it is not safe for concurrent use.
type Link struct {
	name   string
	s      system
	layout wgio.Layout
}

var _ platform.Link = (*Link)(nil)

// Name returns the interface name, always a unit name (wgN).
func (l *Link) Name() string { return l.name }

// Get returns the interface's state (SIOCGWG). Without root the kernel
// reports only the listen port and routing table: no keys and no peers.
// The routing table of the tunnel's sockets is reported as FirewallMark.
func (l *Link) Get() (*wgtypes.Device, error) {
	d, err := l.get()
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", l.name, err)
	}
	return d, nil
}

func (l *Link) get() (*wgtypes.Device, error) {
	b, err := wgio.Get(l.s.wgIoctl, l.name)
	if err != nil {
		return nil, getErr(err)
	}
	d, err := wgio.ParseDevice(b, l.layout)
	if err != nil {
		return nil, err
	}
	d.Name, d.Type = l.name, wgtypes.OpenBSDKernel
	// wg-quick tags the wgN it picked with its configuration name; the
	// description is cosmetic, so failing to read it is not an error.
	if descr, err := l.s.description(l.name); err == nil {
		d.Alias, _ = strings.CutPrefix(descr, DescriptionPrefix)
		if d.Alias == descr {
			d.Alias = ""
		}
	}
	return d, nil
}

// Set applies cfg (see wgio.SetRequests for the mapping). wg(4) applies
// a request field by field and stops at the first error, and a change
// may take several requests, so when the kernel fails after it may have
// changed something, Set puts back the state read just before
// (wgio.RestoreRequests, sent by rollback.Send): on error the
// configuration is as before, though peers recreated by the restore have
// lost their sessions, counters and descriptions. The same snapshot
// feeds the RemoveAllowedIPs emulation and the own-key check.
func (l *Link) Set(cfg wgtypes.Config) error {
	if err := l.set(cfg); err != nil {
		return fmt.Errorf("set %s: %w", l.name, err)
	}
	return nil
}

func (l *Link) set(cfg wgtypes.Config) error {
	snap, err := l.get()
	if err != nil {
		return err
	}
	reqs, err := wgio.SetRequests(cfg, l.layout, snap)
	if err != nil {
		return err
	}
	send := func(req []byte) error {
		if err := wgio.Set(l.s.wgIoctl, l.name, req); err != nil {
			// setErr keeps the errno wrapped for mayBePartial.
			return setErr(err, &cfg)
		}
		return nil
	}
	return rollback.Send(reqs, send, mayBePartial, func() error { return l.restore(snap) })
}

func (l *Link) restore(snap *wgtypes.Device) error {
	reqs, err := wgio.RestoreRequests(snap, l.layout)
	if err != nil {
		return err
	}
	for _, req := range reqs {
		if err := wgio.Set(l.s.wgIoctl, l.name, req); err != nil {
			return err
		}
	}
	return nil
}

// Destroy removes the interface (SIOCIFDESTROY); its peers, addresses
// and routes go with it.
func (l *Link) Destroy() error {
	if err := l.s.destroy(l.name); err != nil {
		return fmt.Errorf("destroy %s: %w", l.name, getErr(err))
	}
	return nil
}

// Close releases the control socket; the interface stays.
func (l *Link) Close() error { return l.s.close() }
