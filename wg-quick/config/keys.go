package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// sectionKind is the section a key belongs to.
type sectionKind int

const (
	secNone sectionKind = iota
	secInterface
	secPeer
	secSkip // inside an unknown section: its lines were reported once
)

func (s sectionKind) header() string {
	switch s {
	case secInterface:
		return "[Interface]"
	case secPeer:
		return "[Peer]"
	case secSkip:
		return "unknown section"
	}
	return "no section"
}

// iniStyle is how the INI reader cleans a value before parsing it. wg(8)
// removes every whitespace character from its lines; wg-quick trims the
// value of its own keys and keeps '#' in hooks.
type iniStyle int

const (
	styleWG   iniStyle = iota // whitespace removed (wg(8) keys)
	styleTrim                 // trimmed (wg-quick keys, wgshim file keys)
	styleHook                 // trimmed, taken from the line before comment removal
)

// listSplit says how a value given as one string becomes list items.
type listSplit int

const (
	splitNone  listSplit = iota // scalar
	splitWords                  // commas and whitespace separate, empty items vanish (wg-quick Address, DNS)
	splitComma                  // whitespace removed, commas separate, empty items are errors (wg AllowedIPs)
	splitWhole                  // the whole string is one item (hooks)
)

// tomlKind is a set of TOML value types a key accepts.
type tomlKind int

const (
	tString tomlKind = 1 << iota
	tInt
	tBool
)

// keySpec describes one configuration key for both readers. set parses one
// value (one item for lists) and stores it; its error message leaves out
// the key, which the caller adds with the position.
type keySpec struct {
	name  string
	sect  sectionKind
	style iniStyle
	split listSplit
	kinds tomlKind
	set   func(b *builder, v string, p Pos) error
}

var keySpecs = []keySpec{
	{"PrivateKey", secInterface, styleWG, splitNone, tString, setPrivateKey},
	{"PrivateKeyFile", secInterface, styleTrim, splitNone, tString, setPrivateKeyFile},
	{"ListenPort", secInterface, styleWG, splitNone, tString | tInt, setListenPort},
	{"FwMark", secInterface, styleWG, splitNone, tString | tInt, setFwMark},
	{"Address", secInterface, styleTrim, splitWords, tString, setAddress},
	{"DNS", secInterface, styleTrim, splitWords, tString, setDNS},
	{"MTU", secInterface, styleTrim, splitNone, tString | tInt, setMTU},
	{"Table", secInterface, styleTrim, splitNone, tString | tInt, setTable},
	{"PreUp", secInterface, styleHook, splitWhole, tString, hookSetter(func(i *Interface) *[]Value[string] { return &i.PreUp })},
	{"PostUp", secInterface, styleHook, splitWhole, tString, hookSetter(func(i *Interface) *[]Value[string] { return &i.PostUp })},
	{"PreDown", secInterface, styleHook, splitWhole, tString, hookSetter(func(i *Interface) *[]Value[string] { return &i.PreDown })},
	{"PostDown", secInterface, styleHook, splitWhole, tString, hookSetter(func(i *Interface) *[]Value[string] { return &i.PostDown })},
	{"SaveConfig", secInterface, styleTrim, splitNone, tString | tBool, boolSetter(func(i *Interface) **Value[bool] { return &i.SaveConfig })},
	{"KillSwitch", secInterface, styleTrim, splitNone, tString | tBool, boolSetter(func(i *Interface) **Value[bool] { return &i.KillSwitch })},

	{"PublicKey", secPeer, styleWG, splitNone, tString, setPublicKey},
	{"PresharedKey", secPeer, styleWG, splitNone, tString, setPresharedKey},
	{"PresharedKeyFile", secPeer, styleTrim, splitNone, tString, setPresharedKeyFile},
	{"AllowedIPs", secPeer, styleWG, splitComma, tString, setAllowedIP},
	{"Endpoint", secPeer, styleWG, splitNone, tString, setEndpoint},
	{"PersistentKeepalive", secPeer, styleWG, splitNone, tString | tInt, setKeepalive},
}

var keysByLower = func() map[string]*keySpec {
	m := make(map[string]*keySpec, len(keySpecs))
	for i := range keySpecs {
		m[strings.ToLower(keySpecs[i].name)] = &keySpecs[i]
	}
	return m
}()

var keysByName = func() map[string]*keySpec {
	m := make(map[string]*keySpec, len(keySpecs))
	for i := range keySpecs {
		m[keySpecs[i].name] = &keySpecs[i]
	}
	return m
}()

// builder accumulates a Config and its errors while a file is read.
type builder struct {
	c    *Config
	errs errorList
	file string
	sect sectionKind
	peer int // index of the current peer in c.Peers
}

func newBuilder(file string) *builder {
	return &builder{c: &Config{File: file}, file: file, peer: -1}
}

func (b *builder) label() string {
	if b.sect == secPeer {
		return peerLabel(b.peer)
	}
	return b.sect.header()
}

func (b *builder) iface() *Interface { return &b.c.Interface }
func (b *builder) cur() *Peer        { return &b.c.Peers[b.peer] }

// startInterface and startPeer switch sections; pos is the header.
func (b *builder) startInterface(pos Pos) {
	if b.c.Interface.Pos.Line == 0 {
		b.c.Interface.Pos = pos
	}
	b.sect = secInterface
}

func (b *builder) startPeer(pos Pos) {
	b.c.Peers = append(b.c.Peers, Peer{Pos: pos})
	b.peer = len(b.c.Peers) - 1
	b.sect = secPeer
}

// apply parses one item of key s and records an error at pos if it fails.
func (b *builder) apply(s *keySpec, v string, pos Pos) {
	pos.Key = s.name
	if err := s.set(b, v, pos); err != nil {
		b.errs.addErr(pos, b.label(), err)
	}
}

// finish checks what needs the whole file and returns the result.
func (b *builder) finish() (*Config, error) {
	i := &b.c.Interface
	if i.PrivateKey != nil && i.PrivateKeyFile != nil {
		later := later(i.PrivateKey.Pos, i.PrivateKeyFile.Pos)
		later.Key = ""
		b.errs.add(later, "[Interface]", "PrivateKey and PrivateKeyFile are mutually exclusive; keep one")
	}
	for n := range b.c.Peers {
		p := &b.c.Peers[n]
		if p.PublicKey == nil {
			b.errs.add(p.Pos, peerLabel(n), "missing PublicKey")
		}
		if p.PresharedKey != nil && p.PresharedKeyFile != nil {
			later := later(p.PresharedKey.Pos, p.PresharedKeyFile.Pos)
			later.Key = ""
			b.errs.add(later, peerLabel(n), "PresharedKey and PresharedKeyFile are mutually exclusive; keep one")
		}
	}
	if err := b.errs.err(); err != nil {
		return nil, err
	}
	return b.c, nil
}

func later(a, b Pos) Pos {
	if b.Line > a.Line {
		return b
	}
	return a
}

func val[T any](v T, p Pos) *Value[T] { return &Value[T]{V: v, Pos: p} }

// parseKey parses a base64 key; the message never repeats a whole key.
func parseKey(v string) (wgtypes.Key, error) {
	return wgtypes.ParseKey(v)
}

func setPrivateKey(b *builder, v string, p Pos) error {
	k, err := parseKey(v)
	if err != nil {
		return err
	}
	b.iface().PrivateKey = val(k, p)
	return nil
}

func setPublicKey(b *builder, v string, p Pos) error {
	k, err := parseKey(v)
	if err != nil {
		return err
	}
	b.cur().PublicKey = val(k, p)
	return nil
}

func setPresharedKey(b *builder, v string, p Pos) error {
	k, err := parseKey(v)
	if err != nil {
		return err
	}
	b.cur().PresharedKey = val(k, p)
	return nil
}

// checkText rejects what the INI format cannot carry in a value: '#' starts
// a comment there (except in hooks), and a line ends at a newline.
func checkText(v string, hashOK bool) error {
	if !utf8.ValidString(v) {
		return errors.New("value is not valid UTF-8")
	}
	for _, r := range v {
		if r == '\n' || r == '\r' || r == 0 {
			return fmt.Errorf("%q: line breaks and NUL bytes are not allowed", v)
		}
		if r == '#' && !hashOK {
			return fmt.Errorf("%q: '#' starts a comment in INI files and is not allowed here", v)
		}
	}
	return nil
}

func checkPath(v string) error {
	if v == "" {
		return errors.New("empty path")
	}
	if err := checkText(v, false); err != nil {
		return err
	}
	if trimSpace(v) != v {
		return fmt.Errorf("%q: path starts or ends with whitespace", v)
	}
	return nil
}

func setPrivateKeyFile(b *builder, v string, p Pos) error {
	if err := checkPath(v); err != nil {
		return err
	}
	b.iface().PrivateKeyFile = val(v, p)
	return nil
}

func setPresharedKeyFile(b *builder, v string, p Pos) error {
	if err := checkPath(v); err != nil {
		return err
	}
	b.cur().PresharedKeyFile = val(v, p)
	return nil
}

// lookupPort resolves a service name ("domain") the way wg(8) does with
// getaddrinfo; a variable so tests can pin it.
var lookupPort = defaultLookupPort

func defaultLookupPort(name string) (int, error) { return net.LookupPort("udp", name) }

func parsePort(v string) (uint16, error) {
	if v == "" {
		return 0, errors.New("empty port")
	}
	if isDigits(v) {
		n, err := strconv.ParseUint(v, 10, 16)
		if err != nil {
			return 0, fmt.Errorf("%q is not a valid port (0-65535)", v)
		}
		return uint16(n), nil
	}
	if !isServiceName(v) {
		return 0, fmt.Errorf("%q is not a valid port (0-65535 or a service name)", v)
	}
	n, err := lookupPort(v)
	if err != nil || n < 0 || n > 65535 {
		return 0, fmt.Errorf("%q is not a valid port (0-65535 or a known service name)", v)
	}
	return uint16(n), nil
}

func setListenPort(b *builder, v string, p Pos) error {
	n, err := parsePort(v)
	if err != nil {
		return err
	}
	b.iface().ListenPort = val(n, p)
	return nil
}

// parseFwMark follows wg(8): "off" (any case), decimal, or hex with a
// lower-case 0x; it must start with a digit and fit in 32 bits.
func parseFwMark(v string) (uint32, error) {
	if strings.EqualFold(v, "off") {
		return 0, nil
	}
	bad := fmt.Errorf("%q is neither 0/off nor 0-0xffffffff", v)
	if v == "" || !isDigit(v[0]) {
		return 0, bad
	}
	digits, base := v, 10
	if len(v) > 2 && v[0] == '0' && v[1] == 'x' {
		digits, base = v[2:], 16
	}
	n, err := strconv.ParseUint(digits, base, 32)
	if err != nil || digits[0] == '+' || digits[0] == '-' {
		return 0, bad
	}
	return uint32(n), nil
}

func setFwMark(b *builder, v string, p Pos) error {
	n, err := parseFwMark(v)
	if err != nil {
		return err
	}
	b.iface().FwMark = val(n, p)
	return nil
}

// parsePrefix parses IP[/CIDR] as wg(8) does: IPv6 iff it contains ':',
// the length is decimal digits, a missing length is the full address. Host
// bits are kept.
func parsePrefix(v string) (netip.Prefix, error) {
	ip, bits, hasBits := strings.Cut(v, "/")
	bad := fmt.Errorf("%q is not a valid prefix", v)
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Zone() != "" || a.Is6() != strings.Contains(ip, ":") {
		return netip.Prefix{}, bad
	}
	n := a.BitLen()
	if hasBits {
		if !isDigits(bits) {
			return netip.Prefix{}, bad
		}
		m, err := strconv.ParseUint(bits, 10, 16)
		if err != nil || int(m) > a.BitLen() {
			return netip.Prefix{}, bad
		}
		n = int(m)
	}
	return netip.PrefixFrom(a, n), nil
}

func setAddress(b *builder, v string, p Pos) error {
	pfx, err := parsePrefix(v)
	if err != nil {
		return err
	}
	b.iface().Address = append(b.iface().Address, Value[netip.Prefix]{pfx, p})
	return nil
}

// isNameserver is wg-quick's split of DNS items: only digits and dots, or
// containing ':', is a server; anything else is a search domain.
func isNameserver(v string) bool {
	if strings.Contains(v, ":") {
		return true
	}
	for i := 0; i < len(v); i++ {
		if !isDigit(v[i]) && v[i] != '.' {
			return false
		}
	}
	return v != ""
}

func setDNS(b *builder, v string, p Pos) error {
	i := b.iface()
	if err := checkText(v, false); err != nil {
		return err
	}
	if v == "" || strings.ContainsAny(v, ",") || strings.IndexFunc(v, isSpaceOrControl) >= 0 {
		return fmt.Errorf("%q is not a valid name server or search domain", v)
	}
	if isNameserver(v) {
		a, err := netip.ParseAddr(v)
		if err != nil {
			return fmt.Errorf("%q is not a valid IP address for a name server", v)
		}
		i.DNS = append(i.DNS, Value[netip.Addr]{a, p})
		return nil
	}
	i.DNSSearch = append(i.DNSSearch, Value[string]{v, p})
	return nil
}

func setMTU(b *builder, v string, p Pos) error {
	if v == "" { // "MTU =" in wg-quick means auto
		b.iface().MTU = nil
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || !isDigits(v) || n < 68 || n > 65535 {
		return fmt.Errorf("%q is not a valid MTU (68-65535)", v)
	}
	b.iface().MTU = val(n, p)
	return nil
}

// parseTable reads auto, off (any case), a decimal table number, or a table
// name from rt_tables.
func parseTable(v string) (Table, error) {
	switch {
	case strings.EqualFold(v, "auto"):
		return Table{Mode: TableAuto}, nil
	case strings.EqualFold(v, "off"):
		return Table{Mode: TableOff}, nil
	case isDigits(v):
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return Table{}, fmt.Errorf("%q is not a valid table number (0-4294967295)", v)
		}
		return Table{Mode: TableNumber, ID: uint32(n)}, nil
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' || c == '.') {
			return Table{}, fmt.Errorf("%q is not a valid table (auto, off, a number or a name of letters, digits, '_', '-', '.')", v)
		}
	}
	return Table{Mode: TableName, Name: v}, nil
}

func setTable(b *builder, v string, p Pos) error {
	if v == "" { // "Table =" in wg-quick means auto
		b.iface().Table = nil
		return nil
	}
	t, err := parseTable(v)
	if err != nil {
		return err
	}
	b.iface().Table = val(t, p)
	return nil
}

func hookSetter(list func(*Interface) *[]Value[string]) func(*builder, string, Pos) error {
	return func(b *builder, v string, p Pos) error {
		v = trimSpace(v)
		if err := checkText(v, true); err != nil {
			return err
		}
		l := list(b.iface())
		*l = append(*l, Value[string]{v, p})
		return nil
	}
}

// boolSetter returns the setter of a true/false key (any case).
func boolSetter(field func(*Interface) **Value[bool]) func(*builder, string, Pos) error {
	return func(b *builder, v string, p Pos) error {
		switch {
		case strings.EqualFold(v, "true"):
			*field(b.iface()) = val(true, p)
		case strings.EqualFold(v, "false"):
			*field(b.iface()) = val(false, p)
		default:
			return fmt.Errorf("%q is neither true nor false", v)
		}
		return nil
	}
}

func setAllowedIP(b *builder, v string, p Pos) error {
	if v != "" && (v[0] == '+' || v[0] == '-') {
		return fmt.Errorf("%q: incremental changes (+/-) are only supported by \"wg set\", not in configuration files", v)
	}
	pfx, err := parsePrefix(v)
	if err != nil {
		return err
	}
	b.cur().AllowedIPs = append(b.cur().AllowedIPs, Value[netip.Prefix]{pfx, p})
	return nil
}

// SplitEndpoint splits an Endpoint value into host and port the way wg(8)
// does: "[v6]:port", otherwise at the last ':'. It checks the syntax only;
// the host may be a name and the port a service name.
func SplitEndpoint(v string) (host, port string, err error) {
	if v == "" {
		return "", "", errors.New("empty endpoint")
	}
	if strings.IndexFunc(v, isSpaceOrControl) >= 0 || strings.ContainsAny(v, "#/") {
		return "", "", fmt.Errorf("%q is not a valid endpoint (host:port or [IPv6]:port)", v)
	}
	if v[0] == '[' {
		end := strings.IndexByte(v, ']')
		if end < 0 {
			return "", "", fmt.Errorf("%q: no matching ']' in endpoint", v)
		}
		rest := v[end+1:]
		host = v[1:end]
		if len(rest) < 2 || rest[0] != ':' {
			return "", "", fmt.Errorf("%q: endpoint has no port", v)
		}
		port = rest[1:]
		if strings.ContainsAny(host, "[]") {
			return "", "", fmt.Errorf("%q is not a valid endpoint (host:port or [IPv6]:port)", v)
		}
	} else {
		i := strings.LastIndexByte(v, ':')
		if i < 0 || i == len(v)-1 {
			return "", "", fmt.Errorf("%q: endpoint has no port", v)
		}
		host, port = v[:i], v[i+1:]
		if strings.ContainsAny(host, "[]") {
			return "", "", fmt.Errorf("%q is not a valid endpoint (host:port or [IPv6]:port)", v)
		}
	}
	if host == "" {
		return "", "", fmt.Errorf("%q: endpoint has no host", v)
	}
	if isDigits(port) {
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
			return "", "", fmt.Errorf("%q: endpoint port must be 1-65535", v)
		}
	} else if !isServiceName(port) {
		return "", "", fmt.Errorf("%q: endpoint port is neither a number nor a service name", v)
	}
	return host, port, nil
}

func setEndpoint(b *builder, v string, p Pos) error {
	if err := checkText(v, false); err != nil {
		return err
	}
	if _, _, err := SplitEndpoint(v); err != nil {
		return err
	}
	b.cur().Endpoint = val(v, p)
	return nil
}

func setKeepalive(b *builder, v string, p Pos) error {
	var n uint16
	if !strings.EqualFold(v, "off") {
		m, err := strconv.ParseUint(v, 10, 16)
		if err != nil || v == "" || !isDigit(v[0]) {
			return fmt.Errorf("%q is neither 0/off nor 1-65535", v)
		}
		n = uint16(m)
	}
	b.cur().PersistentKeepalive = val(n, p)
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func isServiceName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return s != ""
}

// isSpace is C isspace in the C locale, which both bash ([[:space:]]) and
// wg(8) use: space, \t, \n, \v, \f, \r.
func isSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

func isSpaceOrControl(r rune) bool { return r < 0x80 && isSpace(byte(r)) || unicode.IsControl(r) }

func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

func removeSpace(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) }) < 0 {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if !isSpace(s[i]) {
			sb.WriteByte(s[i])
		}
	}
	return sb.String()
}

// splitItems turns one string into list items for key kind sp.
func splitItems(sp listSplit, v string) []string {
	switch sp {
	case splitWords:
		return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r < 0x80 && isSpace(byte(r)) })
	case splitComma:
		return strings.Split(removeSpace(v), ",")
	default:
		return []string{v}
	}
}
