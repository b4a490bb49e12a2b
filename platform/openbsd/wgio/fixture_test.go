package wgio

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// Fixtures are written field by field at the offsets given in
// /work/shared/spec/openbsd-wg-ioctl.md §2 (typed in as numbers here, not
// taken from the package's constants), so a wrong constant in layout.go
// shows up as a byte difference. Host-order fields use the host's byte
// order, as the kernel does.

var ne = binary.NativeEndian

type fixture []byte

// wg_interface_io (spec §2.1), 80 bytes at off.
func (f fixture) iface(off int, flags uint8, port uint16, rtable int32, pub, priv *wgtypes.Key, npeers uint64) {
	f[off+0] = flags                        // i_flags
	ne.PutUint16(f[off+2:], port)           // i_port, host order
	ne.PutUint32(f[off+4:], uint32(rtable)) // i_rtable
	copyKey(f[off+8:off+40], pub)           // i_public
	copyKey(f[off+40:off+72], priv)         // i_private
	ne.PutUint64(f[off+72:off+80], npeers)  // i_peers_count
}

// wg_peer_io (spec §2.3) at off; the aips count goes at 136 (<= 7.3) or
// 200 (>= 7.4, after the 64-byte description at 136).
func (f fixture) peer(off int, l Layout, flags uint32, proto int32, pub, psk *wgtypes.Key, pka uint16, ep []byte, naips uint64) {
	ne.PutUint32(f[off+0:], flags)         // p_flags
	ne.PutUint32(f[off+4:], uint32(proto)) // p_protocol_version
	copyKey(f[off+8:off+40], pub)          // p_public
	copyKey(f[off+40:off+72], psk)         // p_psk
	ne.PutUint16(f[off+72:], pka)          // p_pka; 74-75 padding
	copy(f[off+76:off+104], ep)            // p_endpoint, 28-byte union
	if l == Layout74 {
		ne.PutUint64(f[off+200:off+208], naips) // p_aips_count after p_description[64]
	} else {
		ne.PutUint64(f[off+136:off+144], naips) // p_aips_count
	}
}

// Reply-only peer fields: counters at 104/112, timespec at 120/128, and
// the 7.4 description at 136.
func (f fixture) peerStats(off int, tx, rx uint64, sec, nsec int64) {
	ne.PutUint64(f[off+104:], tx)           // p_txbytes
	ne.PutUint64(f[off+112:], rx)           // p_rxbytes
	ne.PutUint64(f[off+120:], uint64(sec))  // p_last_handshake.tv_sec
	ne.PutUint64(f[off+128:], uint64(nsec)) // p_last_handshake.tv_nsec
}

func (f fixture) description(off int, s string) { copy(f[off+136:off+200], s) }

// wg_aip_io (spec §2.2), 24 bytes at off: family 2 or 24, cidr at 4,
// address at 8.
func (f fixture) aip(off int, s string) {
	p := netip.MustParsePrefix(s)
	if p.Addr().Is4() {
		f[off] = 2 // AF_INET
		a := p.Addr().As4()
		copy(f[off+8:], a[:])
	} else {
		f[off] = 24 // AF_INET6 on OpenBSD
		a := p.Addr().As16()
		copy(f[off+8:], a[:])
	}
	ne.PutUint32(f[off+4:], uint32(p.Bits())) // a_cidr
}

func copyKey(dst []byte, k *wgtypes.Key) {
	if k != nil {
		copy(dst, k[:])
	}
}

// sin builds a 16-byte struct sockaddr_in: len, family, port (network
// order), address.
func sin(a string, port uint16) []byte {
	b := make([]byte, 16)
	b[0], b[1] = 16, 2
	binary.BigEndian.PutUint16(b[2:], port)
	ip := netip.MustParseAddr(a).As4()
	copy(b[4:], ip[:])
	return b
}

// sin6 builds a 28-byte struct sockaddr_in6: len, family 24, port,
// flowinfo 0, address at 8, scope id (host order) at 24.
func sin6(a string, port uint16, scope uint32) []byte {
	b := make([]byte, 28)
	b[0], b[1] = 28, 24
	binary.BigEndian.PutUint16(b[2:], port)
	ip := netip.MustParseAddr(a).As16()
	copy(b[8:], ip[:])
	ne.PutUint32(b[24:], scope)
	return b
}

func psize(l Layout) int {
	if l == Layout74 {
		return 208
	}
	return 144
}

func key(b byte) wgtypes.Key {
	var k wgtypes.Key
	for i := range k {
		k[i] = b + byte(i)
	}
	return k
}

func ptr[T any](v T) *T { return &v }

func pfxs(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, x := range s {
		out = append(out, netip.MustParsePrefix(x))
	}
	return out
}

// buildReply writes dev as wg_ioctl_get would (root caller): the flag
// rules of if_wg.c, peers in order, each followed by its allowed IPs.
func buildReply(dev *wgtypes.Device, l Layout) []byte {
	size := 80
	for _, p := range dev.Peers {
		size += psize(l) + 24*len(p.AllowedIPs)
	}
	f := make(fixture, size)
	var flags uint8
	if dev.ListenPort != 0 {
		flags |= 0x04
	}
	if dev.FirewallMark != 0 {
		flags |= 0x08
	}
	var pub, priv *wgtypes.Key
	if !dev.PrivateKey.IsZero() {
		flags |= 0x01 | 0x02
		pub, priv = &dev.PublicKey, &dev.PrivateKey
	}
	f.iface(0, flags, uint16(dev.ListenPort), int32(dev.FirewallMark), pub, priv, uint64(len(dev.Peers)))
	off := 80
	for _, p := range dev.Peers {
		pflags := uint32(0x01)
		if !p.PresharedKey.IsZero() {
			pflags |= 0x02
		}
		if p.PersistentKeepalive != 0 {
			pflags |= 0x04
		}
		var ep []byte
		if p.Endpoint.IsValid() {
			pflags |= 0x08
			if p.Endpoint.Addr().Is4() {
				ep = sin(p.Endpoint.Addr().String(), p.Endpoint.Port())
			} else {
				ep = sin6(p.Endpoint.Addr().WithZone("").String(), p.Endpoint.Port(), 0)
			}
		}
		f.peer(off, l, pflags, 1, &p.PublicKey, &p.PresharedKey, p.PersistentKeepalive, ep, uint64(len(p.AllowedIPs)))
		var sec, nsec int64
		if !p.LastHandshakeTime.IsZero() {
			sec, nsec = p.LastHandshakeTime.Unix(), int64(p.LastHandshakeTime.Nanosecond())
		}
		f.peerStats(off, p.TransmitBytes, p.ReceiveBytes, sec, nsec)
		off += psize(l)
		for _, a := range p.AllowedIPs {
			f.aip(off, a.String())
			off += 24
		}
	}
	return f
}

var t0 = time.Unix(1700000000, 123456789)
