package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format is a configuration file format.
type Format int

const (
	INI  Format = iota // wg-quick .conf
	TOML               // wgshim .toml
)

func (f Format) String() string {
	if f == TOML {
		return "toml"
	}
	return "ini"
}

// FormatOf picks the format from a file name: .toml is TOML, anything else
// INI.
func FormatOf(path string) Format {
	if strings.HasSuffix(path, ".toml") {
		return TOML
	}
	return INI
}

// Parse reads src in the format its file name implies (FormatOf).
func Parse(file string, src []byte) (*Config, error) {
	if FormatOf(file) == TOML {
		return ParseTOML(file, src)
	}
	return ParseINI(file, src)
}

// Load reads and parses the file at path and sets Name from its base name
// when that is a valid interface name (wg0.conf -> wg0).
func Load(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(path, src)
	if err != nil {
		return nil, err
	}
	if name, err := InterfaceName(path); err == nil {
		c.Name = name
	}
	return c, nil
}

// Convert parses src (named file, in format from) and writes it in format to.
// Comments and key order are lost; the settings survive exactly.
func Convert(file string, src []byte, from, to Format) ([]byte, error) {
	var c *Config
	var err error
	if from == TOML {
		c, err = ParseTOML(file, src)
	} else {
		c, err = ParseINI(file, src)
	}
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if to == TOML {
		err = WriteTOML(&buf, c)
	} else {
		err = WriteINI(&buf, c)
	}
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// check refuses values that no reader would give back unchanged, so a
// hand-built Config cannot be written into a file that reads differently.
func (c *Config) check() error {
	var errs []error
	text := func(what, v string, hashOK bool) {
		if err := checkText(v, hashOK); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		} else if trimSpace(v) != v || v == "" && !hashOK {
			errs = append(errs, fmt.Errorf("%s: %q is empty or has surrounding whitespace", what, v))
		}
	}
	i := &c.Interface
	if i.PrivateKeyFile != nil {
		text("PrivateKeyFile", i.PrivateKeyFile.V, false)
	}
	for _, d := range i.DNS {
		if s := d.V.String(); strings.ContainsAny(s, ", #") || strings.IndexFunc(s, isSpaceOrControl) >= 0 || !d.V.IsValid() {
			errs = append(errs, fmt.Errorf("DNS: %q is not a valid name server", s))
		}
	}
	for _, d := range i.DNSSearch {
		text("DNS", d.V, false)
		if isNameserver(d.V) || strings.ContainsAny(d.V, ", \t") {
			errs = append(errs, fmt.Errorf("DNS: %q is not a valid search domain", d.V))
		}
	}
	if i.Table != nil && i.Table.V.Mode == TableName {
		if t, err := parseTable(i.Table.V.Name); err != nil || t.Mode != TableName {
			errs = append(errs, fmt.Errorf("Table: %q is not a valid table name", i.Table.V.Name))
		}
	}
	for _, l := range [][]Value[string]{i.PreUp, i.PostUp, i.PreDown, i.PostDown} {
		for _, h := range l {
			text("hook", h.V, true)
		}
	}
	for n, p := range c.Peers {
		if p.PublicKey == nil {
			errs = append(errs, fmt.Errorf("%s: missing PublicKey", peerLabel(n)))
		}
		if p.PresharedKeyFile != nil {
			text(peerLabel(n)+": PresharedKeyFile", p.PresharedKeyFile.V, false)
		}
		if p.Endpoint != nil {
			if _, _, err := SplitEndpoint(p.Endpoint.V); err != nil {
				errs = append(errs, fmt.Errorf("%s: Endpoint: %w", peerLabel(n), err))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("write config: %w", errors.Join(errs...))
	}
	return nil
}

// WriteINI writes c as a wg-quick .conf in the layout `wg-quick save`
// produces: the wg-quick keys first (Address and DNS one per line, MTU,
// Table, SaveConfig, hooks in order), then the `wg showconf` keys
// (ListenPort, FwMark, PrivateKey) and the peers. Unlike upstream save it
// also keeps search domains, PrivateKeyFile, PresharedKeyFile, and keys set
// to their "off" values, so that reading the output gives c back.
func WriteINI(w io.Writer, c *Config) error {
	if err := c.check(); err != nil {
		return err
	}
	var b strings.Builder
	i := &c.Interface
	b.WriteString("[Interface]\n")
	for _, a := range i.Address {
		kv(&b, "Address", a.V.String())
	}
	for _, d := range i.DNS {
		kv(&b, "DNS", d.V.String())
	}
	for _, d := range i.DNSSearch {
		kv(&b, "DNS", d.V)
	}
	if i.MTU != nil {
		kv(&b, "MTU", strconv.Itoa(i.MTU.V))
	}
	if i.Table != nil {
		kv(&b, "Table", i.Table.V.String())
	}
	if i.SaveConfig != nil {
		kv(&b, "SaveConfig", strconv.FormatBool(i.SaveConfig.V))
	}
	if i.KillSwitch != nil {
		kv(&b, "KillSwitch", strconv.FormatBool(i.KillSwitch.V))
	}
	for _, h := range []struct {
		key  string
		list []Value[string]
	}{{"PreUp", i.PreUp}, {"PostUp", i.PostUp}, {"PreDown", i.PreDown}, {"PostDown", i.PostDown}} {
		for _, v := range h.list {
			kv(&b, h.key, v.V)
		}
	}
	writeWGInterface(&b, i, true)
	writeWGPeers(&b, c.Peers, true)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteStrip writes what `wg-quick strip` prints: only the keys wg(8)
// understands, in `wg showconf` order, ready for `wg setconf`/`syncconf`.
// Key files must have been loaded (LoadKeyFiles): wg(8) has no file keys.
func WriteStrip(w io.Writer, c *Config) error {
	if err := c.check(); err != nil {
		return err
	}
	i := &c.Interface
	if i.PrivateKeyFile != nil && i.PrivateKey == nil {
		return fmt.Errorf("strip: %s: PrivateKeyFile %q is not loaded (LoadKeyFiles)", i.PrivateKeyFile.Pos, i.PrivateKeyFile.V)
	}
	for n, p := range c.Peers {
		if p.PresharedKeyFile != nil && p.PresharedKey == nil {
			return fmt.Errorf("strip: %s: %s: PresharedKeyFile %q is not loaded (LoadKeyFiles)", p.PresharedKeyFile.Pos, peerLabel(n), p.PresharedKeyFile.V)
		}
	}
	var b strings.Builder
	b.WriteString("[Interface]\n")
	writeWGInterface(&b, i, false)
	writeWGPeers(&b, c.Peers, false)
	_, err := io.WriteString(w, b.String())
	return err
}

// kv writes the line "KEY = V", in INI and TOML alike (V is already
// written in the format's syntax).
func kv(b *strings.Builder, key, v string) {
	b.WriteString(key)
	b.WriteString(" = ")
	b.WriteString(v)
	b.WriteByte('\n')
}

func fwmarkString(m uint32) string {
	if m == 0 {
		return "off"
	}
	return "0x" + strconv.FormatUint(uint64(m), 16)
}

// writeWGInterface writes the wg(8) [Interface] keys; files says whether
// key file references win over (loaded) keys.
func writeWGInterface(b *strings.Builder, i *Interface, files bool) {
	if i.ListenPort != nil {
		kv(b, "ListenPort", strconv.Itoa(int(i.ListenPort.V)))
	}
	if i.FwMark != nil {
		kv(b, "FwMark", fwmarkString(i.FwMark.V))
	}
	switch {
	case files && i.PrivateKeyFile != nil:
		kv(b, "PrivateKeyFile", i.PrivateKeyFile.V)
	case i.PrivateKey != nil:
		kv(b, "PrivateKey", i.PrivateKey.V.String())
	}
}

func writeWGPeers(b *strings.Builder, peers []Peer, files bool) {
	for _, p := range peers {
		b.WriteString("\n[Peer]\n")
		kv(b, "PublicKey", p.PublicKey.V.String())
		switch {
		case files && p.PresharedKeyFile != nil:
			kv(b, "PresharedKeyFile", p.PresharedKeyFile.V)
		case p.PresharedKey != nil:
			kv(b, "PresharedKey", p.PresharedKey.V.String())
		}
		if len(p.AllowedIPs) > 0 {
			kv(b, "AllowedIPs", joinPrefixes(p.AllowedIPs, ", "))
		}
		if p.Endpoint != nil {
			kv(b, "Endpoint", p.Endpoint.V)
		}
		if p.PersistentKeepalive != nil {
			kv(b, "PersistentKeepalive", strconv.Itoa(int(p.PersistentKeepalive.V)))
		}
	}
}

func joinPrefixes(l []Value[netip.Prefix], sep string) string {
	s := make([]string, len(l))
	for i, p := range l {
		s[i] = p.V.String()
	}
	return strings.Join(s, sep)
}

// tomlHeader starts every TOML file WriteTOML produces.
const tomlHeader = `# WireGuard configuration for wg-quick, wgshim TOML format (docs/config.md).
# Written by wgshim: comments and key order of the source were not kept.
`

// WriteTOML writes c as canonical TOML: a comment header, [Interface] and
// one [[Peer]] table per peer, lists as arrays, numbers as integers.
func WriteTOML(w io.Writer, c *Config) error {
	if err := c.check(); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(tomlHeader)
	i := &c.Interface
	if name := c.Name; name != "" {
		fmt.Fprintf(&b, "# Interface %s\n", name)
	}
	b.WriteString("\n[Interface]\n")
	switch {
	case i.PrivateKeyFile != nil:
		kv(&b, "PrivateKeyFile", tomlString(i.PrivateKeyFile.V))
	case i.PrivateKey != nil:
		kv(&b, "PrivateKey", tomlString(i.PrivateKey.V.String()))
	}
	if i.ListenPort != nil {
		kv(&b, "ListenPort", strconv.Itoa(int(i.ListenPort.V)))
	}
	if i.FwMark != nil {
		if i.FwMark.V == 0 {
			kv(&b, "FwMark", `"off"`)
		} else {
			kv(&b, "FwMark", fwmarkString(i.FwMark.V))
		}
	}
	if len(i.Address) > 0 {
		s := make([]string, len(i.Address))
		for n, a := range i.Address {
			s[n] = a.V.String()
		}
		kv(&b, "Address", tomlArray(s))
	}
	if len(i.DNS)+len(i.DNSSearch) > 0 {
		var s []string
		for _, d := range i.DNS {
			s = append(s, d.V.String())
		}
		for _, d := range i.DNSSearch {
			s = append(s, d.V)
		}
		kv(&b, "DNS", tomlArray(s))
	}
	if i.MTU != nil {
		kv(&b, "MTU", strconv.Itoa(i.MTU.V))
	}
	if i.Table != nil {
		if i.Table.V.Mode == TableNumber {
			kv(&b, "Table", i.Table.V.String())
		} else {
			kv(&b, "Table", tomlString(i.Table.V.String()))
		}
	}
	for _, h := range []struct {
		key  string
		list []Value[string]
	}{{"PreUp", i.PreUp}, {"PostUp", i.PostUp}, {"PreDown", i.PreDown}, {"PostDown", i.PostDown}} {
		if len(h.list) == 0 {
			continue
		}
		s := make([]string, len(h.list))
		for n, v := range h.list {
			s[n] = v.V
		}
		kv(&b, h.key, tomlArray(s))
	}
	if i.SaveConfig != nil {
		kv(&b, "SaveConfig", strconv.FormatBool(i.SaveConfig.V))
	}
	if i.KillSwitch != nil {
		kv(&b, "KillSwitch", strconv.FormatBool(i.KillSwitch.V))
	}
	for _, p := range c.Peers {
		b.WriteString("\n[[Peer]]\n")
		kv(&b, "PublicKey", tomlString(p.PublicKey.V.String()))
		switch {
		case p.PresharedKeyFile != nil:
			kv(&b, "PresharedKeyFile", tomlString(p.PresharedKeyFile.V))
		case p.PresharedKey != nil:
			kv(&b, "PresharedKey", tomlString(p.PresharedKey.V.String()))
		}
		if len(p.AllowedIPs) > 0 {
			s := make([]string, len(p.AllowedIPs))
			for n, a := range p.AllowedIPs {
				s[n] = a.V.String()
			}
			kv(&b, "AllowedIPs", tomlArray(s))
		}
		if p.Endpoint != nil {
			kv(&b, "Endpoint", tomlString(p.Endpoint.V))
		}
		if p.PersistentKeepalive != nil {
			kv(&b, "PersistentKeepalive", strconv.Itoa(int(p.PersistentKeepalive.V)))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// tomlArray writes a one-line array, or one item per line when that would
// be long.
func tomlArray(items []string) string {
	q := make([]string, len(items))
	n := 0
	for i, s := range items {
		q[i] = tomlString(s)
		n += len(q[i]) + 2
	}
	if len(items) < 2 || n <= 72 {
		return "[" + strings.Join(q, ", ") + "]"
	}
	return "[\n  " + strings.Join(q, ",\n  ") + ",\n]"
}

// tomlString quotes s as a TOML basic string. s is valid UTF-8 (check).
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04x`, r)
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// relTo resolves a key file path against the directory of the config.
func relTo(config, path string) string {
	if filepath.IsAbs(path) || config == "" {
		return path
	}
	return filepath.Join(filepath.Dir(config), path)
}
