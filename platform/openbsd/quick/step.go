package quick

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/bsd"
	"github.com/wgshim/wgshim/platform/openbsd/ifwg"
	"github.com/wgshim/wgshim/wg-quick/config"
)

// Kind says what a Step does.
type Kind uint8

const (
	Note         Kind = iota + 1 // print Display as is ("[!] ...", "[+] ..."); no action
	CreateIface                  // create Iface (wgN) tagged with Name's description
	DestroyIface                 // destroy Iface
	Hook                         // run Text with bash -c
	SetConfig                    // wg setconf Iface: apply Config
	AddAddress                   // add Prefix to Iface
	SetMTU                       // set MTU on Iface
	SetUp                        // bring Iface up
	SetDNS                       // back up resolv.conf, write Search, route nameserver Iface DNS
	UnsetDNS                     // route nameserver Iface (clear), restore the backup
	AddRoute                     // add Route (Local: the -iface address)
	DeleteRoute                  // delete Route
	StartMonitor                 // start the route monitor with Monitor as its state
)

var kindNames = [...]string{
	Note: "note", CreateIface: "create-iface", DestroyIface: "destroy-iface", Hook: "hook",
	SetConfig: "set-config", AddAddress: "add-address", SetMTU: "set-mtu", SetUp: "set-up",
	SetDNS: "set-dns", UnsetDNS: "unset-dns", AddRoute: "add-route", DeleteRoute: "delete-route",
	StartMonitor: "start-monitor",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Step is one action of a plan; only the fields of its Kind are set.
type Step struct {
	Kind Kind
	// Iface is the wgN the step works on; Name is the configuration
	// name (the description tag, the DNS backup file suffix).
	Iface, Name string
	// Display is upstream's command for the step, printed after "[#] ",
	// or the whole line of a Note.
	Display string
	Pos     config.Pos

	Text   string          // Hook
	Config *wgtypes.Config // SetConfig
	Prefix netip.Prefix    // AddAddress
	MTU    int             // SetMTU
	DNS    []netip.Addr    // SetDNS
	Search []string        // SetDNS
	Route  bsd.Route       // AddRoute, DeleteRoute
	Local  netip.Addr      // AddRoute, DeleteRoute of an interface route
	State  *bsd.Endpoints  // StartMonitor
	Undo   *Step           // what reverses this step, if anything

	// BestEffort steps report failure and go on (down's DNS restore).
	BestEffort bool
}

// String is the line printed for the step.
func (s Step) String() string {
	if s.Kind == Note {
		return s.Display
	}
	return "[#] " + s.Display
}

// Text renders a plan as printed, one line per step, with each step's
// undo after "  undo: " (for golden files).
func Text(plan []Step) string {
	var b strings.Builder
	for _, s := range plan {
		b.WriteString(s.String())
		b.WriteByte('\n')
		if s.Undo != nil {
			b.WriteString("    undo: " + s.Undo.String() + "\n")
		}
	}
	return b.String()
}

func family(a netip.Addr) string {
	if a.Is4() {
		return "-inet"
	}
	return "-inet6"
}

// routeDisplay is upstream's route(8) command for adding or deleting r.
func routeDisplay(add bool, r bsd.Route, local netip.Addr) string {
	verb := "delete"
	if add {
		verb = "add"
	}
	var b strings.Builder
	b.WriteString("route -q -n")
	if r.Table != 0 {
		fmt.Fprintf(&b, " -T %d", r.Table)
	}
	fmt.Fprintf(&b, " %s %s", verb, family(r.Dst.Addr()))
	host := r.IsHost() && (r.Gateway.IsValid() || r.Blackhole)
	if host {
		b.WriteString(" " + r.Dst.Addr().String())
	} else {
		b.WriteString(" " + r.Dst.String())
	}
	if !add {
		return b.String()
	}
	switch {
	case r.Iface != "":
		b.WriteString(" -iface " + local.String())
	case r.Gateway.IsValid():
		b.WriteString(" -gateway " + r.Gateway.String())
	case r.Blackhole:
		if r.Is6() {
			b.WriteString(" ::1 -blackhole")
		} else {
			b.WriteString(" 127.0.0.1 -blackhole")
		}
	}
	return b.String()
}

func stepRoute(r bsd.Route, local netip.Addr) Step {
	del := Step{Kind: DeleteRoute, Iface: r.Iface, Route: r, Local: local, Display: routeDisplay(false, r, local), BestEffort: true}
	return Step{Kind: AddRoute, Iface: r.Iface, Route: r, Local: local, Display: routeDisplay(true, r, local), Undo: &del}
}

func stepDestroy(iface string) Step {
	if IsUserspace(iface) {
		return Step{Kind: DestroyIface, Iface: iface,
			Display: fmt.Sprintf("rm -f /var/run/wireguard/%s.sock && ifconfig %s destroy", iface, iface)}
	}
	return Step{Kind: DestroyIface, Iface: iface, Display: "ifconfig " + iface + " destroy"}
}

// stepCreateUserspace starts prog for tunN and tags the interface, so
// that down and `wg show` find it like a wg(4) one.
func stepCreateUserspace(iface, name, prog string) Step {
	d := stepDestroy(iface)
	return Step{Kind: CreateIface, Iface: iface, Name: name, Text: prog, Undo: &d,
		Display: fmt.Sprintf("%s %s && ifconfig %s description %q", prog, iface, iface, ifwg.Description(name))}
}

func stepCreate(iface, name string) Step {
	d := stepDestroy(iface)
	return Step{Kind: CreateIface, Iface: iface, Name: name, Undo: &d,
		Display: fmt.Sprintf("ifconfig %s create description %q", iface, ifwg.Description(name))}
}

// hookText expands %i to the interface and %I to the configuration
// name, as openbsd.bash's execute_hooks does.
func hookText(text, iface, name string) string {
	return strings.ReplaceAll(strings.ReplaceAll(text, "%i", iface), "%I", name)
}

func stepHook(text, iface, name string, pos config.Pos) Step {
	t := hookText(text, iface, name)
	return Step{Kind: Hook, Iface: iface, Name: name, Text: t, Display: t, Pos: pos}
}

func stepUnsetDNS(iface, name string) Step {
	return Step{Kind: UnsetDNS, Iface: iface, Name: name, BestEffort: true,
		Display: fmt.Sprintf("route nameserver %s && mv %s /etc/resolv.conf", iface, BackupFile(name))}
}

// BackupFile is where `up` keeps /etc/resolv.conf for configuration name.
func BackupFile(name string) string { return "/etc/resolv.conf.wg-quick-backup." + name }
