package quick

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/bsd"
	"github.com/wgshim/wgshim/platform/openbsd/ifwg"
	"github.com/wgshim/wgshim/platform/openbsd/tundev"
	"github.com/wgshim/wgshim/wg-quick/config"
)

// Facts are what a plan depends on besides the configuration.
type Facts struct {
	// Existing are the WireGuard interfaces (`wg show interfaces`: the
	// wg(4) ones and the tunN of userspace daemons) with their
	// descriptions.
	Existing []ifwg.Iface

	// Userspace is the userspace implementation to run instead of wg(4)
	// (WG_QUICK_USERSPACE_IMPLEMENTATION, or the default daemon when the
	// kernel has no wg(4)); empty for wg(4). Missing says why wg(4) is
	// not used when the user did not ask for userspace. FreeTun is the
	// lowest tunN that does not exist, for the daemon to create.
	Userspace string
	Missing   string
	FreeTun   string

	// up
	// EndpointMTUs are the MTUs of the interfaces routing to each
	// endpoint (`route -n get` then ifconfig); DefaultMTU that of the
	// default route's interface, 0 if none.
	EndpointMTUs []int
	DefaultMTU   int
	// Gateways are the default routers before the tunnel comes up.
	Gateways bsd.Gateways
	// Unwind and Resolvd: which resolver daemons run (pgrep -x).
	Unwind, Resolvd bool

	// down
	// DNSBackup: BackupFile(name) exists, i.e. up set DNS.
	DNSBackup bool
}

// defaultLinkMTU is used when no route gives an MTU; overhead is what
// WireGuard adds to a packet in the worst case (IPv6 40 + UDP 8 +
// WireGuard 32).
const (
	defaultLinkMTU = 1500
	overhead       = 80
)

// MTU is the tunnel MTU for c: MTU = if set, else the largest MTU of the
// endpoints' interfaces, else the default route's, else 1500, minus 80
// (spec wg-quick.md §5, FreeBSD/OpenBSD rule).
func MTU(c *config.Config, f *Facts) int {
	if c.Interface.MTU != nil {
		return c.Interface.MTU.V
	}
	mtu := 0
	for _, m := range f.EndpointMTUs {
		mtu = max(mtu, m)
	}
	if mtu == 0 {
		mtu = f.DefaultMTU
	}
	if mtu <= 0 {
		mtu = defaultLinkMTU
	}
	return mtu - overhead
}

// PlanUp is `wg-quick up` for configuration c (wc is its wg part with
// endpoints resolved). It fails, changing nothing, if the configuration
// already has an interface or holds values OpenBSD cannot express.
func PlanUp(c *config.Config, wc *wgtypes.Config, f *Facts) ([]Step, error) {
	name := c.Name
	if err := Check(c); err != nil {
		return nil, err
	}
	if real, ok := FindIface(f.Existing, name); ok {
		return nil, fmt.Errorf("`%s' already exists as `%s': %w", name, real, os.ErrExist)
	}
	var plan []Step
	for _, w := range Warnings(c) {
		plan = append(plan, Step{Kind: Note, Display: w})
	}
	var iface string
	if f.Userspace != "" {
		if f.FreeTun == "" {
			return nil, errors.New("no free tun device for the userspace implementation (see /dev/tun*, MAKEDEV)")
		}
		iface = f.FreeTun
		if f.Missing != "" {
			plan = append(plan, Step{Kind: Note, Display: fmt.Sprintf("[!] Missing WireGuard kernel support (%s). Falling back to slow userspace implementation.", f.Missing)})
		}
		plan = append(plan, stepCreateUserspace(iface, name, f.Userspace))
	} else {
		taken := make([]string, 0, len(f.Existing))
		for _, i := range f.Existing {
			taken = append(taken, i.Name)
		}
		var err error
		if iface, err = ifwg.PickUnit(taken); err != nil {
			return nil, err
		}
		plan = append(plan, stepCreate(iface, name))
	}
	for _, h := range c.Interface.PreUp {
		plan = append(plan, stepHook(h.V, iface, name, h.Pos))
	}
	plan = append(plan, Step{Kind: SetConfig, Iface: iface, Config: wc, Display: "wg setconf " + iface + " /dev/fd/63"})
	for _, a := range c.Interface.Address {
		fam := "inet"
		if a.V.Addr().Is6() {
			fam = "inet6"
		}
		plan = append(plan, Step{Kind: AddAddress, Iface: iface, Prefix: a.V, Pos: a.Pos,
			Display: fmt.Sprintf("ifconfig %s %s %s alias", iface, fam, a.V)})
	}
	mtu := MTU(c, f)
	var mtuPos config.Pos
	if c.Interface.MTU != nil {
		mtuPos = c.Interface.MTU.Pos
	}
	plan = append(plan,
		Step{Kind: SetMTU, Iface: iface, MTU: mtu, Pos: mtuPos, Display: fmt.Sprintf("ifconfig %s mtu %d", iface, mtu)},
		Step{Kind: SetUp, Iface: iface, Display: "ifconfig " + iface + " up"})

	if len(c.Interface.DNS) > 0 {
		lines, ok := DNSWarnings(f.Unwind, f.Resolvd)
		for _, l := range lines {
			plan = append(plan, Step{Kind: Note, Display: l})
		}
		if ok {
			plan = append(plan, stepSetDNS(c, iface))
		}
	}

	routes, err := planRoutes(c, wc, f, iface)
	if err != nil {
		return nil, err
	}
	plan = append(plan, routes...)

	for _, h := range c.Interface.PostUp {
		plan = append(plan, stepHook(h.V, iface, name, h.Pos))
	}
	return plan, nil
}

func stepSetDNS(c *config.Config, iface string) Step {
	s := Step{Kind: SetDNS, Iface: iface, Name: c.Name, Pos: c.Interface.DNS[0].Pos}
	for _, d := range c.Interface.DNS {
		s.DNS = append(s.DNS, d.V)
	}
	for _, d := range c.Interface.DNSSearch {
		s.Search = append(s.Search, d.V)
	}
	s.Display = fmt.Sprintf("cp /etc/resolv.conf %s", BackupFile(c.Name))
	if len(s.Search) > 0 {
		s.Display += fmt.Sprintf(" && printf 'search %%s\\n' '%s' > /etc/resolv.conf", joinSpace(s.Search))
	}
	s.Display += " && route nameserver " + iface
	for _, d := range s.DNS {
		s.Display += " " + d.String()
	}
	u := stepUnsetDNS(iface, c.Name)
	s.Undo = &u
	return s
}

func joinSpace(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

// errNoLocal is upstream's die text when a family has routes but no
// address to route them with (-iface FIRSTADDR).
func errNoLocal(v6 bool) error {
	if v6 {
		return errors.New("Local IPv6 address must be set to have routes")
	}
	return errors.New("Local IPv4 address must be set to have routes")
}

// planRoutes is add_route for every allowed IP (longest prefix first),
// then the endpoint routes and the route monitor when a default route
// was taken over.
func planRoutes(c *config.Config, wc *wgtypes.Config, f *Facts, iface string) ([]Step, error) {
	in := bsd.PlanInput{Iface: iface, Gateways: f.Gateways}
	for _, a := range c.Interface.Address {
		in.Addresses = append(in.Addresses, a.V)
	}
	for _, p := range wc.Peers {
		if p.Remove {
			continue
		}
		in.AllowedIPs = append(in.AllowedIPs, p.AllowedIPs...)
		if p.Endpoint != nil {
			in.Endpoints = append(in.Endpoints, p.Endpoint.Addr())
		}
	}
	if t := c.Interface.Table; t != nil {
		switch t.V.Mode {
		case config.TableOff:
			in.TableOff = true
		case config.TableNumber:
			in.Table = t.V.ID
		}
	}
	p := bsd.PlanRoutes(in)
	v4, v6 := firstAddrs(c)
	var steps []Step
	for _, r := range p.Routes {
		local := v4
		if r.Is6() {
			local = v6
		}
		if !local.IsValid() {
			return nil, errNoLocal(r.Is6())
		}
		steps = append(steps, stepRoute(r, local))
	}
	for _, r := range p.Endpoints.Routes {
		steps = append(steps, stepRoute(r, netip.Addr{}))
	}
	if p.Auto4 || p.Auto6 {
		st := p.Endpoints
		st.Routes = slices.Clone(st.Routes)
		steps = append(steps,
			Step{Kind: Note, Display: NoteMonitor},
			Step{Kind: StartMonitor, Iface: iface, Name: c.Name, State: &st, Display: "route -n monitor (endpoint routes for " + iface + ")"})
	}
	return steps, nil
}

// PlanDown is `wg-quick down` for configuration c: the interface is the
// wgN described "wg-quick: NAME". Endpoint routes are removed by the
// route monitor when it sees the interface go, as upstream's does.
func PlanDown(c *config.Config, f *Facts) ([]Step, error) {
	name := c.Name
	iface, ok := FindIface(f.Existing, name)
	if !ok {
		return nil, fmt.Errorf("`%s' is not a WireGuard interface: %w", name, os.ErrNotExist)
	}
	var plan []Step
	for _, h := range c.Interface.PreDown {
		plan = append(plan, stepHook(h.V, iface, name, h.Pos))
	}
	if s := c.Interface.SaveConfig; s != nil && s.V {
		plan = append(plan, Step{Kind: Note, Display: fmt.Sprintf(noSaveConfigFmt, c.File)})
	}
	if f.DNSBackup {
		plan = append(plan, stepUnsetDNS(iface, name))
	}
	plan = append(plan, stepDestroy(iface))
	for _, h := range c.Interface.PostDown {
		plan = append(plan, stepHook(h.V, iface, name, h.Pos))
	}
	return plan, nil
}

// FindIface is the interface of configuration name: the wgN, or the tunN
// of a userspace daemon, whose description is "wg-quick: NAME".
func FindIface(ifaces []ifwg.Iface, name string) (string, bool) {
	if real, ok := ifwg.FindByDescription(ifaces, name); ok {
		return real, true
	}
	for _, i := range ifaces {
		if _, _, err := tundev.ParseName(i.Name); err == nil && i.Name != "tun" && i.Description == ifwg.Description(name) {
			return i.Name, true
		}
	}
	return "", false
}

// IsUserspace reports whether iface is a userspace daemon's tunN.
func IsUserspace(iface string) bool { return strings.HasPrefix(iface, "tun") }
