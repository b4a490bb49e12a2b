package wgnl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// ZoneIndex resolves the zone of an IPv6 endpoint (an interface name or a
// decimal index) to the sockaddr_in6 scope id. A nil ZoneIndex accepts only
// decimal zones.
type ZoneIndex func(zone string) (uint32, error)

// ValidateName reports whether name can be a Linux interface name
// (net/core/dev.c dev_valid_name).
func ValidateName(name string) error {
	switch {
	case name == "":
		return errors.New("interface name is empty")
	case len(name) > ifNameMax:
		return fmt.Errorf("interface name %q is longer than %d bytes", name, ifNameMax)
	case name == "." || name == "..":
		return fmt.Errorf("interface name %q is not allowed", name)
	case strings.ContainsAny(name, "/: \t\n\v\f\r\x00"):
		return fmt.Errorf("interface name %q contains '/', ':', a space or NUL", name)
	}
	return nil
}

// ValidateConfig checks everything about cfg that can be checked without
// the kernel. EncodeSet calls it.
func ValidateConfig(cfg wgtypes.Config) error {
	if cfg.ListenPort != nil && (*cfg.ListenPort < 0 || *cfg.ListenPort > 65535) {
		return fmt.Errorf("listen port %d is out of range 0-65535", *cfg.ListenPort)
	}
	for i := range cfg.Peers {
		p := &cfg.Peers[i]
		if p.Remove {
			continue // every other field is ignored
		}
		if p.Endpoint != nil && !p.Endpoint.Addr().IsValid() {
			return fmt.Errorf("peer %d (%s): endpoint has no address", i, p.PublicKey)
		}
		for _, ips := range [][]netip.Prefix{p.RemoveAllowedIPs, p.AllowedIPs} {
			for _, ip := range ips {
				if !ip.IsValid() {
					return fmt.Errorf("peer %d (%s): allowed IP %q is not a valid prefix", i, p.PublicKey, ip)
				}
			}
		}
	}
	return nil
}

// encoder appends netlink attributes to b; nests records the offsets of the
// nests that are open.
type encoder struct {
	b     []byte
	nests []int
}

func (e *encoder) header(typ uint16, n int) {
	e.b = binary.NativeEndian.AppendUint16(e.b, uint16(4+n))
	e.b = binary.NativeEndian.AppendUint16(e.b, typ)
}

func (e *encoder) pad() {
	for len(e.b)%4 != 0 {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) bytes(typ uint16, v []byte) {
	e.header(typ, len(v))
	e.b = append(e.b, v...)
	e.pad()
}

func (e *encoder) u8(typ uint16, v uint8) {
	e.header(typ, 1)
	e.b = append(e.b, v)
	e.pad()
}

func (e *encoder) u16(typ uint16, v uint16) {
	e.header(typ, 2)
	e.b = binary.NativeEndian.AppendUint16(e.b, v)
	e.pad()
}

func (e *encoder) u32(typ uint16, v uint32) {
	e.header(typ, 4)
	e.b = binary.NativeEndian.AppendUint32(e.b, v)
}

func (e *encoder) str(typ uint16, s string) {
	e.header(typ, len(s)+1)
	e.b = append(e.b, s...)
	e.b = append(e.b, 0)
	e.pad()
}

// begin opens a nest; the kernel's strict validation needs NLA_F_NESTED.
func (e *encoder) begin(typ uint16) {
	e.nests = append(e.nests, len(e.b))
	e.header(typ|nlaNested, 0)
}

// end closes the innermost open nest.
func (e *encoder) end() {
	off := e.nests[len(e.nests)-1]
	e.nests = e.nests[:len(e.nests)-1]
	binary.NativeEndian.PutUint16(e.b[off:], uint16(len(e.b)-off))
}

// sockaddr encodes ap as a Linux struct sockaddr_in or sockaddr_in6.
func sockaddr(ap netip.AddrPort, zone ZoneIndex) ([]byte, error) {
	a := ap.Addr()
	if a.Is4() {
		b := make([]byte, sockaddrInLen)
		binary.NativeEndian.PutUint16(b[0:], afInet)
		binary.BigEndian.PutUint16(b[2:], ap.Port())
		a4 := a.As4()
		copy(b[4:], a4[:])
		return b, nil
	}
	b := make([]byte, sockaddrIn6Len)
	binary.NativeEndian.PutUint16(b[0:], afInet6)
	binary.BigEndian.PutUint16(b[2:], ap.Port())
	a16 := a.As16()
	copy(b[8:], a16[:])
	var scope uint32
	if z := a.Zone(); z != "" {
		n, err := strconv.ParseUint(z, 10, 32)
		switch {
		case err == nil:
			scope = uint32(n)
		case zone == nil:
			return nil, fmt.Errorf("endpoint %s: zone %q is not a number", ap, z)
		default:
			idx, err := zone(z)
			if err != nil {
				return nil, fmt.Errorf("endpoint %s: zone %q: %w", ap, z, err)
			}
			scope = idx
		}
	}
	binary.NativeEndian.PutUint32(b[24:], scope)
	return b, nil
}

// allowedIP appends one allowed-IP nest.
func (e *encoder) allowedIP(p netip.Prefix, remove bool) {
	e.begin(0)
	a := p.Addr()
	if a.Is4() {
		e.u16(allowedIPFamily, afInet)
		a4 := a.As4()
		e.bytes(allowedIPAddr, a4[:])
	} else {
		e.u16(allowedIPFamily, afInet6)
		a16 := a.As16()
		e.bytes(allowedIPAddr, a16[:])
	}
	e.u8(allowedIPCIDR, uint8(p.Bits()))
	if remove {
		e.u32(allowedIPFlags, allowedIPFRemove)
	}
	e.end()
}

// EncodeSet returns the attributes (after the generic netlink header) of the
// WG_CMD_SET_DEVICE messages that apply cfg to the device called name, in
// the order they must be sent, each waiting for the previous one's ack.
// Every message, headers included, is at most maxSize bytes (and its
// attributes at most 65535 bytes, the largest a nest can hold).
//
// Like wg(8): every message names the device; the private key, listen port,
// fwmark and WGDEVICE_F_REPLACE_PEERS are only in the first one; a peer
// whose allowed IPs do not fit is continued in the next message with only
// its public key (plus WGPEER_F_UPDATE_ONLY if set, so that a continuation
// cannot create a peer the first part declined to create) and the remaining
// allowed IPs. Allowed IPs to remove precede the ones to add.
func EncodeSet(name string, cfg wgtypes.Config, maxSize int, zone ZoneIndex) ([][]byte, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	if err := ValidateConfig(cfg); err != nil {
		return nil, err
	}
	// Endpoints are resolved first so that a bad zone fails before any
	// message exists.
	endpoints := make([][]byte, len(cfg.Peers))
	for i := range cfg.Peers {
		p := &cfg.Peers[i]
		if p.Remove || p.Endpoint == nil {
			continue
		}
		sa, err := sockaddr(*p.Endpoint, zone)
		if err != nil {
			return nil, fmt.Errorf("peer %d (%s): %w", i, p.PublicKey, err)
		}
		endpoints[i] = sa
	}

	// nlattr lengths are 16 bits: no nest may exceed 65535 bytes.
	budget := min(maxSize-messageHeaderSize, 0xffff)
	if budget < 0 {
		return nil, fmt.Errorf("message size %d is smaller than the %d-byte headers", maxSize, messageHeaderSize)
	}
	var (
		out      [][]byte
		e        encoder
		hasPeers bool // the current message has a peers nest
	)
	start := func(first bool) {
		e = encoder{b: make([]byte, 0, budget)}
		hasPeers = false
		e.str(deviceIfname, name)
		if !first {
			return
		}
		if cfg.PrivateKey != nil {
			e.bytes(devicePrivateKey, cfg.PrivateKey[:])
		}
		if cfg.ListenPort != nil {
			e.u16(deviceListenPort, uint16(*cfg.ListenPort))
		}
		if cfg.FirewallMark != nil {
			e.u32(deviceFwmark, *cfg.FirewallMark)
		}
		if cfg.ReplacePeers {
			e.u32(deviceFlags, deviceFReplacePeers)
		}
	}
	flush := func() {
		for len(e.nests) > 0 {
			e.end()
		}
		out = append(out, e.b)
	}
	fits := func() bool { return len(e.b) <= budget }
	tooSmall := func(i int) error {
		return fmt.Errorf("peer %d (%s): does not fit in a %d-byte message", i, cfg.Peers[i].PublicKey, maxSize)
	}
	// open starts a (possibly continued) peer in the current message.
	open := func(p *wgtypes.PeerConfig) {
		if !hasPeers {
			e.begin(devicePeers)
			hasPeers = true
		}
		e.begin(0)
		e.bytes(peerPublicKey, p.PublicKey[:])
	}

	start(true)
	if len(e.b) > budget {
		return nil, fmt.Errorf("device attributes do not fit in a %d-byte message", maxSize)
	}
	for i := range cfg.Peers {
		p := &cfg.Peers[i]
		type aip struct {
			p      netip.Prefix
			remove bool
		}
		var ips []aip
		if !p.Remove {
			ips = make([]aip, 0, len(p.RemoveAllowedIPs)+len(p.AllowedIPs))
			for _, ip := range p.RemoveAllowedIPs {
				ips = append(ips, aip{ip, true})
			}
			for _, ip := range p.AllowedIPs {
				ips = append(ips, aip{ip, false})
			}
		}

		// The peer's first part: everything but the rest of its allowed IPs.
		for attempt := 0; ; attempt++ {
			mark, nests, hadPeers := len(e.b), len(e.nests), hasPeers
			open(p)
			var flags uint32
			switch {
			case p.Remove:
				flags = peerFRemoveMe
			default:
				if p.ReplaceAllowedIPs {
					flags |= peerFReplaceAllowedIP
				}
				if p.UpdateOnly {
					flags |= peerFUpdateOnly
				}
			}
			if flags != 0 {
				e.u32(peerFlags, flags)
			}
			if !p.Remove {
				if p.PresharedKey != nil {
					e.bytes(peerPresharedKey, p.PresharedKey[:])
				}
				if endpoints[i] != nil {
					e.bytes(peerEndpoint, endpoints[i])
				}
				if p.PersistentKeepalive != nil {
					e.u16(peerKeepalive, *p.PersistentKeepalive)
				}
				if len(ips) > 0 {
					e.begin(peerAllowedIPs)
					e.allowedIP(ips[0].p, ips[0].remove)
				}
			}
			if fits() {
				break
			}
			e.b, e.nests, hasPeers = e.b[:mark], e.nests[:nests], hadPeers
			if attempt > 0 {
				return nil, tooSmall(i)
			}
			flush()
			start(false)
		}
		// The rest of the allowed IPs, continuing the peer as needed.
		for j := 1; j < len(ips); j++ {
			mark := len(e.b)
			e.allowedIP(ips[j].p, ips[j].remove)
			if fits() {
				continue
			}
			e.b = e.b[:mark]
			flush()
			start(false)
			open(p)
			if p.UpdateOnly {
				e.u32(peerFlags, peerFUpdateOnly)
			}
			e.begin(peerAllowedIPs)
			e.allowedIP(ips[j].p, ips[j].remove)
			if !fits() {
				return nil, tooSmall(i)
			}
		}
		// Close the allowed IPs (if open) and the peer, keep the peers nest.
		for len(e.nests) > 1 {
			e.end()
		}
	}
	flush()
	return out, nil
}

// EncodeRemovalProbe returns the attributes of a SET message that asks the
// kernel to remove, from the device's first peer, an IPv6 /128 that no
// peer of d has. A kernel with WGALLOWEDIP_F_REMOVE_ME (Linux 6.16+) accepts
// it and changes nothing (removing a prefix the peer does not have is a
// no-op); an older one rejects the unknown attribute before changing
// anything, as the peer exists and the message sets nothing else. The peer
// carries WGPEER_F_UPDATE_ONLY so that the probe never creates it. ok is
// false when d has no peers.
func EncodeRemovalProbe(name string, d *wgtypes.Device) (attrs []byte, ok bool) {
	if len(d.Peers) == 0 {
		return nil, false
	}
	owned := make(map[netip.Prefix]bool)
	for _, p := range d.Peers {
		for _, ip := range p.AllowedIPs {
			owned[ip.Masked()] = true
		}
	}
	// 2001:db8::/32 is the documentation prefix; walk its last bits until
	// one is free.
	a := [16]byte{0x20, 0x01, 0x0d, 0xb8, 4: 0x77, 5: 0x67, 6: 0x6e, 7: 0x6c}
	var probe netip.Prefix
	for i := uint32(1); ; i++ {
		binary.BigEndian.PutUint32(a[12:], i)
		if probe = netip.PrefixFrom(netip.AddrFrom16(a), 128); !owned[probe] {
			break
		}
	}
	var e encoder
	e.str(deviceIfname, name)
	e.begin(devicePeers)
	e.begin(0)
	e.bytes(peerPublicKey, d.Peers[0].PublicKey[:])
	e.u32(peerFlags, peerFUpdateOnly)
	e.begin(peerAllowedIPs)
	e.allowedIP(probe, true)
	for len(e.nests) > 0 {
		e.end()
	}
	return e.b, true
}

// hasRemovals reports whether cfg removes single allowed IPs.
func hasRemovals(cfg *wgtypes.Config) bool {
	for i := range cfg.Peers {
		if !cfg.Peers[i].Remove && len(cfg.Peers[i].RemoveAllowedIPs) > 0 {
			return true
		}
	}
	return false
}
