package config

import (
	"fmt"
	"net/netip"
	"reflect"
	"strconv"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// Pos is where a value was written: file name, 1-based line and the
// canonical key name ("AllowedIPs"). A zero Line means the value did not come
// from a file.
type Pos struct {
	File string
	Line int
	Key  string
}

// String returns "file:line", or the file name alone when the line is
// unknown.
func (p Pos) String() string {
	file := p.File
	if file == "" {
		file = "<input>"
	}
	if p.Line <= 0 {
		return file
	}
	return file + ":" + strconv.Itoa(p.Line)
}

// Value is one setting and the place it was set.
type Value[T any] struct {
	V   T
	Pos Pos
}

// Config is one wg-quick configuration: the [Interface] section and the
// peers, in file order.
type Config struct {
	// Name is the interface name taken from the file name ("wg0" for
	// /etc/wireguard/wg0.conf), empty when unknown. Readers leave it empty;
	// Load sets it.
	Name string
	// File is the path the configuration was read from. Relative key file
	// paths are taken relative to its directory.
	File string

	Interface Interface
	Peers     []Peer
}

// Interface is the [Interface] section. Optional scalars are nil when the
// key is absent; lists keep file order.
type Interface struct {
	Pos Pos // the first [Interface] header

	// PrivateKey is set inline, or filled from PrivateKeyFile by
	// LoadKeyFiles. A file never sets both keys; writers print
	// PrivateKeyFile when it is set, so secrets stay out of the main file.
	PrivateKey     *Value[wgtypes.Key]
	PrivateKeyFile *Value[string]
	ListenPort     *Value[uint16]
	FwMark         *Value[uint32] // 0 ("off") disables the mark

	// Address keeps the host bits as written: 10.0.0.1/24. An address
	// without a length is stored as /32 or /128.
	Address []Value[netip.Prefix]
	// DNS holds the name servers, DNSSearch the search domains, both from
	// the DNS key: upstream treats an item made only of digits and dots or
	// containing ':' as a server, anything else as a domain.
	DNS       []Value[netip.Addr]
	DNSSearch []Value[string]
	MTU       *Value[int]
	Table     *Value[Table] // nil means auto

	// Hooks are bash snippets, run in order; "%i" is kept for the runner to
	// substitute.
	PreUp, PostUp, PreDown, PostDown []Value[string]

	SaveConfig *Value[bool]

	// KillSwitch asks for every packet that does not go through the tunnel
	// to be blocked while it is up (a wgshim extension, honoured on
	// Windows; wg-quick refuses it where it cannot be honoured).
	KillSwitch *Value[bool]
}

// Peer is one [Peer] section.
type Peer struct {
	Pos Pos // the [Peer] header

	PublicKey        *Value[wgtypes.Key] // required
	PresharedKey     *Value[wgtypes.Key]
	PresharedKeyFile *Value[string]
	// AllowedIPs keeps host bits as written; WGConfig masks them.
	AllowedIPs []Value[netip.Prefix]
	// Endpoint is "host:port" or "[v6]:port" as written; the host may be a
	// name, resolved by WGConfig.
	Endpoint            *Value[string]
	PersistentKeepalive *Value[uint16] // 0 is off
}

// TableMode says how routes are installed.
type TableMode int

const (
	TableAuto   TableMode = iota // main table, default-route special handling
	TableOff                     // no routes at all
	TableNumber                  // numeric routing table (Linux), FIB (FreeBSD), rtable (OpenBSD)
	TableName                    // named table from rt_tables (Linux), e.g. "main"
)

// Table is the value of the Table key.
type Table struct {
	Mode TableMode
	ID   uint32 // TableNumber
	Name string // TableName
}

// String returns the value as written in a file: auto, off, 1234 or a name.
func (t Table) String() string {
	switch t.Mode {
	case TableOff:
		return "off"
	case TableNumber:
		return strconv.FormatUint(uint64(t.ID), 10)
	case TableName:
		return t.Name
	default:
		return "auto"
	}
}

// Equal reports whether c and o hold the same settings, ignoring positions,
// File and Name: the question a format round trip asks.
func (c *Config) Equal(o *Config) bool {
	if c == nil || o == nil {
		return c == o
	}
	a, b := c.withoutPos(), o.withoutPos()
	return reflect.DeepEqual(a, b)
}

// withoutPos returns a deep copy with every Pos, File and Name cleared and
// nil and empty lists made the same.
func (c *Config) withoutPos() Config {
	out := Config{}
	i := c.Interface
	out.Interface = Interface{
		PrivateKey:     clearPtr(i.PrivateKey),
		PrivateKeyFile: clearPtr(i.PrivateKeyFile),
		ListenPort:     clearPtr(i.ListenPort),
		FwMark:         clearPtr(i.FwMark),
		Address:        clearList(i.Address),
		DNS:            clearList(i.DNS),
		DNSSearch:      clearList(i.DNSSearch),
		MTU:            clearPtr(i.MTU),
		Table:          clearPtr(i.Table),
		PreUp:          clearList(i.PreUp),
		PostUp:         clearList(i.PostUp),
		PreDown:        clearList(i.PreDown),
		PostDown:       clearList(i.PostDown),
		SaveConfig:     clearPtr(i.SaveConfig),
		KillSwitch:     clearPtr(i.KillSwitch),
	}
	for _, p := range c.Peers {
		out.Peers = append(out.Peers, Peer{
			PublicKey:           clearPtr(p.PublicKey),
			PresharedKey:        clearPtr(p.PresharedKey),
			PresharedKeyFile:    clearPtr(p.PresharedKeyFile),
			AllowedIPs:          clearList(p.AllowedIPs),
			Endpoint:            clearPtr(p.Endpoint),
			PersistentKeepalive: clearPtr(p.PersistentKeepalive),
		})
	}
	return out
}

func clearPtr[T any](v *Value[T]) *Value[T] {
	if v == nil {
		return nil
	}
	return &Value[T]{V: v.V}
}

func clearList[T any](l []Value[T]) []Value[T] {
	if len(l) == 0 {
		return nil
	}
	out := make([]Value[T], len(l))
	for i, v := range l {
		out[i] = Value[T]{V: v.V}
	}
	return out
}

// peerLabel names a peer in errors: "peer 2" (1-based, file order).
func peerLabel(i int) string { return fmt.Sprintf("peer %d", i+1) }
