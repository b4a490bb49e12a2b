package firewall

import (
	"errors"
	"fmt"
	"strings"
)

// Options says which tunnel the kill switch protects and what else may
// pass.
type Options struct {
	// TunnelLUID is the NET_LUID of the tunnel adapter: all traffic on
	// it is permitted.
	TunnelLUID uint64
	// Program is the executable whose traffic is always permitted: the
	// one sending the encrypted UDP to the peers. Empty means the
	// running executable (os.Executable).
	Program string
}

// layer is one of the four ALE layers the kill switch filters at: ALE
// authorizes each connection (TCP) or first packet of a flow (UDP, ICMP)
// once, in each direction.
type layer uint8

const (
	connectV4 layer = iota // FWPM_LAYER_ALE_AUTH_CONNECT_V4: outbound
	acceptV4               // FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4: inbound
	connectV6              // FWPM_LAYER_ALE_AUTH_CONNECT_V6
	acceptV6               // FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V6
)

var (
	allLayers = []layer{connectV4, acceptV4, connectV6, acceptV6}
	v4Layers  = []layer{connectV4, acceptV4}
	v6Layers  = []layer{connectV6, acceptV6}
)

func (l layer) String() string {
	return [...]string{"v4 connect", "v4 accept", "v6 connect", "v6 accept"}[l]
}

type action uint8

const (
	permit action = iota + 1
	block
)

func (a action) String() string {
	switch a {
	case permit:
		return "permit"
	case block:
		return "block"
	}
	return fmt.Sprintf("action(%d)", a)
}

// field is what a condition tests.
type field uint8

const (
	fieldAppID          field = iota // FWPM_CONDITION_ALE_APP_ID: FWP_BYTE_BLOB_TYPE
	fieldLocalInterface              // FWPM_CONDITION_IP_LOCAL_INTERFACE: FWP_UINT64 (LUID)
	fieldFlags                       // FWPM_CONDITION_FLAGS: FWP_UINT32
	fieldProtocol                    // FWPM_CONDITION_IP_PROTOCOL: FWP_UINT8
	fieldLocalPort                   // FWPM_CONDITION_IP_LOCAL_PORT: FWP_UINT16
	fieldICMPType                    // FWPM_CONDITION_ICMP_TYPE (= IP_LOCAL_PORT): FWP_UINT16
	fieldRemotePort                  // FWPM_CONDITION_IP_REMOTE_PORT: FWP_UINT16
)

func (f field) String() string {
	return [...]string{"app_id", "local_interface", "flags", "protocol", "local_port", "icmp_type", "remote_port"}[f]
}

type match uint8

const (
	matchEqual       match = iota // FWP_MATCH_EQUAL
	matchFlagsAllSet              // FWP_MATCH_FLAGS_ALL_SET
)

// condition is one test of a filter. value is a uint8, uint16, uint32,
// uint64 or []byte; its Go type decides the FWP_DATA_TYPE
// (filterMem.value). All conditions of a filter must hold.
type condition struct {
	field field
	match match
	value any
}

func (c condition) String() string {
	op := "=="
	if c.match == matchFlagsAllSet {
		op = "&"
	}
	switch v := c.value.(type) {
	case []byte:
		return fmt.Sprintf("%s%s<%d bytes>", c.field, op, len(v))
	case uint64:
		return fmt.Sprintf("%s%s%#x", c.field, op, v)
	}
	return fmt.Sprintf("%s%s%v", c.field, op, c.value)
}

// filter is one WFP filter as data.
type filter struct {
	name   string // display name, also named in errors
	layer  layer
	action action
	weight uint8 // weight range (FWP_UINT8, 0..15) within our sublayer
	conds  []condition
}

// String is one line: action, layer, weight, conditions.
func (f filter) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s w%d", f.action, f.layer, f.weight)
	for _, c := range f.conds {
		b.WriteString(" ")
		b.WriteString(c.String())
	}
	return b.String()
}

// Filter weights (weight ranges, see "Filter Weight Assignment" on
// learn.microsoft.com): the highest-weight matching filter in a sublayer
// decides, so every permit outranks the catch-all blocks.
const (
	permitWeight   uint8 = 15
	blockWeight    uint8 = 0
	maxWeightRange uint8 = 15 // FWP_UINT8 weights name ranges 0..15
)

// NDP messages the v6 layers permit (RFC 4861 §4): router solicitation
// and advertisement, neighbor solicitation and advertisement. Without
// them IPv6 loses its routers and neighbors, tunnel endpoints included.
var ndpTypes = []uint16{133, 134, 135, 136}

// buildFilters returns every filter of the kill switch for opts. appID is
// the ALE application id of opts.Program (FwpmGetAppIdFromFileName0).
// Permits come first, then the blocks.
func buildFilters(opts Options, appID []byte) ([]filter, error) {
	if opts.TunnelLUID == 0 {
		return nil, errors.New("firewall: tunnel LUID is 0")
	}
	if len(appID) == 0 {
		return nil, errors.New("firewall: empty application id")
	}
	var fs []filter
	add := func(name string, layers []layer, a action, conds ...condition) {
		w := permitWeight
		if a == block {
			w = blockWeight
		}
		for _, l := range layers {
			fs = append(fs, filter{
				name:   fmt.Sprintf("%s %s (%s)", a, name, l),
				layer:  l,
				action: a,
				weight: w,
				conds:  conds,
			})
		}
	}

	// Our own program: the encrypted UDP to the endpoints must flow,
	// wherever the routes send it.
	add("own program", allLayers, permit, condition{fieldAppID, matchEqual, appID})
	// Whatever uses the tunnel.
	add("tunnel interface", allLayers, permit, condition{fieldLocalInterface, matchEqual, opts.TunnelLUID})
	// Loopback never leaves the machine.
	add("loopback", allLayers, permit, condition{fieldFlags, matchFlagsAllSet, uint32(fwpConditionFlagLoopback)})
	// DHCP keeps the physical interfaces addressed, so that the tunnel
	// can reach its endpoints at all (RFC 2131 §4.1, RFC 8415 §7.2).
	add("DHCPv4", v4Layers, permit,
		condition{fieldProtocol, matchEqual, uint8(ipprotoUDP)},
		condition{fieldLocalPort, matchEqual, uint16(68)},
		condition{fieldRemotePort, matchEqual, uint16(67)})
	add("DHCPv6", v6Layers, permit,
		condition{fieldProtocol, matchEqual, uint8(ipprotoUDP)},
		condition{fieldLocalPort, matchEqual, uint16(546)},
		condition{fieldRemotePort, matchEqual, uint16(547)})
	for _, t := range ndpTypes {
		add(fmt.Sprintf("NDP type %d", t), v6Layers, permit,
			condition{fieldProtocol, matchEqual, uint8(ipprotoICMPv6)},
			condition{fieldICMPType, matchEqual, t})
	}
	// Everything else, both families, both directions.
	add("all", allLayers, block)
	return fs, nil
}
