package rtnl

// Linux ABI constants, from include/uapi/linux/{rtnetlink,if_link,if_addr,
// fib_rules,netlink,if}.h. They are defined here rather than taken from
// golang.org/x/sys/unix so that the encoders build and are tested on every
// GOOS.

// Address families.
const (
	afUnspec = 0
	afInet   = 2
	afInet6  = 10
)

// Message types.
const (
	rtmNewLink  = 16
	rtmDelLink  = 17
	rtmGetLink  = 18
	rtmSetLink  = 19
	rtmNewAddr  = 20
	rtmDelAddr  = 21
	rtmGetAddr  = 22
	rtmNewRoute = 24
	rtmDelRoute = 25
	rtmGetRoute = 26
	rtmNewRule  = 32
	rtmDelRule  = 33
	rtmGetRule  = 34
)

// Header lengths of the fixed per-type structures.
const (
	ifinfomsgLen  = 16 // struct ifinfomsg
	ifaddrmsgLen  = 8  // struct ifaddrmsg
	rtmsgLen      = 12 // struct rtmsg
	fibRuleHdrLen = 12 // struct fib_rule_hdr
)

// Link attributes (IFLA_*) and nested link-info attributes.
const (
	iflaIfname   = 3
	iflaMTU      = 4
	iflaLinkinfo = 18
	iflaInfoKind = 1
)

// Interface flags (IFF_*, include/uapi/linux/if.h).
const (
	// FlagUp is IFF_UP: the link is administratively up.
	FlagUp = 0x1
	// FlagPointToPoint is IFF_POINTOPOINT.
	FlagPointToPoint = 0x10
	// FlagRunning is IFF_RUNNING: the link is operational.
	FlagRunning = 0x40
	// FlagNoARP is IFF_NOARP.
	FlagNoARP = 0x80
)

// Address attributes (IFA_*).
const (
	ifaAddress = 1
	ifaLocal   = 2
)

// Route attributes (RTA_*), metrics (RTAX_*) and rtm_flags.
const (
	rtaDst      = 1
	rtaOIF      = 4
	rtaGateway  = 5
	rtaPriority = 6
	rtaPrefSrc  = 7
	rtaMetrics  = 8
	rtaTable    = 15

	rtaxMTU = 2

	rtmFLookupTable = 0x1000 // RTM_F_LOOKUP_TABLE: report the table of the match
)

// Routing tables (RT_TABLE_*).
const (
	TableUnspec  = 0
	TableDefault = 253
	TableMain    = 254
	TableLocal   = 255
)

// Route protocols (RTPROT_*): who installed a route.
const (
	ProtoUnspec = 0
	ProtoKernel = 2
	ProtoBoot   = 3
	ProtoStatic = 4
)

// Route scopes (RT_SCOPE_*).
const (
	ScopeUniverse = 0
	ScopeLink     = 253
	ScopeHost     = 254
	scopeNowhere  = 255
)

// Route types (RTN_*).
const (
	TypeUnicast     = 1
	TypeLocal       = 2
	TypeBroadcast   = 3
	TypeBlackhole   = 6
	TypeUnreachable = 7
	TypeProhibit    = 8
)

// FIB rule attributes (FRA_*), flags and actions.
const (
	fraPriority         = 6
	fraFwmark           = 10
	fraSuppressPrefixln = 14
	fraTable            = 15
	fraFwmask           = 16

	fibRuleInvert = 0x2 // FIB_RULE_INVERT

	// ActionToTable is FR_ACT_TO_TBL: look the packet up in Rule.Table.
	ActionToTable = 1
)
