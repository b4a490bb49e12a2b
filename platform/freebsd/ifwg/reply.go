package ifwg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/freebsd/nv"
)

// ParseDevice converts a SIOCGWG reply into a Device (Name and Type are
// left for the caller). Keys the kernel omits mean zero values: no
// listen-port when the port is 0, no private-key or preshared-key for
// unprivileged callers, no endpoint when unknown. Unknown keys are ignored
// for forward compatibility; a known key with the wrong type or size is an
// error.
func ParseDevice(l *nv.List) (*wgtypes.Device, error) {
	order := l.Order()
	if order == nil {
		order = nv.HostOrder
	}
	d := &wgtypes.Device{}
	if n, ok, err := optNumber(l, keyListenPort, math.MaxUint16); err != nil {
		return nil, err
	} else if ok {
		d.ListenPort = int(n)
	}
	if n, ok, err := optNumber(l, keyUserCookie, math.MaxUint32); err != nil {
		return nil, err
	} else if ok {
		d.FirewallMark = uint32(n)
	}
	if err := optKey(l, keyPublicKey, &d.PublicKey); err != nil {
		return nil, err
	}
	if err := optKey(l, keyPrivateKey, &d.PrivateKey); err != nil {
		return nil, err
	}
	if !l.Has(keyPeers) {
		return d, nil
	}
	peers, err := l.GetListArray(keyPeers)
	if err != nil {
		return nil, err
	}
	d.Peers = make([]wgtypes.Peer, 0, len(peers))
	for i, pl := range peers {
		p, err := parsePeer(pl, order)
		if err != nil {
			return nil, fmt.Errorf("peer %d: %w", i+1, err)
		}
		d.Peers = append(d.Peers, p)
	}
	return d, nil
}

func parsePeer(l *nv.List, order binary.ByteOrder) (wgtypes.Peer, error) {
	// if_wg implements only version 1 of the protocol and does not report it.
	p := wgtypes.Peer{ProtocolVersion: 1}
	if !l.Has(keyPublicKey) {
		return p, errors.New("no public-key")
	}
	if err := optKey(l, keyPublicKey, &p.PublicKey); err != nil {
		return p, err
	}
	if err := optKey(l, keyPresharedKey, &p.PresharedKey); err != nil {
		return p, err
	}
	if l.Has(keyEndpoint) {
		b, err := l.GetBinary(keyEndpoint)
		if err != nil {
			return p, err
		}
		if p.Endpoint, err = DecodeSockaddr(b, order); err != nil {
			return p, err
		}
	}
	if l.Has(keyLastHandshake) {
		b, err := l.GetBinary(keyLastHandshake)
		if err != nil {
			return p, err
		}
		if p.LastHandshakeTime, err = parseTimespec64(b, order); err != nil {
			return p, err
		}
	}
	if n, _, err := optNumber(l, keyKeepalive, math.MaxUint16); err != nil {
		return p, err
	} else {
		p.PersistentKeepalive = uint16(n)
	}
	if n, _, err := optNumber(l, keyRxBytes, math.MaxUint64); err != nil {
		return p, err
	} else {
		p.ReceiveBytes = n
	}
	if n, _, err := optNumber(l, keyTxBytes, math.MaxUint64); err != nil {
		return p, err
	} else {
		p.TransmitBytes = n
	}
	if !l.Has(keyAllowedIPs) {
		return p, nil
	}
	aips, err := l.GetListArray(keyAllowedIPs)
	if err != nil {
		return p, err
	}
	p.AllowedIPs = make([]netip.Prefix, 0, len(aips))
	for i, al := range aips {
		pfx, err := parseAllowedIP(al)
		if err != nil {
			return p, fmt.Errorf("allowed IP %d: %w", i+1, err)
		}
		p.AllowedIPs = append(p.AllowedIPs, pfx)
	}
	return p, nil
}

func parseAllowedIP(l *nv.List) (netip.Prefix, error) {
	cidr, err := l.GetNumber(keyCIDR)
	if err != nil {
		return netip.Prefix{}, err
	}
	var addr netip.Addr
	switch {
	case l.Has(keyIPv4):
		b, err := l.GetBinary(keyIPv4)
		if err != nil {
			return netip.Prefix{}, err
		}
		if len(b) != 4 {
			return netip.Prefix{}, fmt.Errorf("ipv4 is %d bytes, want 4", len(b))
		}
		addr = netip.AddrFrom4([4]byte(b))
	case l.Has(keyIPv6):
		b, err := l.GetBinary(keyIPv6)
		if err != nil {
			return netip.Prefix{}, err
		}
		if len(b) != 16 {
			return netip.Prefix{}, fmt.Errorf("ipv6 is %d bytes, want 16", len(b))
		}
		addr = netip.AddrFrom16([16]byte(b))
	default:
		return netip.Prefix{}, errors.New("neither ipv4 nor ipv6")
	}
	if cidr > uint64(addr.BitLen()) {
		return netip.Prefix{}, fmt.Errorf("cidr %d exceeds %d", cidr, addr.BitLen())
	}
	return netip.PrefixFrom(addr, int(cidr)), nil
}

// parseTimespec64 reads if_wg's struct wg_timespec64 {uint64 tv_sec;
// uint64 tv_nsec} (if_wg.c), in the kernel's byte order. 0/0 means never.
func parseTimespec64(b []byte, order binary.ByteOrder) (time.Time, error) {
	if len(b) != 16 {
		return time.Time{}, fmt.Errorf("%s is %d bytes, want 16", keyLastHandshake, len(b))
	}
	sec, nsec := order.Uint64(b[:8]), order.Uint64(b[8:])
	if sec == 0 && nsec == 0 {
		return time.Time{}, nil
	}
	if sec > math.MaxInt64 || nsec >= uint64(time.Second) {
		return time.Time{}, fmt.Errorf("%s %d.%d out of range", keyLastHandshake, sec, nsec)
	}
	return time.Unix(int64(sec), int64(nsec)), nil
}

func optNumber(l *nv.List, key string, max uint64) (uint64, bool, error) {
	if !l.Has(key) {
		return 0, false, nil
	}
	n, err := l.GetNumber(key)
	if err != nil {
		return 0, false, err
	}
	if n > max {
		return 0, false, fmt.Errorf("%s %d exceeds %d", key, n, max)
	}
	return n, true, nil
}

func optKey(l *nv.List, key string, dst *wgtypes.Key) error {
	if !l.Has(key) {
		return nil
	}
	b, err := l.GetBinary(key)
	if err != nil {
		return err
	}
	if len(b) != wgtypes.KeyLen {
		return fmt.Errorf("%s is %d bytes, want %d", key, len(b), wgtypes.KeyLen)
	}
	copy(dst[:], b)
	return nil
}

// ParsePacked decodes a packed SIOCGWG reply.
func ParsePacked(b []byte) (*wgtypes.Device, error) {
	l, err := nv.Decode(b)
	if err != nil {
		return nil, err
	}
	return ParseDevice(l)
}
