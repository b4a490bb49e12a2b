package wgnl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/mdlayher/netlink"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// ZoneName names the interface of an IPv6 scope id, or returns "" if it
// cannot; the decimal id is used then. A nil ZoneName always uses numbers.
type ZoneName func(index uint32) string

// DecodeDevice builds a Device from the attributes (after the generic
// netlink header) of the messages of one WG_CMD_GET_DEVICE dump, in order.
//
// Device attributes come from whichever message has them (the kernel sends
// them in the first). A peer that did not fit in one message is continued
// at the start of the next with the same public key and more allowed IPs;
// consecutive peers with the same public key are merged, as wg(8) does.
func DecodeDevice(msgs [][]byte, zone ZoneName) (*wgtypes.Device, error) {
	d := &wgtypes.Device{Type: wgtypes.LinuxKernel}
	for i, m := range msgs {
		if err := decodeMessage(d, m, zone); err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
	}
	// Merge continued peers in place.
	peers := d.Peers[:0]
	for _, p := range d.Peers {
		if n := len(peers); n > 0 && peers[n-1].PublicKey == p.PublicKey {
			peers[n-1].AllowedIPs = append(peers[n-1].AllowedIPs, p.AllowedIPs...)
			continue
		}
		peers = append(peers, p)
	}
	clear(d.Peers[len(peers):])
	d.Peers = peers
	return d, nil
}

func decodeMessage(d *wgtypes.Device, b []byte, zone ZoneName) error {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return err
	}
	for ad.Next() {
		switch ad.Type() {
		case deviceIfname:
			d.Name = ad.String()
		case devicePrivateKey:
			ad.Do(keyInto(&d.PrivateKey))
		case devicePublicKey:
			ad.Do(keyInto(&d.PublicKey))
		case deviceListenPort:
			d.ListenPort = int(ad.Uint16())
		case deviceFwmark:
			d.FirewallMark = ad.Uint32()
		case devicePeers:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					var p wgtypes.Peer
					nad.Nested(func(pad *netlink.AttributeDecoder) error {
						return decodePeer(&p, pad, zone)
					})
					if nad.Err() != nil {
						break
					}
					d.Peers = append(d.Peers, p)
				}
				return nad.Err()
			})
		}
	}
	return ad.Err()
}

func keyInto(k *wgtypes.Key) func([]byte) error {
	return func(b []byte) error {
		if len(b) != wgtypes.KeyLen {
			return fmt.Errorf("key is %d bytes, want %d", len(b), wgtypes.KeyLen)
		}
		copy(k[:], b)
		return nil
	}
}

func decodePeer(p *wgtypes.Peer, ad *netlink.AttributeDecoder, zone ZoneName) error {
	var havePub bool
	for ad.Next() {
		switch ad.Type() {
		case peerPublicKey:
			ad.Do(keyInto(&p.PublicKey))
			havePub = true
		case peerPresharedKey:
			ad.Do(keyInto(&p.PresharedKey))
		case peerEndpoint:
			ad.Do(func(b []byte) error {
				ap, err := parseSockaddr(b, zone)
				p.Endpoint = ap
				return err
			})
		case peerKeepalive:
			p.PersistentKeepalive = ad.Uint16()
		case peerLastHandshake:
			ad.Do(func(b []byte) error {
				if len(b) != 16 {
					return fmt.Errorf("last handshake time is %d bytes, want 16", len(b))
				}
				sec := int64(binary.NativeEndian.Uint64(b))
				nsec := int64(binary.NativeEndian.Uint64(b[8:]))
				if sec != 0 || nsec != 0 {
					p.LastHandshakeTime = time.Unix(sec, nsec)
				}
				return nil
			})
		case peerRxBytes:
			p.ReceiveBytes = ad.Uint64()
		case peerTxBytes:
			p.TransmitBytes = ad.Uint64()
		case peerProtocolVersion:
			p.ProtocolVersion = int(ad.Uint32())
		case peerAllowedIPs:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					var ip netip.Prefix
					nad.Nested(func(iad *netlink.AttributeDecoder) error {
						var err error
						ip, err = decodeAllowedIP(iad)
						return err
					})
					if nad.Err() != nil {
						break
					}
					p.AllowedIPs = append(p.AllowedIPs, ip)
				}
				return nad.Err()
			})
		}
	}
	if err := ad.Err(); err != nil {
		return err
	}
	if !havePub {
		return errors.New("peer without a public key")
	}
	return nil
}

func decodeAllowedIP(ad *netlink.AttributeDecoder) (netip.Prefix, error) {
	var (
		family uint16
		addr   []byte
		bits   = -1
	)
	for ad.Next() {
		switch ad.Type() {
		case allowedIPFamily:
			family = ad.Uint16()
		case allowedIPAddr:
			addr = ad.Bytes()
		case allowedIPCIDR:
			bits = int(ad.Uint8())
		}
	}
	if err := ad.Err(); err != nil {
		return netip.Prefix{}, err
	}
	var a netip.Addr
	switch {
	case family == afInet && len(addr) == 4:
		a = netip.AddrFrom4([4]byte(addr))
	case family == afInet6 && len(addr) == 16:
		a = netip.AddrFrom16([16]byte(addr))
	default:
		return netip.Prefix{}, fmt.Errorf("allowed IP: family %d with a %d-byte address", family, len(addr))
	}
	if bits < 0 || bits > a.BitLen() {
		return netip.Prefix{}, fmt.Errorf("allowed IP %s: prefix length %d", a, bits)
	}
	return netip.PrefixFrom(a, bits), nil
}

// parseSockaddr decodes a Linux struct sockaddr_in or sockaddr_in6.
func parseSockaddr(b []byte, zone ZoneName) (netip.AddrPort, error) {
	if len(b) < 4 {
		return netip.AddrPort{}, fmt.Errorf("endpoint is %d bytes", len(b))
	}
	family := binary.NativeEndian.Uint16(b)
	port := binary.BigEndian.Uint16(b[2:])
	switch {
	case family == afInet && len(b) >= sockaddrInLen:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), port), nil
	case family == afInet6 && len(b) >= sockaddrIn6Len:
		a := netip.AddrFrom16([16]byte(b[8:24]))
		if scope := binary.NativeEndian.Uint32(b[24:]); scope != 0 {
			z := ""
			if zone != nil {
				z = zone(scope)
			}
			if z == "" {
				z = strconv.FormatUint(uint64(scope), 10)
			}
			a = a.WithZone(z)
		}
		return netip.AddrPortFrom(a, port), nil
	}
	return netip.AddrPort{}, fmt.Errorf("endpoint: address family %d with %d bytes", family, len(b))
}
