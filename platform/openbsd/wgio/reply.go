package wgio

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// ParseDevice decodes a SIOCGWG reply: b holds exactly the wgd_size
// bytes the kernel reported. Name and Type are left for the caller.
//
// Fields come from the flags the kernel sets (wg_ioctl_get): keys only
// with WG_INTERFACE_HAS_PUBLIC/HAS_PRIVATE (root only: unprivileged
// callers get the listen port and routing table and no peers), the
// listen port with HAS_PORT, the routing table, reported as
// FirewallMark as wg(8) does, with HAS_RTABLE. A peer's preshared key is
// kept only when HAS_PSK is set and the key is not all zeros; keepalive
// with HAS_PKA; endpoint with HAS_ENDPOINT. Allowed IPs are returned
// masked (wg(4) echoes the address bits the setter sent). Descriptions
// (Layout74) have no place in wgtypes.Peer and are ignored.
//
// Every count and offset is checked against len(b) before use.
func ParseDevice(b []byte, layout Layout) (*wgtypes.Device, error) {
	if !layout.valid() {
		return nil, fmt.Errorf("SIOCGWG reply: unknown layout %v", layout)
	}
	if len(b) < SizeofInterfaceIO {
		return nil, fmt.Errorf("SIOCGWG reply: %d bytes, want at least %d", len(b), SizeofInterfaceIO)
	}
	d := &wgtypes.Device{}
	flags := b[offIfaceFlags]
	if flags&ifaceHasPort != 0 {
		d.ListenPort = int(binary.NativeEndian.Uint16(b[offIfacePort:]))
	}
	if flags&ifaceHasRtable != 0 {
		rt := int32(binary.NativeEndian.Uint32(b[offIfaceRtable:]))
		if rt < 0 {
			return nil, fmt.Errorf("SIOCGWG reply: rtable %d", rt)
		}
		d.FirewallMark = uint32(rt)
	}
	if flags&ifaceHasPublic != 0 {
		copy(d.PublicKey[:], b[offIfacePublic:])
	}
	if flags&ifaceHasPrivate != 0 {
		copy(d.PrivateKey[:], b[offIfacePrivate:])
	}
	n := binary.NativeEndian.Uint64(b[offIfacePeersCount:])
	// Every peer takes at least PeerSize bytes: bound the count before
	// allocating for it.
	if n > uint64(len(b)-SizeofInterfaceIO)/uint64(layout.PeerSize()) {
		return nil, fmt.Errorf("SIOCGWG reply: %d peers do not fit in %d bytes", n, len(b))
	}
	if n > 0 {
		d.Peers = make([]wgtypes.Peer, 0, n)
	}
	off := SizeofInterfaceIO
	for i := range n {
		p, next, err := parsePeer(b, off, layout)
		if err != nil {
			return nil, fmt.Errorf("SIOCGWG reply: peer %d: %w", i+1, err)
		}
		d.Peers = append(d.Peers, p)
		off = next
	}
	return d, nil
}

// parsePeer reads the peer at off and its allowed IPs, returning the
// offset of the next peer.
func parsePeer(b []byte, off int, layout Layout) (wgtypes.Peer, int, error) {
	var p wgtypes.Peer
	if len(b)-off < layout.PeerSize() {
		return p, 0, fmt.Errorf("truncated at byte %d", off)
	}
	pb := b[off : off+layout.PeerSize()]
	flags := binary.NativeEndian.Uint32(pb[offPeerFlags:])
	if flags&peerHasPublic == 0 {
		return p, 0, fmt.Errorf("no public key (flags %#x)", flags)
	}
	copy(p.PublicKey[:], pb[offPeerPublic:])
	p.ProtocolVersion = int(int32(binary.NativeEndian.Uint32(pb[offPeerProtocol:])))
	if p.ProtocolVersion == 0 {
		p.ProtocolVersion = 1 // 0 means "latest", which is 1
	}
	if flags&peerHasPSK != 0 {
		copy(p.PresharedKey[:], pb[offPeerPSK:])
	}
	if flags&peerHasPKA != 0 {
		p.PersistentKeepalive = binary.NativeEndian.Uint16(pb[offPeerPKA:])
	}
	if flags&peerHasEndpoint != 0 {
		ep, err := endpoint(pb[offPeerEndpoint : offPeerEndpoint+sizeofEndpoint])
		if err != nil {
			return p, 0, err
		}
		p.Endpoint = ep
	}
	p.TransmitBytes = binary.NativeEndian.Uint64(pb[offPeerTxBytes:])
	p.ReceiveBytes = binary.NativeEndian.Uint64(pb[offPeerRxBytes:])
	sec := int64(binary.NativeEndian.Uint64(pb[offPeerHandshake:]))
	nsec := int64(binary.NativeEndian.Uint64(pb[offPeerHandshake+8:]))
	switch {
	case sec == 0 && nsec == 0: // never
	case sec < 0 || nsec < 0 || nsec >= int64(time.Second):
		return p, 0, fmt.Errorf("last handshake %d.%09d out of range", sec, nsec)
	default:
		p.LastHandshakeTime = time.Unix(sec, nsec)
	}

	naips := binary.NativeEndian.Uint64(pb[layout.aipsCountOffset():])
	off += layout.PeerSize()
	if naips > uint64(len(b)-off)/SizeofAipIO {
		return p, 0, fmt.Errorf("%d allowed IPs do not fit in the %d bytes left", naips, len(b)-off)
	}
	if naips > 0 {
		p.AllowedIPs = make([]netip.Prefix, 0, naips)
	}
	for j := range naips {
		pfx, err := parseAip(b[off : off+SizeofAipIO])
		if err != nil {
			return p, 0, fmt.Errorf("allowed IP %d: %w", j+1, err)
		}
		p.AllowedIPs = append(p.AllowedIPs, pfx)
		off += SizeofAipIO
	}
	return p, off, nil
}

func parseAip(b []byte) (netip.Prefix, error) {
	cidr := int32(binary.NativeEndian.Uint32(b[offAipCIDR:]))
	var addr netip.Addr
	switch fam := b[offAipFamily]; fam {
	case afInet:
		addr = netip.AddrFrom4([4]byte(b[offAipAddr : offAipAddr+4]))
	case afInet6:
		addr = netip.AddrFrom16([16]byte(b[offAipAddr : offAipAddr+16]))
	default:
		return netip.Prefix{}, fmt.Errorf("address family %d", fam)
	}
	if cidr < 0 || int(cidr) > addr.BitLen() {
		return netip.Prefix{}, fmt.Errorf("%s/%d: prefix length out of range", addr, cidr)
	}
	return netip.PrefixFrom(addr, int(cidr)).Masked(), nil
}
