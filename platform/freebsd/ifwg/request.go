package ifwg

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/bsd/rollback"
	"github.com/wgshim/wgshim/platform/freebsd/nv"
)

// nvlist keys of the if_wg schema (if_wg.c wgc_set, wg_peer_add, wgc_get).
const (
	keyListenPort    = "listen-port"
	keyPrivateKey    = "private-key"
	keyPublicKey     = "public-key"
	keyUserCookie    = "user-cookie"
	keyReplacePeers  = "replace-peers"
	keyPeers         = "peers"
	keyRemove        = "remove"
	keyReplaceAIPs   = "replace-allowedips"
	keyEndpoint      = "endpoint"
	keyPresharedKey  = "preshared-key"
	keyKeepalive     = "persistent-keepalive-interval"
	keyAllowedIPs    = "allowed-ips"
	keyLastHandshake = "last-handshake-time"
	keyRxBytes       = "rx-bytes"
	keyTxBytes       = "tx-bytes"
	keyIPv4          = "ipv4"
	keyIPv6          = "ipv6"
	keyCIDR          = "cidr"
)

// ErrNeedState is wrapped when a Config uses a feature if_wg lacks and
// SetRequest was not given the current device to emulate it from.
var ErrNeedState = errors.New("if_wg cannot express this; the current device state is needed to emulate it")

// SetRequest builds the SIOCSWG nvlist for cfg.
//
// cur is the device as a SIOCGWG just returned it. It is needed only for
// what if_wg cannot express, which is emulated:
//
//   - UpdateOnly: the peer is left out of the request unless it exists in
//     cur (and ReplacePeers is false, since that removes every peer first).
//   - RemoveAllowedIPs: for a peer that exists in cur, the request sets
//     replace-allowedips and lists the peer's resulting set (current minus
//     removed, plus added). For a new peer, or after ReplacePeers or
//     ReplaceAllowedIPs, there is nothing to remove. The allowed-ip
//     "flags" key (remove bit) is not used: kernels before it was added
//     ignore it and would add the prefix instead.
//
// With cur == nil those features fail with ErrNeedState. Everything if_wg
// would reject with EINVAL is rejected here first, as is a zero private
// key (if_wg has no way to remove the private key).
func SetRequest(cfg wgtypes.Config, cur *wgtypes.Device) (*nv.List, error) {
	l := nv.New()
	// The kernel applies replace-peers first whatever the key order; put
	// it first so the request reads in the order it takes effect.
	if cfg.ReplacePeers {
		l.AddBool(keyReplacePeers, true)
	}
	if cfg.ListenPort != nil {
		p := *cfg.ListenPort
		if p < 0 || p > 65535 {
			return nil, fmt.Errorf("ListenPort %d: out of range 0-65535", p)
		}
		l.AddNumber(keyListenPort, uint64(p))
	}
	if cfg.PrivateKey != nil {
		if cfg.PrivateKey.IsZero() {
			return nil, errors.New("PrivateKey: if_wg cannot remove the private key " +
				"(a zero key is clamped and installed as a real key); destroy and recreate the interface instead")
		}
		l.AddBinary(keyPrivateKey, cfg.PrivateKey[:])
	}
	if cfg.FirewallMark != nil {
		// FreeBSD's analogue of fwmark is SO_USER_COOKIE on the tunnel's
		// sockets (wg(8) maps fwmark to it); ipfw and pf can match it.
		l.AddNumber(keyUserCookie, uint64(*cfg.FirewallMark))
	}
	var peers []*nv.List
	for i := range cfg.Peers {
		pc := &cfg.Peers[i]
		p, err := peerRequest(pc, cfg.ReplacePeers, cur)
		if err != nil {
			return nil, fmt.Errorf("peer %d (%s): %w", i+1, pc.PublicKey, err)
		}
		if p != nil {
			peers = append(peers, p)
		}
	}
	if len(peers) > 0 { // libnv cannot encode an empty array
		l.AddListArray(keyPeers, peers)
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	return l, nil
}

// peerRequest returns the peer element, or nil when UpdateOnly skips it.
func peerRequest(pc *wgtypes.PeerConfig, replacePeers bool, cur *wgtypes.Device) (*nv.List, error) {
	p := nv.New().AddBinary(keyPublicKey, pc.PublicKey[:])
	if pc.Remove {
		// wg_peer_add ignores everything else in a removing element.
		return p.AddBool(keyRemove, true), nil
	}
	var existing *wgtypes.Peer
	if pc.UpdateOnly || len(pc.RemoveAllowedIPs) > 0 {
		if cur == nil {
			feature := "UpdateOnly"
			if !pc.UpdateOnly {
				feature = "RemoveAllowedIPs"
			}
			return nil, fmt.Errorf("%s: %w", feature, ErrNeedState)
		}
		if !replacePeers {
			existing = findPeer(cur, pc.PublicKey)
		}
		if pc.UpdateOnly && existing == nil {
			return nil, nil
		}
	}
	if pc.PresharedKey != nil {
		// 32 zero bytes mean "no preshared key" to if_wg as to the protocol.
		p.AddBinary(keyPresharedKey, pc.PresharedKey[:])
	}
	if pc.Endpoint != nil {
		sa, err := EncodeSockaddr(*pc.Endpoint)
		if err != nil {
			return nil, err
		}
		p.AddBinary(keyEndpoint, sa)
	}
	if pc.PersistentKeepalive != nil {
		p.AddNumber(keyKeepalive, uint64(*pc.PersistentKeepalive))
	}

	replace := pc.ReplaceAllowedIPs
	add := pc.AllowedIPs
	if len(pc.RemoveAllowedIPs) > 0 && !pc.ReplaceAllowedIPs && existing != nil {
		// Emulate removal: send the whole resulting set with
		// replace-allowedips.
		replace = true
		add = nil
		for _, have := range existing.AllowedIPs {
			if !containsPrefix(pc.RemoveAllowedIPs, have) {
				add = append(add, have)
			}
		}
		add = append(add, pc.AllowedIPs...)
	}
	if replace {
		p.AddBool(keyReplaceAIPs, true)
	}
	var aips []*nv.List
	for _, pfx := range add {
		a, err := allowedIPRequest(pfx)
		if err != nil {
			return nil, err
		}
		aips = append(aips, a)
	}
	if len(aips) > 0 {
		p.AddListArray(keyAllowedIPs, aips)
	}
	return p, nil
}

func allowedIPRequest(pfx netip.Prefix) (*nv.List, error) {
	if !pfx.IsValid() {
		return nil, fmt.Errorf("allowed IP %s: invalid prefix", pfx)
	}
	// The kernel masks host bits itself; send the canonical form.
	pfx = pfx.Masked()
	a := nv.New()
	if pfx.Addr().Is4() {
		ip := pfx.Addr().As4()
		a.AddBinary(keyIPv4, ip[:])
	} else {
		ip := pfx.Addr().As16()
		a.AddBinary(keyIPv6, ip[:])
	}
	return a.AddNumber(keyCIDR, uint64(pfx.Bits())), nil
}

func containsPrefix(set []netip.Prefix, p netip.Prefix) bool {
	return slices.ContainsFunc(set, func(q netip.Prefix) bool { return q.Masked() == p.Masked() })
}

func findPeer(d *wgtypes.Device, key wgtypes.Key) *wgtypes.Peer {
	for i := range d.Peers {
		if d.Peers[i].PublicKey == key {
			return &d.Peers[i]
		}
	}
	return nil
}

// RestoreRequest builds a SIOCSWG request that puts an interface back into
// the observed state dev (rollback.Config): every peer is replaced with its
// keys, endpoint, keepalive and allowed IPs. It cannot remove a private key
// that dev does not have, and peers come back without sessions or counters.
func RestoreRequest(dev *wgtypes.Device) (*nv.List, error) {
	return SetRequest(rollback.Config(dev), nil)
}
