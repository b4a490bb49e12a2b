package wgquick

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/linux/rtnl"
	"github.com/wgshim/wgshim/wg-quick/config"
)

// Kind says what an Op does.
type Kind uint8

const (
	CreateLink    Kind = iota + 1 // create Iface (kernel, else userspace)
	DeleteLink                    // delete Iface; its addresses and routes go with it
	Hook                          // run Text with bash -c (%i already expanded)
	SetConfig                     // wg addconf: apply Config
	SetFwMark                     // wg set IFACE fwmark Mark
	AddAddress                    // add Prefix to Iface
	DeleteAddress                 // remove Prefix from Iface
	SetMTUUp                      // set MTU and bring Iface up
	AddRoute                      // route Prefix dev Iface in Table (0: main)
	DeleteRoute                   // remove that route
	AddRule                       // add policy rule Rule
	DeleteRule                    // delete policy rule Rule
	Sysctl                        // write Value to the sysctl Key
	Exec                          // run Cmds (DNS, firewall)
	SaveConfig                    // write the running config back to Save.File
)

var kindNames = [...]string{
	CreateLink: "create-link", DeleteLink: "delete-link", Hook: "hook", SetConfig: "set-config",
	SetFwMark: "set-fwmark", AddAddress: "add-address", DeleteAddress: "delete-address",
	SetMTUUp: "set-mtu-up", AddRoute: "add-route", DeleteRoute: "delete-route", AddRule: "add-rule",
	DeleteRule: "delete-rule", Sysctl: "sysctl", Exec: "exec", SaveConfig: "save-config",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Cmd is one external command an Exec op runs.
type Cmd struct {
	Args  []string
	Stdin string
}

// Op is one step of a plan. Only the fields of its Kind are set.
type Op struct {
	Kind  Kind
	Iface string
	// Display is what is printed after "[#] ": upstream's command line
	// for the same step, or the hook text.
	Display string
	// Pos is the configuration value this step comes from, if any; errors
	// name it.
	Pos config.Pos

	Prefix netip.Prefix    // AddAddress, DeleteAddress, AddRoute, DeleteRoute
	Table  uint32          // AddRoute, DeleteRoute; 0 is main
	MTU    int             // SetMTUUp
	Mark   uint32          // SetFwMark
	Rule   rtnl.Rule       // AddRule, DeleteRule
	Text   string          // Hook: the command; Sysctl: the value
	Key    string          // Sysctl: "net.ipv4.conf.all.src_valid_mark"
	Cmds   []Cmd           // Exec
	Config *wgtypes.Config // SetConfig
	Save   *config.Config  // SaveConfig: the file's configuration

	// BestEffort steps report a failure as a warning and go on (down's
	// DNS and firewall clean-up, as upstream's `|| true`).
	BestEffort bool
	// Undo is the step that reverses this one, as planned; nil when the
	// step needs no undo (hooks, sysctl, link settings that go with the
	// link). An Executor may return a more precise undo.
	Undo *Op
}

// String is the op as printed: "[#] " and Display.
func (o Op) String() string { return "[#] " + o.Display }

func family(p netip.Prefix) string {
	if p.Addr().Is4() {
		return "-4"
	}
	return "-6"
}

func rtnlFamily(p netip.Prefix) rtnl.Family {
	if p.Addr().Is4() {
		return rtnl.IPv4
	}
	return rtnl.IPv6
}

// tableName is how wg-quick writes a table in commands.
func tableName(t uint32) string { return rtnl.TableName(t) }

// reservedTable is tableName backwards for the tables iproute2 names
// without rt_tables(5): main, local and default.
func reservedTable(name string) (uint32, bool) {
	for _, t := range []uint32{rtnl.TableMain, rtnl.TableLocal, rtnl.TableDefault} {
		if tableName(t) == name {
			return t, true
		}
	}
	return 0, false
}

// Constructors: each returns the op with its upstream display and undo.

func opCreateLink(iface string) Op {
	del := opDeleteLink(iface)
	return Op{Kind: CreateLink, Iface: iface, Display: "ip link add dev " + iface + " type wireguard", Undo: &del}
}

func opDeleteLink(iface string) Op {
	return Op{Kind: DeleteLink, Iface: iface, Display: "ip link delete dev " + iface}
}

func opHook(iface, text string, pos config.Pos) Op {
	t := strings.ReplaceAll(text, "%i", iface)
	return Op{Kind: Hook, Iface: iface, Display: t, Text: t, Pos: pos}
}

func opSetConfig(iface string, c *wgtypes.Config) Op {
	return Op{Kind: SetConfig, Iface: iface, Display: "wg addconf " + iface + " /dev/fd/63", Config: c}
}

func opSetFwMark(iface string, mark uint32) Op {
	return Op{Kind: SetFwMark, Iface: iface, Display: fmt.Sprintf("wg set %s fwmark %d", iface, mark), Mark: mark}
}

func opAddress(k Kind, iface string, p netip.Prefix, pos config.Pos) Op {
	verb := "add"
	if k == DeleteAddress {
		verb = "delete"
	}
	o := Op{Kind: k, Iface: iface, Prefix: p, Pos: pos,
		Display: fmt.Sprintf("ip %s address %s %s dev %s", family(p), verb, p, iface)}
	if k == AddAddress {
		u := opAddress(DeleteAddress, iface, p, config.Pos{})
		o.Undo = &u
	}
	return o
}

func opSetMTUUp(iface string, mtu int, pos config.Pos) Op {
	return Op{Kind: SetMTUUp, Iface: iface, MTU: mtu, Pos: pos,
		Display: fmt.Sprintf("ip link set mtu %d up dev %s", mtu, iface)}
}

func opRoute(k Kind, iface string, p netip.Prefix, table uint32, pos config.Pos) Op {
	return opRouteNamed(k, iface, p, table, "", pos)
}

// opRouteNamed is opRoute with the table written as name in the command.
func opRouteNamed(k Kind, iface string, p netip.Prefix, table uint32, name string, pos config.Pos) Op {
	verb := "add"
	if k == DeleteRoute {
		verb = "delete"
	}
	d := fmt.Sprintf("ip %s route %s %s dev %s", family(p), verb, p, iface)
	if name == "" && table != 0 {
		name = tableName(table)
	}
	if name != "" {
		d += " table " + name
	}
	o := Op{Kind: k, Iface: iface, Prefix: p, Table: table, Pos: pos, Display: d}
	if k == AddRoute {
		u := opRouteNamed(DeleteRoute, iface, p, table, name, config.Pos{})
		o.Undo = &u
	}
	return o
}

// ruleText is the selector part of `ip rule add|delete ...` for r; a
// delete names only the table (and suppress_prefixlength), as upstream's
// del_if does.
func ruleText(r rtnl.Rule, del bool) string {
	var b strings.Builder
	if r.Invert && !del {
		b.WriteString("not ")
	}
	if r.Mark != 0 && !del {
		fmt.Fprintf(&b, "fwmark %d ", r.Mark)
	}
	b.WriteString("table " + tableName(r.Table))
	if r.Suppress {
		fmt.Fprintf(&b, " suppress_prefixlength %d", r.SuppressPrefixLen)
	}
	return b.String()
}

func famFlag(f rtnl.Family) string {
	if f == rtnl.IPv6 {
		return "-6"
	}
	return "-4"
}

func opRule(k Kind, iface string, r rtnl.Rule) Op {
	if k == AddRule {
		u := opRule(DeleteRule, iface, r)
		return Op{Kind: k, Iface: iface, Rule: r, Undo: &u,
			Display: fmt.Sprintf("ip %s rule add %s", famFlag(r.Family), ruleText(r, false))}
	}
	return Op{Kind: k, Iface: iface, Rule: r, Display: fmt.Sprintf("ip %s rule delete %s", famFlag(r.Family), ruleText(r, true))}
}

func opSysctl(key, value string) Op {
	return Op{Kind: Sysctl, Key: key, Text: value, Display: "sysctl -q " + key + "=" + value}
}

// opExec runs cmds, printed as display.
func opExec(iface, display string, cmds ...Cmd) Op {
	return Op{Kind: Exec, Iface: iface, Display: display, Cmds: cmds}
}

func opSaveConfig(iface string, c *config.Config) Op {
	return Op{Kind: SaveConfig, Iface: iface, Save: c, Display: "wg showconf " + iface}
}
