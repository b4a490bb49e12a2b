package wgnl

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/mdlayher/netlink"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// This file holds test helpers written independently of the package code:
// a model of the kernel's WG_CMD_SET_DEVICE handling (after
// drivers/net/wireguard/netlink.c set_device/set_peer/set_allowedip, as
// described in the spec), a kernel-like GET dump encoder built with
// mdlayher/netlink's AttributeEncoder, and random configurations.

type modelPeer struct {
	pub, psk wgtypes.Key
	ep       netip.AddrPort
	ka       uint16
	ips      []netip.Prefix
}

type modelDev struct {
	priv, pub  wgtypes.Key
	port       int
	fwmark     uint32
	peers      []*modelPeer
	owner      map[netip.Prefix]*modelPeer
	messages   int
	nestedSeen bool // every nest carried NLA_F_NESTED
}

func newModel() *modelDev { return &modelDev{owner: map[netip.Prefix]*modelPeer{}, nestedSeen: true} }

func (d *modelDev) find(k wgtypes.Key) (int, *modelPeer) {
	for i, p := range d.peers {
		if p.pub == k {
			return i, p
		}
	}
	return -1, nil
}

func (d *modelDev) dropIP(ip netip.Prefix) {
	if o := d.owner[ip]; o != nil {
		o.ips = slices.DeleteFunc(o.ips, func(q netip.Prefix) bool { return q == ip })
		delete(d.owner, ip)
	}
}

func (d *modelDev) removePeer(i int) {
	for _, ip := range d.peers[i].ips {
		delete(d.owner, ip)
	}
	d.peers = slices.Delete(d.peers, i, i+1)
}

type attrMap map[uint16][]byte

// parseAttrs decodes one level; nested types must carry NLA_F_NESTED.
func (d *modelDev) parseAttrs(b []byte, nested ...uint16) (attrMap, error) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return nil, err
	}
	m := attrMap{}
	for ad.Next() {
		if slices.Contains(nested, ad.Type()) && ad.TypeFlags()&netlink.Nested == 0 {
			d.nestedSeen = false
		}
		m[ad.Type()] = ad.Bytes()
	}
	return m, ad.Err()
}

func (d *modelDev) list(b []byte) ([][]byte, error) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for ad.Next() {
		if ad.TypeFlags()&netlink.Nested == 0 {
			d.nestedSeen = false
		}
		out = append(out, ad.Bytes())
	}
	return out, ad.Err()
}

var ne = binary.NativeEndian

// apply processes one SET message like the kernel (order: fwmark, listen
// port, replace-peers, private key, peers in order).
func (d *modelDev) apply(b []byte) error {
	d.messages++
	top, err := d.parseAttrs(b, devicePeers)
	if err != nil {
		return err
	}
	if _, ok := top[deviceIfname]; !ok {
		return fmt.Errorf("message without ifname")
	}
	if v, ok := top[deviceFwmark]; ok {
		d.fwmark = ne.Uint32(v)
	}
	if v, ok := top[deviceListenPort]; ok {
		d.port = int(ne.Uint16(v))
	}
	if v, ok := top[deviceFlags]; ok && ne.Uint32(v)&deviceFReplacePeers != 0 {
		d.peers, d.owner = nil, map[netip.Prefix]*modelPeer{}
	}
	if v, ok := top[devicePrivateKey]; ok {
		d.priv = wgtypes.Key(v)
		d.pub = d.priv.PublicKey()
		if i, _ := d.find(d.pub); i >= 0 {
			d.removePeer(i)
		}
	}
	peers, err := d.list(top[devicePeers])
	if err != nil {
		return err
	}
	for _, pb := range peers {
		pa, err := d.parseAttrs(pb, peerAllowedIPs)
		if err != nil {
			return err
		}
		pk, ok := pa[peerPublicKey]
		if !ok || len(pk) != 32 {
			return fmt.Errorf("peer without public key")
		}
		var flags uint32
		if v, ok := pa[peerFlags]; ok {
			flags = ne.Uint32(v)
		}
		i, p := d.find(wgtypes.Key(pk))
		if p == nil {
			if flags&(peerFRemoveMe|peerFUpdateOnly) != 0 || wgtypes.Key(pk) == d.pub && !d.priv.IsZero() {
				continue
			}
			p = &modelPeer{pub: wgtypes.Key(pk)}
			d.peers = append(d.peers, p)
			i = len(d.peers) - 1
			flags &^= peerFReplaceAllowedIP
		}
		if flags&peerFRemoveMe != 0 {
			d.removePeer(i)
			continue
		}
		if v, ok := pa[peerPresharedKey]; ok {
			p.psk = wgtypes.Key(v)
		}
		if v, ok := pa[peerEndpoint]; ok {
			ap, err := parseSockaddr(v, nil)
			if err != nil {
				return err
			}
			p.ep = ap
		}
		if flags&peerFReplaceAllowedIP != 0 {
			for _, ip := range p.ips {
				delete(d.owner, ip)
			}
			p.ips = nil
		}
		ips, err := d.list(pa[peerAllowedIPs])
		if err != nil {
			return err
		}
		for _, ib := range ips {
			ia, err := d.parseAttrs(ib)
			if err != nil {
				return err
			}
			a, ok := netip.AddrFromSlice(ia[allowedIPAddr])
			if !ok || len(ia[allowedIPCIDR]) != 1 || len(ia[allowedIPFamily]) != 2 {
				return fmt.Errorf("bad allowed ip")
			}
			ip := netip.PrefixFrom(a, int(ia[allowedIPCIDR][0])).Masked()
			if v, ok := ia[allowedIPFlags]; ok && ne.Uint32(v)&allowedIPFRemove != 0 {
				if d.owner[ip] == p {
					d.dropIP(ip)
				}
				continue
			}
			if d.owner[ip] == p {
				continue
			}
			d.dropIP(ip)
			d.owner[ip] = p
			p.ips = append(p.ips, ip)
		}
		if v, ok := pa[peerKeepalive]; ok {
			p.ka = ne.Uint16(v)
		}
	}
	return nil
}

// applyConfig applies cfg with the documented wgtypes.Config semantics,
// without any encoding.
func (d *modelDev) applyConfig(cfg wgtypes.Config) {
	if cfg.FirewallMark != nil {
		d.fwmark = *cfg.FirewallMark
	}
	if cfg.ListenPort != nil {
		d.port = *cfg.ListenPort
	}
	if cfg.ReplacePeers {
		d.peers, d.owner = nil, map[netip.Prefix]*modelPeer{}
	}
	if cfg.PrivateKey != nil {
		d.priv = *cfg.PrivateKey
		d.pub = d.priv.PublicKey()
		if i, _ := d.find(d.pub); i >= 0 {
			d.removePeer(i)
		}
	}
	for _, pc := range cfg.Peers {
		i, p := d.find(pc.PublicKey)
		replace := pc.ReplaceAllowedIPs
		if p == nil {
			if pc.Remove || pc.UpdateOnly || pc.PublicKey == d.pub && !d.priv.IsZero() {
				continue
			}
			p = &modelPeer{pub: pc.PublicKey}
			d.peers = append(d.peers, p)
			i, replace = len(d.peers)-1, false
		}
		if pc.Remove {
			d.removePeer(i)
			continue
		}
		if pc.PresharedKey != nil {
			p.psk = *pc.PresharedKey
		}
		if pc.Endpoint != nil {
			p.ep = *pc.Endpoint
		}
		if replace {
			for _, ip := range p.ips {
				delete(d.owner, ip)
			}
			p.ips = nil
		}
		for _, ip := range pc.RemoveAllowedIPs {
			if ip = ip.Masked(); d.owner[ip] == p {
				d.dropIP(ip)
			}
		}
		for _, ip := range pc.AllowedIPs {
			if ip = ip.Masked(); d.owner[ip] != p {
				d.dropIP(ip)
				d.owner[ip] = p
				p.ips = append(p.ips, ip)
			}
		}
		if pc.PersistentKeepalive != nil {
			p.ka = *pc.PersistentKeepalive
		}
	}
}

// device returns the model's state as Get would.
func (d *modelDev) device() *wgtypes.Device {
	dev := &wgtypes.Device{Type: wgtypes.LinuxKernel, PrivateKey: d.priv, ListenPort: d.port, FirewallMark: d.fwmark}
	if !d.priv.IsZero() {
		dev.PublicKey = d.pub
	}
	for _, p := range d.peers {
		dev.Peers = append(dev.Peers, wgtypes.Peer{
			PublicKey: p.pub, PresharedKey: p.psk, Endpoint: p.ep, PersistentKeepalive: p.ka,
			AllowedIPs: slices.Clone(p.ips), ProtocolVersion: 1,
		})
	}
	return dev
}

// dumpMessages encodes dev like the kernel's GET dump: device attributes in
// the first message, then peers; a peer whose allowed IPs do not fit
// continues in the next message with only its public key and allowed IPs.
// Each message's attributes are kept under budget bytes where possible.
func dumpMessages(t testing.TB, dev *wgtypes.Device, budget int) [][]byte {
	t.Helper()
	var out [][]byte
	enc := func(fn func(ae *netlink.AttributeEncoder)) []byte {
		ae := netlink.NewAttributeEncoder()
		fn(ae)
		b, err := ae.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ipAttr := func(ae *netlink.AttributeEncoder, ip netip.Prefix) {
		ae.Nested(0, func(ae *netlink.AttributeEncoder) error {
			if ip.Addr().Is4() {
				ae.Uint16(allowedIPFamily, afInet)
			} else {
				ae.Uint16(allowedIPFamily, afInet6)
			}
			ae.Bytes(allowedIPAddr, ip.Addr().AsSlice())
			ae.Uint8(allowedIPCIDR, uint8(ip.Bits()))
			return nil
		})
	}
	head := enc(func(ae *netlink.AttributeEncoder) {
		ae.Uint16(deviceListenPort, uint16(dev.ListenPort))
		ae.Uint32(deviceFwmark, dev.FirewallMark)
		ae.Uint32(deviceIfindex, 7)
		ae.String(deviceIfname, dev.Name)
		if !dev.PrivateKey.IsZero() {
			ae.Bytes(devicePrivateKey, dev.PrivateKey[:])
			ae.Bytes(devicePublicKey, dev.PublicKey[:])
		}
	})
	// Peers are encoded one fragment at a time; fragments are packed into
	// messages greedily.
	var frags [][]byte
	for _, p := range dev.Peers {
		ips := p.AllowedIPs
		first := true
		for first || len(ips) > 0 {
			n := min(len(ips), 30) // allowed IPs per fragment
			chunk := ips[:n]
			ips = ips[n:]
			frags = append(frags, enc(func(ae *netlink.AttributeEncoder) {
				ae.Nested(0, func(ae *netlink.AttributeEncoder) error {
					ae.Bytes(peerPublicKey, p.PublicKey[:])
					if first {
						ae.Bytes(peerPresharedKey, p.PresharedKey[:])
						ts := make([]byte, 16)
						if !p.LastHandshakeTime.IsZero() {
							ne.PutUint64(ts, uint64(p.LastHandshakeTime.Unix()))
							ne.PutUint64(ts[8:], uint64(p.LastHandshakeTime.Nanosecond()))
						}
						ae.Bytes(peerLastHandshake, ts)
						ae.Uint16(peerKeepalive, p.PersistentKeepalive)
						ae.Uint16(0, 0) // a pad attribute, as on some architectures
						ae.Uint64(peerTxBytes, p.TransmitBytes)
						ae.Uint64(peerRxBytes, p.ReceiveBytes)
						ae.Uint32(peerProtocolVersion, uint32(p.ProtocolVersion))
						if p.Endpoint.IsValid() {
							sa, err := sockaddr(p.Endpoint, nil)
							if err != nil {
								t.Fatal(err)
							}
							ae.Bytes(peerEndpoint, sa)
						}
					}
					if len(chunk) > 0 {
						ae.Nested(peerAllowedIPs, func(ae *netlink.AttributeEncoder) error {
							for _, ip := range chunk {
								ipAttr(ae, ip)
							}
							return nil
						})
					}
					return nil
				})
			}))
			first = false
		}
	}
	cur := head
	var peers []byte
	emit := func() {
		m := slices.Clone(cur)
		if len(peers) > 0 {
			m = append(m, enc(func(ae *netlink.AttributeEncoder) {
				ae.Bytes(devicePeers|nlaNested, peers)
			})...)
		}
		out = append(out, m)
		cur, peers = nil, nil
	}
	for _, f := range frags {
		if len(cur)+len(peers)+len(f)+4 > budget && len(peers) > 0 {
			emit()
		}
		peers = append(peers, f...)
	}
	emit()
	return out
}

func randKey(r *rand.Rand) wgtypes.Key {
	var k wgtypes.Key
	for i := range k {
		k[i] = byte(r.Uint32())
	}
	return k
}

// randConfig makes a configuration of n peers with ips allowed IPs each
// (unique prefixes, both families), endpoints of every kind, PSKs and
// keepalives.
func randConfig(r *rand.Rand, n, ips int) wgtypes.Config {
	priv := randKey(r).Clamped()
	port, mark := 1+r.IntN(65535), r.Uint32()
	cfg := wgtypes.Config{PrivateKey: &priv, ListenPort: &port, FirewallMark: &mark, ReplacePeers: true}
	seq := r.Uint32() // unique prefixes within one call, unlikely to collide across calls
	for i := range n {
		p := wgtypes.PeerConfig{PublicKey: randKey(r), ReplaceAllowedIPs: true}
		psk := randKey(r)
		if i%3 != 0 {
			p.PresharedKey = &psk
		}
		ka := uint16(r.IntN(3) * 25)
		p.PersistentKeepalive = &ka
		var ep netip.AddrPort
		port := uint16(1 + r.IntN(65535))
		switch i % 5 {
		case 0:
			ep = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 1}), port)
		case 1:
			ep = netip.AddrPortFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(i >> 8), 15: byte(i)}), port)
		case 2:
			ep = netip.AddrPortFrom(netip.AddrFrom16([16]byte{0xfe, 0x80, 14: byte(i >> 8), 15: byte(i)}).WithZone(fmt.Sprint(1000+i)), port)
		case 3:
			// no endpoint
		case 4:
			ep = netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), port)
		}
		if ep.IsValid() {
			p.Endpoint = &ep
		}
		for j := range ips {
			seq++
			if j%2 == 0 {
				p.AllowedIPs = append(p.AllowedIPs, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(seq >> 16), byte(seq >> 8), byte(seq)}), 32))
			} else {
				p.AllowedIPs = append(p.AllowedIPs, netip.PrefixFrom(netip.AddrFrom16([16]byte{0xfd, 0, 12: byte(seq >> 24), 13: byte(seq >> 16), 14: byte(seq >> 8), 15: byte(seq)}), 128))
			}
		}
		cfg.Peers = append(cfg.Peers, p)
	}
	return cfg
}

// cfgDevice is what a device configured from scratch with cfg looks like.
func applyAll(t testing.TB, d *modelDev, msgs [][]byte) {
	t.Helper()
	for i, m := range msgs {
		if err := d.apply(m); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
}
