package wgquick

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/host"
	"github.com/wgshim/wgshim/platform/linux/rtnl"
)

// linuxHost is the live Linux system.
type linuxHost struct {
	liveHost
	rc *rtnl.Conn
}

// NewHost returns the live Linux system; commands it runs write to stdout
// and stderr.
func NewHost(stdout, stderr io.Writer) (Host, error) {
	rc, err := rtnl.Dial()
	if err != nil {
		return nil, err
	}
	return &linuxHost{liveHost: newLiveHost(stdout, stderr), rc: rc}, nil
}

func (h *linuxHost) Close() error {
	h.closeLinks()
	return h.rc.Close()
}

// Prober.

func (h *linuxHost) LinkExists(name string) (bool, error) {
	_, err := h.rc.LinkByName(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func (h *linuxHost) WireGuardInterfaces() ([]string, error) { return host.List() }

func (h *linuxHost) Device(name string) (*wgtypes.Device, error) { return h.device(name) }

func (h *linuxHost) RouteMTU(dst netip.Addr) (int, error) { return h.rc.RouteMTU(dst) }

func (h *linuxHost) DefaultRouteMTU() (int, bool, error) {
	routes, err := h.rc.Routes(rtnl.IPv4, rtnl.TableMain)
	if err != nil {
		return 0, false, err
	}
	for _, r := range routes {
		if r.Dst.Bits() != 0 {
			continue
		}
		if r.MTU != 0 {
			return int(r.MTU), true, nil
		}
		if r.LinkIndex == 0 {
			return 0, false, nil
		}
		l, err := h.rc.LinkByIndex(r.LinkIndex)
		if err != nil {
			return 0, false, err
		}
		return l.MTU, true, nil
	}
	return 0, false, nil
}

func (h *linuxHost) UsedTables() (map[uint32]bool, error) {
	routes, err := h.rc.Routes(rtnl.FamilyAll, 0)
	if err != nil {
		return nil, err
	}
	m := map[uint32]bool{}
	for _, r := range routes {
		m[r.Table] = true
	}
	return m, nil
}

func (h *linuxHost) Rules(f rtnl.Family) ([]rtnl.Rule, error) { return h.rc.Rules(f) }

func sysctlPath(key string) string {
	return "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
}

func (h *linuxHost) Sysctl(key string) (string, error) {
	b, err := os.ReadFile(sysctlPath(key))
	return strings.TrimSpace(string(b)), err
}

func (h *linuxHost) Have(prog string) bool {
	_, err := exec.LookPath(prog)
	return err == nil
}

func (h *linuxHost) NftTables() ([]string, error) {
	out, err := output("nft", "list", "tables")
	if err != nil {
		return nil, err
	}
	var tables []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			tables = append(tables, l)
		}
	}
	return tables, nil
}

func (h *linuxHost) IptablesSave(tool string) (string, error) { return output(tool + "-save") }

// rtTables are the files naming routing tables, as iproute2 reads them.
var rtTables = []string{"/etc/iproute2/rt_tables", "/usr/share/iproute2/rt_tables", "/usr/lib/iproute2/rt_tables"}

func (h *linuxHost) TableID(name string) (uint32, error) {
	if id, ok := reservedTable(name); ok {
		return id, nil
	}
	files := append([]string(nil), rtTables...)
	for _, d := range rtTables {
		m, _ := filepath.Glob(d + ".d/*.conf")
		files = append(files, m...)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			w := strings.Fields(l)
			if len(w) >= 2 && w[1] == name && !strings.HasPrefix(w[0], "#") {
				if id, err := strconv.ParseUint(w[0], 0, 32); err == nil {
					return uint32(id), nil
				}
			}
		}
	}
	return 0, fmt.Errorf("table %q: not found in %s: %w", name, strings.Join(rtTables, ", "), fs.ErrNotExist)
}

// resolvedSocket exists while systemd-resolved runs.
const resolvedSocket = "/run/systemd/resolve/io.systemd.Resolve"

var interfaceOrderRE = regexp.MustCompile(`^([A-Za-z0-9-]+)\*$`)

func (h *linuxHost) DNS() (DNSBackend, string) {
	if _, err := os.Stat(resolvedSocket); err == nil && h.Have("resolvectl") {
		return Resolvectl, ""
	}
	path, err := exec.LookPath("resolvconf")
	if err != nil {
		return NoDNSBackend, ""
	}
	return Resolvconf, resolvconfPrefix(path)
}

// resolvconfPrefix is resolvconf_iface_prefix: with Debian's resolvconf
// (an interface-order file, and resolvconf not a symlink to another
// implementation) the first "name*" pattern gives "name.".
func resolvconfPrefix(path string) string {
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&fs.ModeSymlink != 0 {
		return ""
	}
	f, err := os.Open("/etc/resolvconf/interface-order")
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if m := interfaceOrderRE.FindStringSubmatch(strings.TrimSpace(s.Text())); m != nil {
			return m[1] + "."
		}
	}
	return ""
}

// Executor.

const missingModule = "[!] Missing WireGuard kernel module. Falling back to slow userspace implementation."

func (h *linuxHost) Do(ctx context.Context, op Op) (*Op, error) {
	switch op.Kind {
	case CreateLink:
		return op.Undo, h.createLink(op.Iface)
	case DeleteLink:
		return nil, h.deleteLink(op.Iface)
	case Hook:
		return nil, h.hook(ctx, "bash", op.Text)
	case SetConfig, SetFwMark:
		l, err := h.link(op.Iface)
		if err != nil {
			return nil, err
		}
		cfg := wgtypes.Config{FirewallMark: &op.Mark}
		if op.Kind == SetConfig {
			cfg = *op.Config
		}
		return op.Undo, l.Set(cfg)
	case AddAddress:
		return op.Undo, h.rc.AddAddress(op.Iface, op.Prefix)
	case DeleteAddress:
		return nil, h.rc.DeleteAddress(op.Iface, op.Prefix)
	case SetMTUUp:
		if err := h.rc.SetLinkMTU(op.Iface, op.MTU); err != nil {
			return nil, err
		}
		return nil, h.rc.SetLinkUp(op.Iface)
	case AddRoute, DeleteRoute:
		l, err := h.rc.LinkByName(op.Iface)
		if err != nil {
			return nil, err
		}
		r := rtnl.Route{Dst: op.Prefix, LinkIndex: l.Index, Table: op.Table}
		if op.Kind == DeleteRoute {
			return nil, h.rc.DeleteRoute(r)
		}
		return op.Undo, h.rc.AddRoute(r)
	case AddRule:
		return h.addRule(op)
	case DeleteRule:
		return nil, h.rc.DeleteRule(op.Rule)
	case Sysctl:
		return nil, os.WriteFile(sysctlPath(op.Key), []byte(op.Text+"\n"), 0o644)
	case Exec:
		for _, c := range op.Cmds {
			if err := h.run(ctx, c); err != nil {
				return nil, err
			}
		}
		return op.Undo, nil
	case SaveConfig:
		return nil, h.saveConfig(op)
	}
	return nil, fmt.Errorf("unknown step %v", op.Kind)
}

// createLink is add_if: the kernel driver, or, when the module is missing,
// the userspace implementation.
func (h *linuxHost) createLink(name string) error {
	created, kerr := h.createKernel(name)
	if created {
		return nil
	}
	prog := userspaceProgram()
	if _, err := os.Stat("/sys/module/wireguard"); err == nil && kerr != nil {
		return kerr
	}
	if _, err := exec.LookPath(prog); err != nil {
		if kerr != nil {
			return fmt.Errorf("%w (and no userspace implementation: %v)", kerr, err)
		}
		return err
	}
	fmt.Fprintln(h.stderr, missingModule)
	fmt.Fprintf(h.stderr, "[#] %s %s\n", prog, name)
	return h.create(host.Userspace(), name)
}

// deleteLink removes the interface, waiting for a userspace daemon's TUN
// to disappear so that a following `up` does not find it.
func (h *linuxHost) deleteLink(name string) error {
	l, err := h.link(name)
	if err != nil {
		// Not a WireGuard interface any more (a crashed daemon's TUN):
		// plain `ip link delete`.
		return h.rc.DeleteLink(name)
	}
	delete(h.links, name)
	defer l.Close()
	if err := l.Destroy(); err != nil {
		return err
	}
	gone := func() bool {
		_, err := h.rc.LinkByName(name)
		return errors.Is(err, fs.ErrNotExist)
	}
	if awaitGone(gone, 5*time.Second, 10*time.Millisecond) {
		return nil
	}
	return h.rc.DeleteLink(name)
}

// addRule adds a rule and returns an undo that deletes exactly it: the
// kernel picks the priority, found by listing the rules before and after.
func (h *linuxHost) addRule(op Op) (*Op, error) {
	before, err := h.rc.Rules(op.Rule.Family)
	if err != nil {
		return nil, err
	}
	if err := h.rc.AddRule(op.Rule); err != nil {
		return nil, err
	}
	undo := *op.Undo
	after, err := h.rc.Rules(op.Rule.Family)
	if err != nil {
		return &undo, nil
	}
	seen := map[rtnl.Rule]int{}
	for _, r := range before {
		seen[r]++
	}
	for _, r := range after {
		if seen[r] > 0 {
			seen[r]--
			continue
		}
		if r.Table == op.Rule.Table && r.Mark == op.Rule.Mark && r.Suppress == op.Rule.Suppress {
			undo.Rule.Priority = r.Priority
			break
		}
	}
	return &undo, nil
}

func (h *linuxHost) saveConfig(op Op) error {
	dev, err := h.device(op.Iface)
	if err != nil {
		return err
	}
	var run Running
	if run.Addrs, err = h.rc.Addresses(op.Iface); err != nil {
		return err
	}
	link, err := h.rc.LinkByName(op.Iface)
	if err != nil {
		return err
	}
	run.MTU = link.MTU
	backend, prefix := h.DNS()
	run.DNS = h.liveDNS(backend, prefix+op.Iface, op.Iface)
	return writeRunning(op.Save, dev, run)
}

// liveDNS reads the name servers registered for the interface:
// `resolvconf -l NAME` (or Debian's run directory), or resolvectl.
func (h *linuxHost) liveDNS(backend DNSBackend, name, iface string) []netip.Addr {
	var text string
	switch backend {
	case Resolvconf:
		out, err := output("resolvconf", "-l", name)
		if err != nil {
			b, _ := os.ReadFile("/etc/resolvconf/run/interface/" + name)
			out = string(b)
		}
		text = out
	case Resolvectl:
		out, _ := output("resolvectl", "dns", iface)
		if _, list, ok := strings.Cut(out, ":"); ok {
			for _, s := range strings.Fields(list) {
				text += "nameserver " + s + "\n"
			}
		}
	}
	return parseNameservers(text)
}
