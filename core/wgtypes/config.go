package wgtypes

import (
	"net/netip"
	"slices"
	"time"
)

// Config is a change to a device. A nil pointer leaves that field as it is.
// Every consumer (UAPI, netlink, ioctls, wg-quick) maps to and from this
// one model, and implementations apply it atomically: a Config that fails
// validation or application changes nothing.
type Config struct {
	PrivateKey   *Key    // the zero key removes the private key
	ListenPort   *int    // 0 picks a random port
	FirewallMark *uint32 // 0 disables the mark

	// ReplacePeers removes every peer not listed in Peers, and listed peers
	// start from an empty configuration.
	ReplacePeers bool
	Peers        []PeerConfig
}

// PeerConfig is a change to one peer, identified by its public key.
type PeerConfig struct {
	PublicKey Key

	// Remove deletes the peer; every other field is ignored.
	Remove bool
	// UpdateOnly applies the change only if the peer already exists.
	UpdateOnly bool

	PresharedKey *Key // the zero key removes the preshared key
	Endpoint     *netip.AddrPort
	// PersistentKeepalive is the keepalive interval in seconds; 0 is off.
	PersistentKeepalive *uint16

	// ReplaceAllowedIPs clears the peer's allowed IPs before the changes
	// below. RemoveAllowedIPs are then removed, and AllowedIPs added (taking
	// an identical prefix away from any other peer).
	ReplaceAllowedIPs bool
	RemoveAllowedIPs  []netip.Prefix
	AllowedIPs        []netip.Prefix
}

// Device is the observed state of a WireGuard link.
type Device struct {
	Name string
	// Alias is the wg-quick configuration name of an interface whose name
	// the OS picks itself (OpenBSD's wgN); empty elsewhere.
	Alias        string
	Type         DeviceType
	PrivateKey   Key
	PublicKey    Key
	ListenPort   int
	FirewallMark uint32
	Peers        []Peer
}

// EndpointAddrs returns the addresses of the peers' known endpoints,
// IPv4-mapped ones unmapped, sorted and without duplicates: the hosts that
// route planning must keep out of the tunnel.
func (d *Device) EndpointAddrs() []netip.Addr {
	var out []netip.Addr
	for _, p := range d.Peers {
		if p.Endpoint.IsValid() {
			out = append(out, p.Endpoint.Addr().Unmap())
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out)
}

// Peer is the observed state of one peer.
type Peer struct {
	PublicKey           Key
	PresharedKey        Key
	Endpoint            netip.AddrPort // zero if unknown
	PersistentKeepalive uint16         // seconds
	LastHandshakeTime   time.Time      // zero if never
	ReceiveBytes        uint64
	TransmitBytes       uint64
	AllowedIPs          []netip.Prefix
	ProtocolVersion     int
}

// DeviceType says which implementation provides a link.
type DeviceType string

const (
	Userspace     DeviceType = "userspace"
	LinuxKernel   DeviceType = "linux-kernel"
	FreeBSDKernel DeviceType = "freebsd-kernel"
	OpenBSDKernel DeviceType = "openbsd-kernel"
)
