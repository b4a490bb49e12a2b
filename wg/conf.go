package wg

import (
	"bufio"
	"bytes"
	"io"
	"net/netip"
	"strings"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// conf is a parsed configuration file or `wg set` command line: the
// device part of the wgtypes.Config, and the peers with what wg tracks
// about each while parsing.
type conf struct {
	cfg   wgtypes.Config // Peers is filled by config
	peers []*confPeer
}

type confPeer struct {
	pc      wgtypes.PeerConfig // AllowedIPs are filled by config
	hasKey  bool
	replace bool   // WGPEER_REPLACE_ALLOWEDIPS
	ops     []ipOp // allowed-ips items in order
}

// config returns the wgtypes.Config to apply.
//
// Allowed-IP items are applied by wg in order; a wgtypes.PeerConfig
// applies its removals before its additions, so only the last item for
// each prefix is kept (see the package documentation).
func (cf *conf) config() wgtypes.Config {
	cfg := cf.cfg
	cfg.Peers = make([]wgtypes.PeerConfig, 0, len(cf.peers))
	for _, p := range cf.peers {
		pc := p.pc
		pc.ReplaceAllowedIPs = p.replace
		seen := make(map[netip.Prefix]bool, len(p.ops))
		var add, del []netip.Prefix
		for i := len(p.ops) - 1; i >= 0; i-- {
			op := p.ops[i]
			m := op.prefix.Masked()
			if seen[m] {
				continue
			}
			seen[m] = true
			if op.remove {
				del = append(del, op.prefix)
			} else {
				add = append(add, op.prefix)
			}
		}
		reverse(add)
		reverse(del)
		pc.AllowedIPs, pc.RemoveAllowedIPs = add, del
		cfg.Peers = append(cfg.Peers, pc)
	}
	return cfg
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

func ptr[T any](v T) *T { return &v }

// newConf starts a configuration for setconf/syncconf (replace: every
// device key is sent, zero when absent, and all peers are replaced) or
// addconf and set (only what is given).
func newConf(replace bool) *conf {
	cf := &conf{}
	if replace {
		cf.cfg.PrivateKey = ptr(key{})
		cf.cfg.ListenPort = ptr(0)
		cf.cfg.FirewallMark = ptr(uint32(0))
		cf.cfg.ReplacePeers = true
	}
	return cf
}

// confParser reads a configuration file line by line (config.c).
type confParser struct {
	c      *cmd
	cf     *conf
	device bool // in [Interface]
	peer   *confPeer
}

// parseConf parses a whole configuration file. The error is what wg
// prints before "Configuration parsing error" (a parseError) or an
// exitError.
func (c *cmd) parseConf(r io.Reader, replace bool) (*conf, error) {
	p := &confParser{c: c, cf: newConf(replace)}
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if perr := p.line(line); perr != nil {
				return nil, perr
			}
		}
		if err == io.EOF {
			return p.cf, nil
		}
		if err != nil {
			return nil, errorf("read: %s", strerror(err))
		}
	}
}

// line processes one line: comment cut at '#', all whitespace removed,
// text after a NUL ignored (wg handles lines as C strings).
func (p *confParser) line(raw []byte) error {
	if i := bytes.IndexByte(raw, 0); i >= 0 {
		raw = raw[:i]
	}
	if i := bytes.IndexByte(raw, '#'); i >= 0 {
		raw = raw[:i]
	}
	clean := make([]byte, 0, len(raw))
	for _, c := range raw {
		if !isSpace(c) {
			clean = append(clean, c)
		}
	}
	if len(clean) == 0 {
		return nil
	}
	return p.process(string(clean))
}

// value returns what follows "key=" (matched case-insensitively) in line,
// if anything does.
func value(line, key string) (string, bool) {
	if len(key) >= len(line) || !strings.EqualFold(line[:len(key)], key) {
		return "", false
	}
	return line[len(key):], true
}

func (p *confParser) process(line string) error {
	if strings.EqualFold(line, "[Interface]") {
		p.device, p.peer = true, nil
		return nil
	}
	if strings.EqualFold(line, "[Peer]") {
		p.device = false
		p.peer = &confPeer{replace: true}
		p.cf.peers = append(p.cf.peers, p.peer)
		return nil
	}
	unrecognized := errorf("Line unrecognized: `%s'", line)
	cfg := &p.cf.cfg
	switch {
	case p.device:
		if v, ok := value(line, "ListenPort="); ok {
			port, err := p.c.parsePort(v)
			if err != nil {
				return err
			}
			cfg.ListenPort = &port
		} else if v, ok := value(line, "FwMark="); ok {
			m, err := parseFwmark(v)
			if err != nil {
				return err
			}
			cfg.FirewallMark = &m
		} else if v, ok := value(line, "PrivateKey="); ok {
			k, err := parseKey(v)
			if err != nil {
				return err
			}
			cfg.PrivateKey = &k
		} else {
			return unrecognized
		}
	case p.peer != nil:
		pc := &p.peer.pc
		if v, ok := value(line, "Endpoint="); ok {
			ep, err := p.c.parseEndpoint(v)
			if err != nil {
				return err
			}
			pc.Endpoint = &ep
		} else if v, ok := value(line, "PublicKey="); ok {
			k, err := parseKey(v)
			if err != nil {
				return err
			}
			pc.PublicKey, p.peer.hasKey = k, true
		} else if v, ok := value(line, "AllowedIPs="); ok {
			return p.c.parseAllowedIPs(p.peer, v)
		} else if v, ok := value(line, "PersistentKeepalive="); ok {
			ka, err := parseKeepalive(v)
			if err != nil {
				return err
			}
			pc.PersistentKeepalive = &ka
		} else if v, ok := value(line, "PresharedKey="); ok {
			k, err := parseKey(v)
			if err != nil {
				return err
			}
			pc.PresharedKey = &k
		} else {
			return unrecognized
		}
	default:
		return unrecognized
	}
	return nil
}

// errMissingKey is config_read_finish's complaint.
const errMissingKey = parseError("A peer is missing a public key")

func (cf *conf) finish() error {
	for _, p := range cf.peers {
		if !p.hasKey {
			return errMissingKey
		}
	}
	return nil
}

// parseSetArgs parses the arguments of `wg set IFACE ...` (config.c's
// config_read_cmd).
func (c *cmd) parseSetArgs(args []string) (*conf, error) {
	cf := newConf(false)
	var peer *confPeer
	for len(args) > 0 {
		arg := args[0]
		two := len(args) >= 2
		var err error
		switch {
		case arg == "listen-port" && two && peer == nil:
			var port int
			if port, err = c.parsePort(args[1]); err == nil {
				cf.cfg.ListenPort = &port
			}
		case arg == "fwmark" && two && peer == nil:
			var m uint32
			if m, err = parseFwmark(args[1]); err == nil {
				cf.cfg.FirewallMark = &m
			}
		case arg == "private-key" && two && peer == nil:
			var k key
			if k, err = parseKeyFile(args[1]); err == nil {
				cf.cfg.PrivateKey = &k
			}
		case arg == "peer" && two:
			peer = &confPeer{}
			cf.peers = append(cf.peers, peer)
			var k key
			if k, err = parseKey(args[1]); err == nil {
				peer.pc.PublicKey, peer.hasKey = k, true
			}
		case arg == "remove" && peer != nil:
			peer.pc.Remove = true
			args = args[1:]
			continue
		case arg == "endpoint" && two && peer != nil:
			var ep netip.AddrPort
			if ep, err = c.parseEndpoint(args[1]); err == nil {
				peer.pc.Endpoint = &ep
			}
		case arg == "allowed-ips" && two && peer != nil:
			err = c.parseAllowedIPs(peer, stripSpaces(args[1]))
		case arg == "persistent-keepalive" && two && peer != nil:
			var ka uint16
			if ka, err = parseKeepalive(args[1]); err == nil {
				peer.pc.PersistentKeepalive = &ka
			}
		case arg == "preshared-key" && two && peer != nil:
			var k key
			if k, err = parseKeyFile(args[1]); err == nil {
				peer.pc.PresharedKey = &k
			}
		default:
			return nil, errorf("Invalid argument: %s", arg)
		}
		if err != nil {
			return nil, err
		}
		args = args[2:]
	}
	return cf, nil
}

func stripSpaces(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if !isSpace(s[i]) {
			b = append(b, s[i])
		}
	}
	return string(b)
}
