package config

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// Resolver turns an endpoint host and port (a name and/or a service name)
// into an address. WGConfig calls it only for endpoints that are not already
// an IP literal with a numeric port.
type Resolver interface {
	ResolveEndpoint(ctx context.Context, host, port string) (netip.AddrPort, error)
}

// ResolverFunc adapts a function to Resolver.
type ResolverFunc func(ctx context.Context, host, port string) (netip.AddrPort, error)

func (f ResolverFunc) ResolveEndpoint(ctx context.Context, host, port string) (netip.AddrPort, error) {
	return f(ctx, host, port)
}

// NetResolver resolves with a net.Resolver (nil: net.DefaultResolver) and
// takes the first address, as wg(8) takes getaddrinfo's first result. It
// does not retry; wg(8)'s retry loop for transient failures
// (WG_ENDPOINT_RESOLUTION_RETRIES) belongs to the caller.
type NetResolver struct{ R *net.Resolver }

func (n NetResolver) ResolveEndpoint(ctx context.Context, host, port string) (netip.AddrPort, error) {
	r := n.R
	if r == nil {
		r = net.DefaultResolver
	}
	p, err := r.LookupPort(ctx, "udp", port)
	if err != nil {
		return netip.AddrPort{}, err
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if len(addrs) == 0 {
		return netip.AddrPort{}, fmt.Errorf("lookup %s: no addresses", host)
	}
	return netip.AddrPortFrom(addrs[0].Unmap(), uint16(p)), nil
}

// ErrKeyFileNotLoaded is returned by WGConfig when a key file reference was
// not turned into a key by LoadKeyFiles.
var ErrKeyFileNotLoaded = errors.New("key file not loaded (call LoadKeyFiles)")

// WGConfig returns the wg(8) part of c as the change `wg addconf` makes:
// device keys only when set, no ReplacePeers, and every peer replacing its
// allowed IPs (host bits masked). Set ReplacePeers on the result for
// setconf semantics. Endpoints that are not IP literals go through r (which
// may be nil when there are none). All failing endpoints are reported, each
// with its position.
func (c *Config) WGConfig(ctx context.Context, r Resolver) (wgtypes.Config, error) {
	var out wgtypes.Config
	var errs errorList
	i := &c.Interface
	switch {
	case i.PrivateKey != nil:
		k := i.PrivateKey.V
		out.PrivateKey = &k
	case i.PrivateKeyFile != nil:
		errs.addErr(i.PrivateKeyFile.Pos, "[Interface]", fmt.Errorf("%q: %w", i.PrivateKeyFile.V, ErrKeyFileNotLoaded))
	}
	if i.ListenPort != nil {
		p := int(i.ListenPort.V)
		out.ListenPort = &p
	}
	if i.FwMark != nil {
		m := i.FwMark.V
		out.FirewallMark = &m
	}
	for n, p := range c.Peers {
		label := peerLabel(n)
		if p.PublicKey == nil {
			errs.add(p.Pos, label, "missing PublicKey")
			continue
		}
		pc := wgtypes.PeerConfig{PublicKey: p.PublicKey.V, ReplaceAllowedIPs: true}
		switch {
		case p.PresharedKey != nil:
			k := p.PresharedKey.V
			pc.PresharedKey = &k
		case p.PresharedKeyFile != nil:
			errs.addErr(p.PresharedKeyFile.Pos, label, fmt.Errorf("%q: %w", p.PresharedKeyFile.V, ErrKeyFileNotLoaded))
		}
		if p.Endpoint != nil {
			ap, err := resolveEndpoint(ctx, r, p.Endpoint.V)
			if err != nil {
				errs.addErr(p.Endpoint.Pos, label, err)
			} else {
				pc.Endpoint = &ap
			}
		}
		if p.PersistentKeepalive != nil {
			k := p.PersistentKeepalive.V
			pc.PersistentKeepalive = &k
		}
		for _, a := range p.AllowedIPs {
			pc.AllowedIPs = append(pc.AllowedIPs, a.V.Masked())
		}
		out.Peers = append(out.Peers, pc)
	}
	if err := errs.err(); err != nil {
		return wgtypes.Config{}, err
	}
	return out, nil
}

func resolveEndpoint(ctx context.Context, r Resolver, v string) (netip.AddrPort, error) {
	host, port, err := SplitEndpoint(v)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if a, err := netip.ParseAddr(host); err == nil && isDigits(port) {
		n, err := strconv.ParseUint(port, 10, 16)
		if err == nil {
			return netip.AddrPortFrom(a, uint16(n)), nil
		}
	}
	if r == nil {
		return netip.AddrPort{}, fmt.Errorf("resolve %q: no resolver for host names", v)
	}
	ap, err := r.ResolveEndpoint(ctx, host, port)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("resolve %q: %w", v, err)
	}
	return ap, nil
}

// LoadKeyFiles reads PrivateKeyFile and every PresharedKeyFile with read
// (os.ReadFile in production) and stores the keys next to the references,
// so WGConfig and WriteStrip can use them while WriteINI and WriteTOML still
// print only the file names. Relative paths are taken relative to the
// directory of c.File. A key file holds one base64 key and optional
// trailing whitespace; an empty file is the zero key, as for
// `wg set private-key /dev/null`. Every failing file is reported.
func (c *Config) LoadKeyFiles(read func(path string) ([]byte, error)) error {
	var errs errorList
	load := func(ref *Value[string], label string) *Value[wgtypes.Key] {
		path := relTo(c.File, ref.V)
		data, err := read(path)
		if err != nil {
			errs.addErr(ref.Pos, label, fmt.Errorf("read key file: %w", err))
			return nil
		}
		k, err := parseKeyFile(data)
		if err != nil {
			errs.addErr(ref.Pos, label, fmt.Errorf("key file %s: %w", path, err))
			return nil
		}
		return &Value[wgtypes.Key]{V: k, Pos: ref.Pos}
	}
	if f := c.Interface.PrivateKeyFile; f != nil {
		if k := load(f, "[Interface]"); k != nil {
			c.Interface.PrivateKey = k
		}
	}
	for n := range c.Peers {
		p := &c.Peers[n]
		if p.PresharedKeyFile != nil {
			if k := load(p.PresharedKeyFile, peerLabel(n)); k != nil {
				p.PresharedKey = k
			}
		}
	}
	return errs.err()
}

// parseKeyFile follows wg(8)'s key file rules: 44 base64 characters, then
// only whitespace; an empty file is the zero key.
func parseKeyFile(data []byte) (wgtypes.Key, error) {
	if len(data) == 0 {
		return wgtypes.Key{}, nil
	}
	if len(data) < 44 {
		return wgtypes.Key{}, errors.New("invalid length key in key file")
	}
	for _, c := range data[44:] {
		if !isSpace(c) {
			return wgtypes.Key{}, fmt.Errorf("found trailing character in key file: %q", c)
		}
	}
	return wgtypes.ParseKey(string(data[:44]))
}
