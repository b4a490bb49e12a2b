package wgnl

import (
	"net/netip"
	"slices"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// RestoreConfig returns the change that takes a device from state now back
// to state before. It touches only what differs, so peers that the failed
// change did not affect keep their sessions. A peer is removed and
// re-created when its endpoint has to go back to unknown, which the kernel
// cannot do otherwise. The zero Config (no peers, no fields) means nothing
// differs.
func RestoreConfig(before, now *wgtypes.Device) wgtypes.Config {
	var cfg wgtypes.Config
	if before.PrivateKey != now.PrivateKey {
		k := before.PrivateKey
		cfg.PrivateKey = &k
	}
	if before.ListenPort != now.ListenPort {
		p := before.ListenPort
		cfg.ListenPort = &p
	}
	if before.FirewallMark != now.FirewallMark {
		m := before.FirewallMark
		cfg.FirewallMark = &m
	}
	old := make(map[wgtypes.Key]bool, len(before.Peers))
	for i := range before.Peers {
		old[before.Peers[i].PublicKey] = true
	}
	cur := make(map[wgtypes.Key]*wgtypes.Peer, len(now.Peers))
	for i := range now.Peers {
		p := &now.Peers[i]
		cur[p.PublicKey] = p
		if !old[p.PublicKey] {
			cfg.Peers = append(cfg.Peers, wgtypes.PeerConfig{PublicKey: p.PublicKey, Remove: true})
		}
	}
	for i := range before.Peers {
		p := &before.Peers[i]
		q := cur[p.PublicKey]
		if q != nil && samePeer(p, q) {
			continue
		}
		if q != nil && !p.Endpoint.IsValid() && q.Endpoint.IsValid() {
			cfg.Peers = append(cfg.Peers, wgtypes.PeerConfig{PublicKey: p.PublicKey, Remove: true})
		}
		psk, ka := p.PresharedKey, p.PersistentKeepalive
		pc := wgtypes.PeerConfig{
			PublicKey:           p.PublicKey,
			PresharedKey:        &psk,
			PersistentKeepalive: &ka,
			ReplaceAllowedIPs:   true,
			AllowedIPs:          slices.Clone(p.AllowedIPs),
		}
		if p.Endpoint.IsValid() {
			ep := p.Endpoint
			pc.Endpoint = &ep
		}
		cfg.Peers = append(cfg.Peers, pc)
	}
	return cfg
}

// IsEmpty reports whether cfg changes nothing.
func isEmpty(cfg *wgtypes.Config) bool {
	return cfg.PrivateKey == nil && cfg.ListenPort == nil && cfg.FirewallMark == nil &&
		!cfg.ReplacePeers && len(cfg.Peers) == 0
}

func samePeer(a, b *wgtypes.Peer) bool {
	return a.PresharedKey == b.PresharedKey && a.Endpoint == b.Endpoint &&
		a.PersistentKeepalive == b.PersistentKeepalive && samePrefixes(a.AllowedIPs, b.AllowedIPs)
}

// samePrefixes compares two lists of allowed IPs as sets of masked prefixes.
func samePrefixes(a, b []netip.Prefix) bool {
	if len(a) != len(b) {
		return false
	}
	norm := func(in []netip.Prefix) []netip.Prefix {
		out := make([]netip.Prefix, len(in))
		for i, p := range in {
			out[i] = p.Masked()
		}
		slices.SortFunc(out, comparePrefix)
		return out
	}
	return slices.Equal(norm(a), norm(b))
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}
