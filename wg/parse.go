package wg

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// parseError is a message wg prints (without the newline) before giving
// up on the argument or line being parsed.
type parseError string

func (e parseError) Error() string { return string(e) }

func errorf(format string, args ...any) error { return parseError(fmt.Sprintf(format, args...)) }

// exitError is a message after which wg exits at once, printing nothing
// else (config.c calls exit(1) for a bad WG_ENDPOINT_RESOLUTION_RETRIES).
type exitError string

func (e exitError) Error() string { return string(e) }

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// keyFromBase64 decodes a key as encoding.c's key_from_base64 does: the
// text up to any NUL must be exactly 43 base64 characters and '=', and the
// last character must leave no stray bits.
func keyFromBase64(s string) (key, bool) {
	var k key
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	if len(s) != 44 || s[43] != '=' {
		return k, false
	}
	for i := 0; i < 43; i++ {
		if strings.IndexByte(b64Alphabet, s[i]) < 0 {
			return k, false
		}
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != len(k) {
		return k, false
	}
	copy(k[:], b)
	return k, true
}

func parseKey(value string) (key, error) {
	k, ok := keyFromBase64(value)
	if !ok {
		return key{}, errorf("Key is not the correct length or format: `%s'", cString(value))
	}
	return k, nil
}

// cString is s as C would print it: up to the first NUL.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// parseKeyFile reads a key file (config.c's parse_keyfile): 44 base64
// characters then only whitespace; an empty file is the zero key.
func parseKeyFile(path string) (key, error) {
	f, err := os.Open(path)
	if err != nil {
		return key{}, errorf("fopen: %s", strerror(err))
	}
	defer f.Close()
	var buf [44]byte
	n, err := io.ReadFull(f, buf[:])
	if err != nil {
		if n == 0 && err == io.EOF {
			return key{}, nil
		}
		return key{}, errorf("Invalid length key in key file")
	}
	var rest [512]byte
	for {
		m, err := f.Read(rest[:])
		for _, c := range rest[:m] {
			if !isSpace(c) {
				return key{}, errorf("Found trailing character in key file: `%c'", c)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return key{}, errorf("getc: %s", strerror(err))
		}
	}
	return parseKey(string(buf[:]))
}

// parseUint parses s as strtoul(3) with base 10 or 16 would, but only if
// all of s is digits and the value is at most max.
func parseUint(s string, base int, max uint64) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseUint(s, base, 64)
	return v, err == nil && v <= max // out of range: strtoul saturates
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

const eaiService = "Servname not supported for ai_socktype"

// parsePort resolves a port as getaddrinfo(NULL, value) does for wg:
// decimal 0-65535 or a UDP service name.
func (c *cmd) parsePort(value string) (int, error) {
	if value == "" {
		return 0, errorf("Unable to parse empty port")
	}
	port, msg := c.resolvePort(value)
	if msg != "" {
		return 0, errorf("%s: `%s'", msg, value)
	}
	return port, nil
}

// resolvePort returns the port or the resolver's message for it.
func (c *cmd) resolvePort(value string) (int, string) {
	if allDigits(value) {
		v, ok := parseUint(value, 10, 65535)
		if !ok {
			return 0, eaiService
		}
		return int(v), ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := c.env.LookupPort(ctx, value)
	if err != nil || p < 0 || p > 65535 {
		return 0, eaiService
	}
	return p, ""
}

func parseFwmark(value string) (uint32, error) {
	if strings.EqualFold(value, "off") {
		return 0, nil
	}
	bad := errorf("Fwmark is neither 0/off nor 0-0xffffffff: `%s'", value)
	if value == "" || !isDigit(value[0]) {
		return 0, bad
	}
	digits, base := value, 10
	if len(value) > 2 && value[0] == '0' && value[1] == 'x' {
		digits, base = value[2:], 16
	}
	v, ok := parseUint(digits, base, 0xffffffff)
	if !ok {
		return 0, bad
	}
	return uint32(v), nil
}

func parseKeepalive(value string) (uint16, error) {
	if strings.EqualFold(value, "off") {
		return 0, nil
	}
	v, ok := parseUint(value, 10, 65535)
	if !ok || !allDigits(value) {
		return 0, errorf("Persistent keepalive interval is neither 0/off nor 1-65535: `%s'", value)
	}
	return uint16(v), nil
}

// parseIP parses an allowed IP as inet_pton(3): IPv6 iff it contains ':',
// no zone.
func parseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" || a.Is4() == strings.Contains(s, ":") {
		return netip.Addr{}, errorf("Unable to parse IP address: `%s'", s)
	}
	return a, nil
}

// ipOp is one item of an allowed-ips list.
type ipOp struct {
	prefix netip.Prefix
	remove bool
}

// parseAllowedIPs parses a comma-separated list (config.c's
// parse_allowedips) onto p: the list replaces the peer's allowed IPs
// unless an item carries a '+' or '-' prefix.
func (c *cmd) parseAllowedIPs(p *confPeer, value string) error {
	p.replace = true
	if value == "" {
		return nil
	}
	for item := range strings.SplitSeq(value, ",") {
		remove := false
		switch {
		case strings.HasPrefix(item, "-"):
			remove = true
			fallthrough
		case strings.HasPrefix(item, "+"):
			p.replace = false
			item = item[1:]
		}
		ip, mask, hasMask := strings.Cut(item, "/")
		a, err := parseIP(ip)
		if err != nil {
			return err
		}
		bits := a.BitLen()
		if hasMask {
			v, ok := parseUint(mask, 10, uint64(a.BitLen()))
			if !ok || !allDigits(mask) {
				return errorf("AllowedIP is not in the correct format: `%s'", item)
			}
			bits = int(v)
		}
		pfx := netip.PrefixFrom(a, bits)
		if pfx.Masked().Addr() != a {
			fmt.Fprintf(c.err, "Warning: AllowedIP has nonzero host part: %s/%s\n", ip, mask)
		}
		p.ops = append(p.ops, ipOp{pfx, remove})
	}
	return nil
}

// Resolver error texts (gai_strerror) and whether wg retries them.
const (
	eaiNoName = "Name or service not known"
	eaiAgain  = "Temporary failure in name resolution"
	eaiFail   = "Non-recoverable failure in name resolution"
)

// dnsRetries reads WG_ENDPOINT_RESOLUTION_RETRIES like strtoul(3):
// default 15, -1 for "infinity".
func (c *cmd) dnsRetries() (int, error) {
	v, ok := c.getenv("WG_ENDPOINT_RESOLUTION_RETRIES")
	if !ok {
		return 15, nil
	}
	if v == "infinity" {
		return -1, nil
	}
	s := strings.TrimLeft(v, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n, ok := parseUint(s, 10, 1<<31-1)
	switch {
	case v == "":
		return 0, nil // strtoul("") is 0 with nothing left over
	case !ok || !allDigits(s) || neg && n != 0:
		return 0, exitError(fmt.Sprintf("Unable to parse WG_ENDPOINT_RESOLUTION_RETRIES: `%s'", v))
	}
	return int(n), nil
}

// parseEndpoint splits and resolves an endpoint (config.c's
// parse_endpoint), retrying transient resolver failures.
func (c *cmd) parseEndpoint(value string) (netip.AddrPort, error) {
	retries, err := c.dnsRetries()
	if err != nil {
		return netip.AddrPort{}, err
	}
	if value == "" {
		return netip.AddrPort{}, errorf("Unable to parse empty endpoint")
	}
	var host, port string
	if value[0] == '[' {
		end := strings.IndexByte(value, ']')
		if end < 0 {
			return netip.AddrPort{}, errorf("Unable to find matching brace of endpoint: `%s'", value)
		}
		host = value[1:end]
		rest := value[end+1:]
		if len(rest) < 2 || rest[0] != ':' {
			return netip.AddrPort{}, errorf("Unable to find port of endpoint: `%s'", value)
		}
		port = rest[1:]
	} else {
		i := strings.LastIndexByte(value, ':')
		if i < 0 || i == len(value)-1 {
			return netip.AddrPort{}, errorf("Unable to find port of endpoint: `%s'", value)
		}
		host, port = value[:i], value[i+1:]
	}
	timeout := uint(1000000) // microseconds, as config.c counts them
	for {
		ap, msg, permanent := c.resolve(host, port)
		if msg == "" {
			return ap, nil
		}
		if permanent || retries >= 0 && retries == 0 {
			return netip.AddrPort{}, errorf("%s: `%s'", msg, value)
		}
		if retries > 0 {
			retries--
		}
		fmt.Fprintf(c.err, "%s: `%s'. Trying again in %.2f seconds...\n", msg, value, float64(timeout)/1000000.0)
		c.env.Sleep(time.Duration(timeout) * time.Microsecond)
		timeout = min(20000000, timeout*6/5)
	}
}

// validZone reports whether getaddrinfo would accept an IPv6 scope: none,
// a number, or the name of an interface of this host.
func validZone(zone string) bool {
	if zone == "" {
		return true
	}
	if _, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return true
	}
	_, err := net.InterfaceByName(zone)
	return err == nil
}

// resolve is getaddrinfo(host, port) for a UDP socket of any family: the
// first address, or the error text and whether wg treats it as
// permanent (EAI_NONAME, EAI_FAIL, EAI_NODATA).
func (c *cmd) resolve(host, port string) (netip.AddrPort, string, bool) {
	p, msg := c.resolvePort(port)
	if msg != "" {
		return netip.AddrPort{}, msg, false // EAI_SERVICE is retried
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if !validZone(a.Zone()) {
			return netip.AddrPort{}, eaiNoName, true
		}
		return netip.AddrPortFrom(a, uint16(p)), "", false
	}
	if host == "" {
		return netip.AddrPort{}, eaiNoName, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	addrs, err := c.env.LookupHost(ctx, host)
	if err != nil {
		var de *net.DNSError
		switch {
		case errors.As(err, &de) && de.IsNotFound:
			return netip.AddrPort{}, eaiNoName, true
		case errors.As(err, &de) && (de.IsTemporary || de.IsTimeout), errors.Is(err, context.DeadlineExceeded):
			return netip.AddrPort{}, eaiAgain, false
		}
		return netip.AddrPort{}, eaiFail, true
	}
	if len(addrs) == 0 {
		return netip.AddrPort{}, eaiNoName, true
	}
	a := addrs[0]
	if a.Is4In6() {
		a = a.Unmap()
	}
	return netip.AddrPortFrom(a, uint16(p)), "", false
}
