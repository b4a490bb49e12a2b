package uapi

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// ParseSet reads the body of a set request, the lines after "set=1" up to
// the empty line or the end of the stream, into one Config.
//
// Everything is validated before the caller applies anything, so a bad
// request changes nothing (wireguard-go applies line by line and keeps what
// came before an error). Errors are *Error with the errno wireguard-go would
// send: EPROTO for a line without '=', EIO when reading fails, EINVAL for
// the rest. After a parse error ParseSet still consumes the request up to
// its empty line, so the caller can reply and read the next request.
//
// The request is normalised into the Config model:
//
//   - Device keys may come in any order before the first public_key; a
//     later occurrence wins. After a public_key they are unknown peer keys.
//   - remove=true drops the other keys of its peer section (they are still
//     validated), as wireguard-go ignores them.
//   - allowed_ip prefixes are masked. A "-" prefix that follows an add of
//     the same prefix cancels that add (and is kept as a removal), since the
//     Config applies removals before additions.
//   - protocol_version is checked (it must be 1) and otherwise dropped.
//   - A public_key that repeats in one request continues the earlier
//     section (wg(8) sends a repeated "peer" argument or [Peer] section as a
//     repeated public_key, and wireguard-go applies both): later values win,
//     replace_allowed_ips discards the allowed IPs gathered so far. Two
//     cases cannot be expressed as one PeerConfig and are rejected with
//     EINVAL: a peer repeated after remove=true, and a section with
//     update_only=true followed by one without it.
func ParseSet(r *bufio.Reader) (wgtypes.Config, error) {
	p := setParser{pi: -1}
	lr := lineReader{r: r}
	var first *Error
	for {
		line, tooLong, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return wgtypes.Config{}, errorf(EIO, "uapi set: read: %w", err)
		}
		if !tooLong && len(line) == 0 {
			break
		}
		if first != nil {
			continue // drain up to the empty line
		}
		if tooLong {
			first = errorf(EINVAL, "uapi set: line %d: longer than %d bytes", lr.n, maxLine)
			continue
		}
		if err := p.line(line); err != nil {
			err.Err = fmt.Errorf("uapi set: line %d: %w", lr.n, err.Err)
			first = err
		}
	}
	if first == nil {
		first = p.endSection()
		if first != nil {
			first.Err = fmt.Errorf("uapi set: %w", first.Err)
		}
	}
	if first != nil {
		return wgtypes.Config{}, first
	}
	return p.cfg, nil
}

type setParser struct {
	cfg   wgtypes.Config
	pi    int                 // index in cfg.Peers of the current section, -1 before the first
	index map[wgtypes.Key]int // public key -> index in cfg.Peers

	// The current peer section.
	repeat     bool // continues an earlier section of the same key
	prevUO     bool // UpdateOnly of the merged peer before this section
	updateOnly bool // this section has update_only=true
	ignore     bool // this section has remove=true: validate, do not store
}

func (p *setParser) line(line []byte) *Error {
	key, value, ok := cut(line)
	if !ok {
		// The line is not echoed: it could be a key pasted on its own.
		return errorf(EPROTO, "no '=' (a line of %d bytes)", len(line))
	}
	if string(key) == "public_key" {
		return p.publicKey(value)
	}
	if p.pi < 0 {
		return p.device(key, value)
	}
	return p.peer(key, value)
}

func (p *setParser) device(key, value []byte) *Error {
	switch string(key) {
	case "private_key":
		k, err := parseHexKey(value)
		if err != nil {
			return errorf(EINVAL, "private_key: %w", err)
		}
		p.cfg.PrivateKey = &k
	case "listen_port":
		v, err := parseUint(value, 65535)
		if err != nil {
			return errorf(EINVAL, "listen_port: %q: %w (0-65535)", clip(value), err)
		}
		port := int(v)
		p.cfg.ListenPort = &port
	case "fwmark":
		v, err := parseUint(value, 1<<32-1)
		if err != nil {
			return errorf(EINVAL, "fwmark: %q: %w (0-4294967295)", clip(value), err)
		}
		mark := uint32(v)
		p.cfg.FirewallMark = &mark
	case "replace_peers":
		if string(value) != "true" {
			return errorf(EINVAL, "replace_peers: %q: the only value is true", clip(value))
		}
		p.cfg.ReplacePeers = true
	default:
		return errorf(EINVAL, "unknown device key %q", clip(key))
	}
	return nil
}

func (p *setParser) publicKey(value []byte) *Error {
	k, err := parseHexKey(value)
	if err != nil {
		return errorf(EINVAL, "public_key: %w", err)
	}
	if err := p.endSection(); err != nil {
		return err
	}
	p.updateOnly, p.ignore = false, false
	if i, ok := p.index[k]; ok {
		prev := &p.cfg.Peers[i]
		if prev.Remove {
			return errorf(EINVAL, "public_key: peer %s repeats after remove=true; send it in a separate request", k)
		}
		p.pi, p.repeat, p.prevUO = i, true, prev.UpdateOnly
		return nil
	}
	if p.index == nil {
		p.index = make(map[wgtypes.Key]int)
	}
	p.index[k] = len(p.cfg.Peers)
	p.pi, p.repeat, p.prevUO = len(p.cfg.Peers), false, false
	p.cfg.Peers = append(p.cfg.Peers, wgtypes.PeerConfig{PublicKey: k})
	return nil
}

// endSection settles the flags of the section that ends here.
func (p *setParser) endSection() *Error {
	if p.pi < 0 {
		return nil
	}
	pc := &p.cfg.Peers[p.pi]
	if pc.Remove {
		*pc = wgtypes.PeerConfig{PublicKey: pc.PublicKey, Remove: true}
		return nil
	}
	if !p.repeat {
		pc.UpdateOnly = p.updateOnly
		return nil
	}
	// A first section with update_only applies only to an existing peer,
	// but a second one without it would create the peer: no single
	// PeerConfig says that. The other way round the second section always
	// finds the peer, so its update_only is moot.
	if p.prevUO && !p.updateOnly {
		return errorf(EINVAL, "public_key: peer %s repeats without the update_only=true of its first section", pc.PublicKey)
	}
	pc.UpdateOnly = p.prevUO
	return nil
}

func (p *setParser) peer(key, value []byte) *Error {
	pc := &p.cfg.Peers[p.pi]
	switch string(key) {
	case "remove":
		if string(value) != "true" {
			return errorf(EINVAL, "remove: %q: the only value is true", clip(value))
		}
		pc.Remove = true
		p.ignore = true
	case "update_only":
		if string(value) != "true" {
			return errorf(EINVAL, "update_only: %q: the only value is true", clip(value))
		}
		p.updateOnly = true
	case "preshared_key":
		k, err := parseHexKey(value)
		if err != nil {
			return errorf(EINVAL, "preshared_key: %w", err)
		}
		if !p.ignore {
			pc.PresharedKey = &k
		}
	case "endpoint":
		ap, err := netip.ParseAddrPort(string(value))
		if err != nil {
			return errorf(EINVAL, "endpoint: %w", err)
		}
		if !p.ignore {
			pc.Endpoint = &ap
		}
	case "persistent_keepalive_interval":
		v, err := parseUint(value, 65535)
		if err != nil {
			return errorf(EINVAL, "persistent_keepalive_interval: %q: %w (0-65535)", clip(value), err)
		}
		if !p.ignore {
			ka := uint16(v)
			pc.PersistentKeepalive = &ka
		}
	case "replace_allowed_ips":
		if string(value) != "true" {
			return errorf(EINVAL, "replace_allowed_ips: %q: the only value is true", clip(value))
		}
		if !p.ignore {
			pc.ReplaceAllowedIPs = true
			pc.AllowedIPs = pc.AllowedIPs[:0]
			pc.RemoveAllowedIPs = pc.RemoveAllowedIPs[:0]
		}
	case "allowed_ip":
		remove := len(value) > 0 && value[0] == '-'
		if remove {
			value = value[1:]
		}
		pfx, err := netip.ParsePrefix(string(value))
		if err != nil {
			return errorf(EINVAL, "allowed_ip: %w", err)
		}
		if p.ignore {
			return nil
		}
		pfx = pfx.Masked()
		if remove {
			pc.AllowedIPs = deletePrefix(pc.AllowedIPs, pfx)
			pc.RemoveAllowedIPs = append(pc.RemoveAllowedIPs, pfx)
		} else {
			pc.AllowedIPs = append(pc.AllowedIPs, pfx)
		}
	case "protocol_version":
		if string(value) != "1" {
			return errorf(EINVAL, "protocol_version: %q: only 1 is supported", clip(value))
		}
	default:
		return errorf(EINVAL, "unknown peer key %q", clip(key))
	}
	return nil
}

// deletePrefix removes every occurrence of pfx from s, in place.
func deletePrefix(s []netip.Prefix, pfx netip.Prefix) []netip.Prefix {
	out := s[:0]
	for _, q := range s {
		if q != pfx {
			out = append(out, q)
		}
	}
	clear(s[len(out):])
	return out
}

// clip shortens a rejected value for an error message.
func clip(b []byte) string {
	const n = 64
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// WriteSet writes cfg as the body of a set request: the lines that follow
// "set=1", in the order wg(8) sends them (spec uapi.md §3.3), and the empty
// line that ends the request. cfg is checked before anything is written.
//
// Per peer: public_key, then either remove=true alone or update_only=true
// (which wg never sends), preshared_key, endpoint,
// persistent_keepalive_interval, replace_allowed_ips, the removals
// (allowed_ip=-…) and the additions, matching the order in which a Config
// applies them.
func WriteSet(w io.Writer, cfg wgtypes.Config) error {
	if err := checkConfig(cfg); err != nil {
		return err
	}
	lw := newLineWriter(w)
	if cfg.PrivateKey != nil {
		lw.key("private_key", *cfg.PrivateKey)
	}
	if cfg.ListenPort != nil {
		lw.uint("listen_port", uint64(*cfg.ListenPort))
	}
	if cfg.FirewallMark != nil {
		lw.uint("fwmark", uint64(*cfg.FirewallMark))
	}
	if cfg.ReplacePeers {
		lw.str("replace_peers", "true")
	}
	for i := range cfg.Peers {
		pc := &cfg.Peers[i]
		lw.key("public_key", pc.PublicKey)
		if pc.Remove {
			lw.str("remove", "true")
			continue
		}
		if pc.UpdateOnly {
			lw.str("update_only", "true")
		}
		if pc.PresharedKey != nil {
			lw.key("preshared_key", *pc.PresharedKey)
		}
		if pc.Endpoint != nil {
			lw.addrPort("endpoint", *pc.Endpoint)
		}
		if pc.PersistentKeepalive != nil {
			lw.uint("persistent_keepalive_interval", uint64(*pc.PersistentKeepalive))
		}
		if pc.ReplaceAllowedIPs {
			lw.str("replace_allowed_ips", "true")
		}
		for _, pfx := range pc.RemoveAllowedIPs {
			lw.prefix("allowed_ip=-", pfx)
		}
		for _, pfx := range pc.AllowedIPs {
			lw.prefix("allowed_ip=", pfx)
		}
	}
	lw.buf = append(lw.buf, '\n')
	return lw.flush()
}

// checkConfig rejects what cannot be written as valid protocol text.
func checkConfig(cfg wgtypes.Config) error {
	if cfg.ListenPort != nil && (*cfg.ListenPort < 0 || *cfg.ListenPort > 65535) {
		return errorf(EINVAL, "uapi set: listen port %d: out of range (0-65535)", *cfg.ListenPort)
	}
	for i := range cfg.Peers {
		pc := &cfg.Peers[i]
		if pc.Remove {
			continue
		}
		if pc.Endpoint != nil && !pc.Endpoint.Addr().IsValid() {
			return errorf(EINVAL, "uapi set: peer %s: endpoint: no address", pc.PublicKey)
		}
		for _, list := range [][]netip.Prefix{pc.RemoveAllowedIPs, pc.AllowedIPs} {
			for _, pfx := range list {
				if !pfx.IsValid() {
					return errorf(EINVAL, "uapi set: peer %s: allowed IP %s: invalid prefix", pc.PublicKey, pfx)
				}
			}
		}
	}
	return nil
}
