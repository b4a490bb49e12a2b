package wgio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/bsd/rollback"
)

// ErrNeedState is wrapped when a Config uses a feature wg(4) lacks and
// SetRequests was not given the current device to emulate it from.
var ErrNeedState = errors.New("wg(4) cannot express this; the current device state is needed to emulate it")

// peerReq is one wg_peer_io to write, with its allowed IPs.
type peerReq struct {
	flags uint32
	pub   wgtypes.Key
	psk   wgtypes.Key
	pka   uint16
	ep    [sizeofEndpoint]byte
	aips  []netip.Prefix
}

// SetRequests builds the SIOCSWG buffers that apply cfg, to be sent in
// order on one interface. It returns no buffer when cfg changes nothing.
//
// Mapping (wg_ioctl_set in if_wg.c):
//
//   - PrivateKey sets i_private (WG_INTERFACE_HAS_PRIVATE); the zero key
//     removes the identity, as on Linux.
//   - ListenPort sets i_port (host byte order); 0 picks a random port when
//     the interface comes up.
//   - FirewallMark sets i_rtable (WG_INTERFACE_HAS_RTABLE), the routing
//     table of the tunnel's UDP sockets, as wg(8) maps fwmark on OpenBSD.
//     It must be 0-255 and the table must exist; OpenBSD has no packet
//     marks.
//   - ReplacePeers sets WG_INTERFACE_REPLACE_PEERS.
//   - Per peer: HAS_PUBLIC always; Remove sets WG_PEER_REMOVE and sends
//     nothing else; UpdateOnly sets WG_PEER_UPDATE; PresharedKey,
//     PersistentKeepalive and Endpoint set HAS_PSK, HAS_PKA and
//     HAS_ENDPOINT; ReplaceAllowedIPs sets WG_PEER_REPLACE_AIPS; allowed
//     IPs are sent masked. p_protocol_version is 0 (latest) and no
//     description is set.
//
// What wg(4) cannot express:
//
//   - RemoveAllowedIPs: there is no per-allowed-IP removal. For a peer in
//     cur the request sets WG_PEER_REPLACE_AIPS and lists the resulting
//     set: its current prefixes, minus the removed ones, minus those an
//     earlier peer of the same request takes over, plus AllowedIPs. For a
//     peer not in cur, or after ReplaceAllowedIPs or ReplacePeers, there
//     is nothing to remove. With cur == nil this fails with ErrNeedState.
//     The emulation is only as current as cur.
//   - Skipped peers: the kernel skips a peer it will not create (UPDATE
//     or REMOVE of an absent peer, or the interface's own public key).
//     Older kernels (fixed by rev 1.47 of if_wg.c; the release is not
//     known) did not advance their read position correctly past a
//     skipped peer, misreading every following peer of the buffer. So a
//     peer with UPDATE or REMOVE always ends its buffer and the
//     remaining peers go in the next one: processing order is unchanged,
//     and the interface flags only go in the first buffer. A peer whose
//     key is the interface's own public key (from cfg.PrivateKey, else
//     cur) is left out, as every WireGuard implementation ignores it;
//     when neither is known that case is not guarded.
//
// Everything wg(4) would accept but misapply is rejected here: out of
// range ports and tables, invalid prefixes and endpoints.
func SetRequests(cfg wgtypes.Config, layout Layout, cur *wgtypes.Device) ([][]byte, error) {
	if !layout.valid() {
		return nil, fmt.Errorf("SIOCSWG: unknown layout %v", layout)
	}
	var ifaceFlags uint8
	var port uint16
	var rtable int32
	var priv wgtypes.Key
	if cfg.PrivateKey != nil {
		ifaceFlags |= ifaceHasPrivate
		priv = *cfg.PrivateKey
	}
	if cfg.ListenPort != nil {
		p := *cfg.ListenPort
		if p < 0 || p > 65535 {
			return nil, fmt.Errorf("ListenPort %d: out of range 0-65535", p)
		}
		ifaceFlags |= ifaceHasPort
		port = uint16(p)
	}
	if cfg.FirewallMark != nil {
		m := *cfg.FirewallMark
		if m > RtableMax {
			return nil, fmt.Errorf("FirewallMark %d: OpenBSD has no packet marks; "+
				"wg(4) uses it as the routing table (rtable) of the tunnel's sockets, which must be 0-%d", m, RtableMax)
		}
		ifaceFlags |= ifaceHasRtable
		rtable = int32(m)
	}
	if cfg.ReplacePeers {
		ifaceFlags |= ifaceReplacePeers
	}

	var own wgtypes.Key // zero: unknown or no identity
	switch {
	case cfg.PrivateKey != nil:
		if !priv.IsZero() {
			own = priv.PublicKey()
		}
	case cur != nil:
		own = cur.PublicKey
	}

	peers := make([]peerReq, 0, len(cfg.Peers))
	var claimed []netip.Prefix // taken by earlier peers of this request
	for i := range cfg.Peers {
		pc := &cfg.Peers[i]
		if !own.IsZero() && pc.PublicKey == own {
			continue
		}
		p, err := peerRequest(pc, cfg.ReplacePeers, cur, claimed)
		if err != nil {
			return nil, fmt.Errorf("peer %d (%s): %w", i+1, pc.PublicKey, err)
		}
		if !pc.UpdateOnly || cur != nil && !cfg.ReplacePeers && findPeer(cur, pc.PublicKey) != nil {
			// The kernel will apply this peer (an UpdateOnly peer
			// that does not exist is skipped).
			claimed = append(claimed, p.aips...)
		}
		peers = append(peers, p)
	}
	if ifaceFlags == 0 && len(peers) == 0 {
		return nil, nil
	}

	var bufs [][]byte
	start := 0
	for i, p := range peers {
		last := i == len(peers)-1
		if last || p.flags&(peerUpdate|peerRemove) != 0 {
			bufs = append(bufs, encode(layout, peers[start:i+1]))
			start = i + 1
		}
	}
	if len(peers) == 0 {
		bufs = append(bufs, encode(layout, nil))
	}
	b := bufs[0]
	b[offIfaceFlags] = ifaceFlags
	binary.NativeEndian.PutUint16(b[offIfacePort:], port)
	binary.NativeEndian.PutUint32(b[offIfaceRtable:], uint32(rtable))
	copy(b[offIfacePrivate:], priv[:])
	return bufs, nil
}

func peerRequest(pc *wgtypes.PeerConfig, replacePeers bool, cur *wgtypes.Device, claimed []netip.Prefix) (peerReq, error) {
	p := peerReq{flags: peerHasPublic, pub: pc.PublicKey}
	if pc.Remove {
		// wg_ioctl_set destroys the peer and reads nothing else.
		p.flags |= peerRemove
		return p, nil
	}
	if pc.UpdateOnly {
		p.flags |= peerUpdate
	}
	if pc.PresharedKey != nil {
		// 32 zero bytes mean "no preshared key".
		p.flags |= peerHasPSK
		p.psk = *pc.PresharedKey
	}
	if pc.PersistentKeepalive != nil {
		p.flags |= peerHasPKA
		p.pka = *pc.PersistentKeepalive
	}
	if pc.Endpoint != nil {
		if err := putEndpoint(p.ep[:], *pc.Endpoint); err != nil {
			return p, err
		}
		p.flags |= peerHasEndpoint
	}
	if pc.ReplaceAllowedIPs {
		p.flags |= peerReplaceAIPs
	}
	add := pc.AllowedIPs
	if len(pc.RemoveAllowedIPs) > 0 && !pc.ReplaceAllowedIPs && !replacePeers {
		if cur == nil {
			return p, fmt.Errorf("RemoveAllowedIPs: %w", ErrNeedState)
		}
		if existing := findPeer(cur, pc.PublicKey); existing != nil {
			p.flags |= peerReplaceAIPs
			add = nil
			for _, have := range existing.AllowedIPs {
				if !containsPrefix(pc.RemoveAllowedIPs, have) && !containsPrefix(claimed, have) {
					add = append(add, have)
				}
			}
			add = append(add, pc.AllowedIPs...)
		}
	}
	p.aips = make([]netip.Prefix, 0, len(add))
	for _, pfx := range add {
		if !pfx.IsValid() {
			return p, fmt.Errorf("allowed IP %s: invalid prefix", pfx)
		}
		p.aips = append(p.aips, pfx.Masked())
	}
	return p, nil
}

// encode writes one buffer: the interface struct (flags left zero for
// the caller) and peers, each followed by its allowed IPs.
func encode(layout Layout, peers []peerReq) []byte {
	size := SizeofInterfaceIO
	for _, p := range peers {
		size += layout.PeerSize() + SizeofAipIO*len(p.aips)
	}
	b := make([]byte, size)
	binary.NativeEndian.PutUint64(b[offIfacePeersCount:], uint64(len(peers)))
	off := SizeofInterfaceIO
	for _, p := range peers {
		pb := b[off : off+layout.PeerSize()]
		binary.NativeEndian.PutUint32(pb[offPeerFlags:], p.flags)
		// p_protocol_version 0: the latest the kernel speaks.
		copy(pb[offPeerPublic:], p.pub[:])
		copy(pb[offPeerPSK:], p.psk[:])
		binary.NativeEndian.PutUint16(pb[offPeerPKA:], p.pka)
		copy(pb[offPeerEndpoint:], p.ep[:])
		binary.NativeEndian.PutUint64(pb[layout.aipsCountOffset():], uint64(len(p.aips)))
		off += layout.PeerSize()
		for _, pfx := range p.aips {
			putAip(b[off:off+SizeofAipIO], pfx)
			off += SizeofAipIO
		}
	}
	return b
}

func putAip(b []byte, pfx netip.Prefix) {
	a := pfx.Addr()
	if a.Is4() {
		b[offAipFamily] = afInet
		ip := a.As4()
		copy(b[offAipAddr:], ip[:])
	} else {
		b[offAipFamily] = afInet6
		ip := a.As16()
		copy(b[offAipAddr:], ip[:])
	}
	binary.NativeEndian.PutUint32(b[offAipCIDR:], uint32(pfx.Bits()))
}

func containsPrefix(set []netip.Prefix, p netip.Prefix) bool {
	p = p.Masked()
	return slices.ContainsFunc(set, func(q netip.Prefix) bool { return q.Masked() == p })
}

func findPeer(d *wgtypes.Device, key wgtypes.Key) *wgtypes.Peer {
	for i := range d.Peers {
		if d.Peers[i].PublicKey == key {
			return &d.Peers[i]
		}
	}
	return nil
}

// RestoreRequests builds SIOCSWG buffers that put an interface back into
// the observed state dev (rollback.Config): listen port, routing table,
// private key (when dev has one, or removing it when dev has no identity
// at all) and every peer with its keys, endpoint, keepalive and allowed
// IPs, replacing the current peers. Peers come back without sessions,
// counters or descriptions.
func RestoreRequests(dev *wgtypes.Device, layout Layout) ([][]byte, error) {
	cfg := rollback.Config(dev)
	// A device with a public key but no private key was read without
	// privilege; its key is unknown and must be left alone, as Config
	// does. With neither there is no identity, and the zero key (which
	// wg(4), unlike if_wg, takes as removal) drops any key the failed
	// change installed.
	if dev.PrivateKey.IsZero() && dev.PublicKey.IsZero() {
		cfg.PrivateKey = new(wgtypes.Key)
	}
	return SetRequests(cfg, layout, nil)
}
