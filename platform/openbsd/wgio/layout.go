package wgio

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/wgshim/wgshim/platform/bsd"
)

// Layout selects the struct wg_peer_io ABI of the running kernel.
type Layout int

const (
	// LayoutPre74 is OpenBSD 6.8 to 7.3: wg_peer_io is 144 bytes and
	// p_aips_count follows p_last_handshake directly.
	LayoutPre74 Layout = iota + 1
	// Layout74 is OpenBSD 7.4 and later (if_wg.h rev 1.5, 2023-06-01):
	// a 64-byte p_description precedes p_aips_count, 208 bytes in all.
	Layout74
)

func (l Layout) String() string {
	switch l {
	case LayoutPre74:
		return "openbsd-6.8-7.3"
	case Layout74:
		return "openbsd-7.4+"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

func (l Layout) valid() bool { return l == LayoutPre74 || l == Layout74 }

// PeerSize is sizeof(struct wg_peer_io) in this layout.
func (l Layout) PeerSize() int {
	if l == Layout74 {
		return SizeofPeerIO74
	}
	return SizeofPeerIOPre74
}

// aipsCountOffset is offsetof(struct wg_peer_io, p_aips_count).
func (l Layout) aipsCountOffset() int { return l.PeerSize() - 8 }

// Struct sizes on LP64 (spec §1-§2.3).
const (
	SizeofDataIO      = 32  // struct wg_data_io
	SizeofInterfaceIO = 80  // struct wg_interface_io without i_peers[]
	SizeofPeerIOPre74 = 144 // struct wg_peer_io, OpenBSD <= 7.3
	SizeofPeerIO74    = 208 // struct wg_peer_io, OpenBSD >= 7.4
	SizeofAipIO       = 24  // struct wg_aip_io
	IfDescrSize       = 64  // IFDESCRSIZE: p_description and interface descriptions
	ifNameSize        = bsd.IfNameSize
)

// Offsets in struct wg_interface_io.
const (
	offIfaceFlags      = 0  // uint8_t i_flags
	offIfacePort       = 2  // in_port_t i_port, host byte order here
	offIfaceRtable     = 4  // int i_rtable
	offIfacePublic     = 8  // uint8_t i_public[32]
	offIfacePrivate    = 40 // uint8_t i_private[32]
	offIfacePeersCount = 72 // size_t i_peers_count
)

// Offsets in struct wg_peer_io shared by both layouts.
const (
	offPeerFlags       = 0   // int p_flags
	offPeerProtocol    = 4   // int p_protocol_version
	offPeerPublic      = 8   // uint8_t p_public[32]
	offPeerPSK         = 40  // uint8_t p_psk[32]
	offPeerPKA         = 72  // uint16_t p_pka
	offPeerEndpoint    = 76  // union wg_peer_endpoint, 28 bytes
	offPeerTxBytes     = 104 // uint64_t p_txbytes
	offPeerRxBytes     = 112 // uint64_t p_rxbytes
	offPeerHandshake   = 120 // struct timespec {int64 sec; long nsec}
	offPeerDescription = 136 // char p_description[64], Layout74 only
	sizeofEndpoint     = 28
)

// Offsets in struct wg_aip_io.
const (
	offAipFamily = 0 // sa_family_t a_af
	offAipCIDR   = 4 // int a_cidr
	offAipAddr   = 8 // union {in_addr; in6_addr}
)

// Interface flags, i_flags (if_wg.h).
const (
	ifaceHasPublic    = 1 << 0
	ifaceHasPrivate   = 1 << 1
	ifaceHasPort      = 1 << 2
	ifaceHasRtable    = 1 << 3
	ifaceReplacePeers = 1 << 4
)

// Peer flags, p_flags (if_wg.h).
const (
	peerHasPublic      = 1 << 0
	peerHasPSK         = 1 << 1
	peerHasPKA         = 1 << 2
	peerHasEndpoint    = 1 << 3
	peerReplaceAIPs    = 1 << 4
	peerRemove         = 1 << 5
	peerUpdate         = 1 << 6
	peerSetDescription = 1 << 7 // Layout74 only; not used by this package
)

// OpenBSD address families.
const (
	afInet  = bsd.AFInet
	afInet6 = bsd.AFInet6OpenBSD
)

// RtableMax is RT_TABLEID_MAX (sys/socket.h): the highest routing table.
const RtableMax = 255

// ErrNoWG is wrapped by LayoutForRelease for releases without wg(4).
var ErrNoWG = errors.New("wg(4) first shipped in OpenBSD 6.8")

// LayoutForRelease maps a kern.osrelease value ("7.3", "7.4", ...) to
// the wg_peer_io layout of that release. Text after the version number
// ("7.5-beta") is ignored. A -current snapshot built between 2023-06-01
// and the 7.4 release already has Layout74 but still reports 7.3; such
// kernels are not told apart.
func LayoutForRelease(release string) (Layout, error) {
	major, minor, err := parseRelease(release)
	if err != nil {
		return 0, err
	}
	switch {
	case major < 6 || major == 6 && minor < 8:
		return 0, fmt.Errorf("OpenBSD %d.%d: %w", major, minor, ErrNoWG)
	case major == 6 || major == 7 && minor < 4:
		return LayoutPre74, nil
	}
	return Layout74, nil
}

func parseRelease(s string) (major, minor int, err error) {
	bad := fmt.Errorf("kern.osrelease %q: want MAJOR.MINOR", s)
	maj, rest, ok := strings.Cut(strings.TrimSpace(s), ".")
	if !ok {
		return 0, 0, bad
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	if end == 0 || end < len(rest) && (rest[end] == '.' || rest[end] == ' ') {
		return 0, 0, bad
	}
	if maj == "" || len(maj) > 3 || end > 3 || strings.Trim(maj, "0123456789") != "" {
		return 0, 0, bad
	}
	major, _ = strconv.Atoi(maj)
	minor, _ = strconv.Atoi(rest[:end])
	return major, minor, nil
}
