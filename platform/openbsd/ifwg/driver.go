package ifwg

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform"
	"github.com/wgshim/wgshim/platform/openbsd/wgio"
)

// system is what the driver needs from the OS; sys_openbsd.go implements
// it with a datagram socket, tests with a simulated kernel. Errors are
// syscall.Errno values.
type system interface {
	wgIoctl(req uintptr, io *wgio.DataIO) error
	create(name string) error                // SIOCIFCREATE
	destroy(name string) error               // SIOCIFDESTROY
	setDescription(name, descr string) error // SIOCSIFDESCR
	description(name string) (string, error) // SIOCGIFDESCR
	groupMembers(group string) ([]string, error)
	close() error
}

// group is the interface group every wg(4) interface joins.
const group = "wg"

// createAttempts bounds the retries when another process takes the wgN
// picked for a configuration first.
const createAttempts = 16

// Driver provides wg(4) links. It implements platform.Driver.
type Driver struct {
	layout wgio.Layout
	err    error // why this driver cannot work here, if it cannot
	open   func() (system, error)
}

var _ platform.Driver = (*Driver)(nil)

// Kind reports wgtypes.OpenBSDKernel.
func (*Driver) Kind() wgtypes.DeviceType { return wgtypes.OpenBSDKernel }

// Layout is the wg_peer_io layout chosen for the running kernel.
func (d *Driver) Layout() wgio.Layout { return d.layout }

func (d *Driver) sys() (system, error) {
	if d.err != nil {
		return nil, d.err
	}
	return d.open()
}

// Create makes a wg(4) interface. A unit name ("wg3") is created as is
// (the error wraps os.ErrExist if it exists). Any other name is a
// configuration name and goes through CreateConfig.
func (d *Driver) Create(name string) (platform.Link, error) {
	if !IsUnitName(name) {
		return d.CreateConfig(name)
	}
	s, err := d.sys()
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	if err := s.create(name); err != nil {
		s.close()
		return nil, fmt.Errorf("create %s: %w", name, createErr(err))
	}
	return &Link{name: name, s: s, layout: d.layout}, nil
}

// CreateConfig makes the interface of wg-quick configuration name, as
// wg-quick(8) does on OpenBSD: it fails (wrapping os.ErrExist) if a wgN
// already carries the description "wg-quick: NAME", else creates the
// lowest wgN not in the "wg" group, retrying with the next one if
// another process takes it first, and sets that description. This
// applies to names like "wg0" too: configuration wg0 may get wg1.
func (d *Driver) CreateConfig(name string) (platform.Link, error) {
	if !ValidConfigName(name) {
		return nil, fmt.Errorf("create %s: %w", name, checkName(name))
	}
	s, err := d.sys()
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	unit, err := createConfig(s, name)
	if err != nil {
		s.close()
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	return &Link{name: unit, s: s, layout: d.layout}, nil
}

func createConfig(s system, name string) (string, error) {
	ifaces, err := listIfaces(s)
	if err != nil {
		return "", err
	}
	if real, ok := FindByDescription(ifaces, name); ok {
		return "", fmt.Errorf("already exists as %s: %w", real, os.ErrExist)
	}
	taken := make([]string, 0, len(ifaces))
	for _, i := range ifaces {
		taken = append(taken, i.Name)
	}
	for range createAttempts {
		unit, err := PickUnit(taken)
		if err != nil {
			return "", err
		}
		err = s.create(unit)
		if errors.Is(err, syscall.EEXIST) {
			// Taken meanwhile, or a wgN outside the "wg" group.
			taken = append(taken, unit)
			continue
		}
		if err != nil {
			return "", fmt.Errorf("SIOCIFCREATE %s: %w", unit, createErr(err))
		}
		if err := s.setDescription(unit, Description(name)); err != nil {
			if derr := s.destroy(unit); derr != nil {
				return "", fmt.Errorf("SIOCSIFDESCR %s: %w (and destroying it again failed: %v)", unit, err, derr)
			}
			return "", fmt.Errorf("SIOCSIFDESCR %s: %w", unit, err)
		}
		return unit, nil
	}
	return "", fmt.Errorf("SIOCIFCREATE: every wgN tried was taken (%d attempts)", createAttempts)
}

// createErr explains the errnos of SIOCIFCREATE.
func createErr(err error) error {
	switch {
	case errors.Is(err, syscall.EEXIST):
		return osErr{"interface already exists", os.ErrExist, err}
	case errors.Is(err, syscall.EINVAL):
		return fmt.Errorf("%w (no wg interface cloner: is this kernel built without pseudo-device wg?)", err)
	}
	return err
}

// Open returns the existing wg(4) interface name: a unit name as is, any
// other name through OpenConfig. The error wraps os.ErrNotExist if there
// is no such interface or it is not wg(4).
func (d *Driver) Open(name string) (platform.Link, error) {
	if !IsUnitName(name) {
		return d.OpenConfig(name)
	}
	s, err := d.sys()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	l := &Link{name: name, s: s, layout: d.layout}
	if _, err := l.get(); err != nil {
		s.close()
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	return l, nil
}

// OpenConfig returns the interface of wg-quick configuration name: the
// wgN whose description is "wg-quick: NAME".
func (d *Driver) OpenConfig(name string) (platform.Link, error) {
	if !ValidConfigName(name) {
		return nil, fmt.Errorf("open %s: %w", name, checkName(name))
	}
	s, err := d.sys()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	ifaces, err := listIfaces(s)
	if err != nil {
		s.close()
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	unit, ok := FindByDescription(ifaces, name)
	if !ok {
		s.close()
		return nil, fmt.Errorf("open %s: no wg interface has the description %q: %w", name, Description(name), os.ErrNotExist)
	}
	l := &Link{name: unit, s: s, layout: d.layout}
	if _, err := l.get(); err != nil {
		s.close()
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	return l, nil
}

// List names the members of the "wg" interface group (SIOCGIFGMEMB),
// which is what `wg show interfaces` lists on OpenBSD.
func (d *Driver) List() ([]string, error) {
	s, err := d.sys()
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	defer s.close()
	names, err := s.groupMembers(group)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	return names, nil
}

// listIfaces returns the wg group's members with their descriptions. An
// interface destroyed between the two steps is left out.
func listIfaces(s system) ([]Iface, error) {
	names, err := s.groupMembers(group)
	if err != nil {
		return nil, err
	}
	ifaces := make([]Iface, 0, len(names))
	for _, n := range names {
		descr, err := s.description(n)
		if errors.Is(err, syscall.ENXIO) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("SIOCGIFDESCR %s: %w", n, err)
		}
		ifaces = append(ifaces, Iface{Name: n, Description: descr})
	}
	return ifaces, nil
}

// Interfaces lists the wg(4) interfaces with their descriptions, what
// wg-quick(8) scans to map configuration names to wgN.
func (d *Driver) Interfaces() ([]Iface, error) {
	s, err := d.sys()
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	defer s.close()
	ifaces, err := listIfaces(s)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	return ifaces, nil
}
