package uapi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"syscall"
	"time"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// WriteGet writes d as the body of a get reply in wireguard-go's key order
// (spec uapi.md §4), followed by "errno=0" and the empty line. d is checked
// before anything is written.
//
// Device: private_key (if non-zero), listen_port and fwmark (if non-zero).
// Per peer: public_key, preshared_key (zeros when none), protocol_version
// (1 when the Peer says 0), endpoint (if known), last_handshake_time_sec
// and _nsec (0 and 0 when never), tx_bytes, rx_bytes,
// persistent_keepalive_interval and one allowed_ip per prefix, masked.
// Name, Type and PublicKey are not part of the protocol.
func WriteGet(w io.Writer, d *wgtypes.Device) error {
	if d == nil {
		return errors.New("uapi get: no device")
	}
	if d.ListenPort < 0 || d.ListenPort > 65535 {
		return errorf(EINVAL, "uapi get: listen port %d: out of range (0-65535)", d.ListenPort)
	}
	for i := range d.Peers {
		p := &d.Peers[i]
		if p.ProtocolVersion < 0 {
			return errorf(EINVAL, "uapi get: peer %s: protocol version %d: negative", p.PublicKey, p.ProtocolVersion)
		}
		for _, pfx := range p.AllowedIPs {
			if !pfx.IsValid() {
				return errorf(EINVAL, "uapi get: peer %s: allowed IP %s: invalid prefix", p.PublicKey, pfx)
			}
		}
	}
	lw := newLineWriter(w)
	if !d.PrivateKey.IsZero() {
		lw.key("private_key", d.PrivateKey)
	}
	if d.ListenPort != 0 {
		lw.uint("listen_port", uint64(d.ListenPort))
	}
	if d.FirewallMark != 0 {
		lw.uint("fwmark", uint64(d.FirewallMark))
	}
	for i := range d.Peers {
		p := &d.Peers[i]
		lw.key("public_key", p.PublicKey)
		lw.key("preshared_key", p.PresharedKey)
		pv := p.ProtocolVersion
		if pv == 0 {
			pv = 1
		}
		lw.uint("protocol_version", uint64(pv))
		if p.Endpoint.Addr().IsValid() {
			lw.addrPort("endpoint", p.Endpoint)
		}
		var sec, nsec int64
		if !p.LastHandshakeTime.IsZero() && p.LastHandshakeTime.Unix() >= 0 {
			sec, nsec = p.LastHandshakeTime.Unix(), int64(p.LastHandshakeTime.Nanosecond())
		}
		lw.int("last_handshake_time_sec", sec)
		lw.int("last_handshake_time_nsec", nsec)
		lw.uint("tx_bytes", p.TransmitBytes)
		lw.uint("rx_bytes", p.ReceiveBytes)
		lw.uint("persistent_keepalive_interval", uint64(p.PersistentKeepalive))
		for _, pfx := range p.AllowedIPs {
			lw.prefix("allowed_ip=", pfx)
		}
	}
	lw.str("errno", "0")
	lw.buf = append(lw.buf, '\n')
	return lw.flush()
}

// ParseGet reads a get reply up to its empty line, as wg(8) does: keys it
// does not know are ignored, device keys count only before the first
// public_key, the "errno" line is required and a non-zero value is returned
// as *Error (a negative value, which wireguard-go sends in one case, is
// accepted too). A malformed line or a missing errno is EPROTO.
//
// The Device has Type Userspace and the PublicKey derived from the private
// key; Name is left empty for the caller. A reply without
// last_handshake_time (or with 0 and 0) means no handshake yet.
func ParseGet(r *bufio.Reader) (*wgtypes.Device, error) {
	d := &wgtypes.Device{Type: wgtypes.Userspace}
	lr := lineReader{r: r}
	var (
		peer      *wgtypes.Peer
		sec, nsec uint64
		errno     int64
		gotErrno  bool
	)
	endPeer := func() {
		if peer != nil && (sec != 0 || nsec != 0) {
			peer.LastHandshakeTime = time.Unix(int64(sec), int64(nsec))
		}
		sec, nsec = 0, 0
	}
	for {
		line, tooLong, err := lr.next()
		if err == io.EOF {
			return nil, errorf(EPROTO, "uapi get: reply ends without an empty line")
		}
		if err != nil {
			return nil, fmt.Errorf("uapi get: read: %w", err)
		}
		if tooLong {
			return nil, errorf(EPROTO, "uapi get: line %d: longer than %d bytes", lr.n, maxLine)
		}
		if len(line) == 0 {
			break
		}
		key, value, ok := cut(line)
		if !ok {
			return nil, errorf(EPROTO, "uapi get: line %d: no '=' in %q", lr.n, clip(line))
		}
		if err := getLine(d, &peer, &sec, &nsec, key, value, endPeer); err != nil {
			return nil, errorf(EPROTO, "uapi get: line %d: %s: %w", lr.n, key, err)
		}
		if string(key) == "errno" {
			v, err := parseErrno(value)
			if err != nil {
				return nil, errorf(EPROTO, "uapi get: line %d: errno: %q: %w", lr.n, clip(value), err)
			}
			errno, gotErrno = v, true
		}
	}
	endPeer()
	if !gotErrno {
		return nil, errorf(EPROTO, "uapi get: reply has no errno")
	}
	if errno != 0 {
		return nil, &Error{Errno: errnoFromWire(errno)}
	}
	if !d.PrivateKey.IsZero() {
		d.PublicKey = d.PrivateKey.PublicKey()
	}
	return d, nil
}

// getLine handles one key of a get reply other than errno.
func getLine(d *wgtypes.Device, peer **wgtypes.Peer, sec, nsec *uint64, key, value []byte, endPeer func()) error {
	p := *peer
	if p == nil {
		switch string(key) {
		case "private_key":
			k, err := parseHexKey(value)
			d.PrivateKey = k
			return err
		case "listen_port":
			v, err := parseUint(value, 65535)
			d.ListenPort = int(v)
			return err
		case "fwmark":
			v, err := parseUint(value, 1<<32-1)
			d.FirewallMark = uint32(v)
			return err
		}
	}
	if string(key) == "public_key" {
		k, err := parseHexKey(value)
		if err != nil {
			return err
		}
		endPeer()
		d.Peers = append(d.Peers, wgtypes.Peer{PublicKey: k})
		*peer = &d.Peers[len(d.Peers)-1]
		return nil
	}
	if p == nil {
		return nil
	}
	var err error
	switch string(key) {
	case "preshared_key":
		p.PresharedKey, err = parseHexKey(value)
	case "endpoint":
		p.Endpoint, err = netip.ParseAddrPort(string(value))
	case "persistent_keepalive_interval":
		var v uint64
		v, err = parseUint(value, 65535)
		p.PersistentKeepalive = uint16(v)
	case "allowed_ip":
		var pfx netip.Prefix
		pfx, err = netip.ParsePrefix(string(value))
		if err == nil {
			p.AllowedIPs = append(p.AllowedIPs, pfx.Masked())
		}
	case "last_handshake_time_sec":
		*sec, err = parseUint(value, 1<<63-1)
	case "last_handshake_time_nsec":
		*nsec, err = parseUint(value, 1<<63-1)
	case "tx_bytes":
		p.TransmitBytes, err = parseUint(value, 1<<64-1)
	case "rx_bytes":
		p.ReceiveBytes, err = parseUint(value, 1<<64-1)
	case "protocol_version":
		// wg(8) ignores this key; keep the value when it is a number.
		if v, err := parseUint(value, 1<<31-1); err == nil {
			p.ProtocolVersion = int(v)
		}
	}
	return err
}

// parseErrno accepts "N" and "-N".
func parseErrno(b []byte) (int64, error) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	v, err := parseUint(b, 1<<31-1)
	if neg {
		return -int64(v), err
	}
	return int64(v), err
}

func errnoFromWire(v int64) syscall.Errno {
	if v < 0 {
		v = -v
	}
	return syscall.Errno(v)
}
