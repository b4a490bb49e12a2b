package config

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// ParseTOML reads a wgshim .toml configuration; file names the source in
// positions and errors. The format has an [Interface] table and a [[Peer]]
// array of tables with the INI key spellings (case-sensitive here). Lists
// are arrays of strings; a single string is also accepted and split like
// the INI value, so a recipe line migrates by adding quotes. Unknown keys are
// errors. Syntax errors stop the parse; every other error in the file is
// reported.
func ParseTOML(file string, src []byte) (*Config, error) {
	var raw map[string]any
	if _, err := toml.Decode(string(src), &raw); err != nil {
		var pe toml.ParseError
		line := 0
		msg := err.Error()
		if errors.As(err, &pe) {
			line, msg = pe.Position.Line, pe.Message
		}
		return nil, Errors{{Pos: Pos{File: file, Line: line}, Err: fmt.Errorf("invalid TOML: %s", msg)}}
	}
	lines := scanTOMLKeys(string(src))
	b := newBuilder(file)
	t := &tomlReader{b: b, lines: lines}

	if v, ok := raw["Interface"]; ok {
		b.startInterface(t.pos("Interface"))
		if m, ok := v.(map[string]any); ok {
			t.section(m, "Interface", secInterface)
		} else {
			b.errs.add(t.pos("Interface"), "", "Interface must be a table ([Interface]), not %s", tomlType(v))
		}
	}
	if v, ok := raw["Peer"]; ok {
		var peers []map[string]any
		arrayOK := true
		switch v := v.(type) {
		case []map[string]any:
			peers = v
		case map[string]any: // a lone [Peer] table: one peer
			b.startPeer(t.pos("Peer"))
			t.section(v, "Peer", secPeer)
		case []any:
			for _, e := range v {
				m, ok := e.(map[string]any)
				if !ok {
					arrayOK = false
					break
				}
				peers = append(peers, m)
			}
		default:
			arrayOK = false
		}
		if !arrayOK {
			b.errs.add(t.pos("Peer"), "", "Peer must be an array of tables ([[Peer]]), not %s", tomlType(v))
		}
		for i, m := range peers {
			prefix := fmt.Sprintf("Peer[%d]", i)
			b.startPeer(t.pos(prefix))
			t.section(m, prefix, secPeer)
		}
	}
	for _, k := range t.sortedKeys(raw, "") {
		if k == "Interface" || k == "Peer" {
			continue
		}
		msg := fmt.Errorf("%w %q; the top level holds only [Interface] and [[Peer]]", ErrUnknownKey, k)
		if s := suggest(k, "Interface", "Peer"); s != "" {
			msg = fmt.Errorf("%w %q (did you mean %q?)", ErrUnknownKey, k, s)
		}
		b.errs.addErr(t.pos(k), "", msg)
	}
	return b.finish()
}

type tomlReader struct {
	b     *builder
	lines map[string]int
}

// pos finds the line of a key path ("Peer[1].AllowedIPs"), falling back to
// its closest parent when the key sits in an inline table.
func (t *tomlReader) pos(path string) Pos {
	for {
		if n, ok := t.lines[path]; ok {
			return Pos{File: t.b.file, Line: n}
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return Pos{File: t.b.file}
		}
		path = path[:i]
	}
}

// sortedKeys orders the keys of m by line, so errors come out in file order.
func (t *tomlReader) sortedKeys(m map[string]any, prefix string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		li, lj := t.pos(prefix+keys[i]).Line, t.pos(prefix+keys[j]).Line
		if li != lj {
			return li < lj
		}
		return keys[i] < keys[j]
	})
	return keys
}

func (t *tomlReader) section(m map[string]any, prefix string, sect sectionKind) {
	b := t.b
	for _, k := range t.sortedKeys(m, prefix+".") {
		p := t.pos(prefix + "." + k)
		spec, ok := keysByName[k]
		if !ok || spec.sect != sect {
			b.errs.addErr(p, b.label(), unknownKeyError(k, sect, true))
			continue
		}
		p.Key = spec.name
		items, err := tomlItems(spec, m[k])
		if err != nil {
			b.errs.addErr(p, b.label(), err)
			continue
		}
		for _, item := range items {
			b.apply(spec, item, p)
		}
	}
}

// tomlItems turns a TOML value into the strings the key setters parse.
func tomlItems(s *keySpec, v any) ([]string, error) {
	if s.split != splitNone {
		switch v := v.(type) {
		case string:
			return splitItems(s.split, v), nil
		case []any:
			out := make([]string, 0, len(v))
			for _, e := range v {
				str, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("array items must be strings, not %s", tomlType(e))
				}
				out = append(out, str)
			}
			return out, nil
		}
		return nil, fmt.Errorf("must be an array of strings, not %s", tomlType(v))
	}
	switch v := v.(type) {
	case string:
		if s.kinds&tString != 0 {
			if s.style != styleWG {
				v = trimSpace(v)
			}
			return []string{v}, nil
		}
	case int64:
		if s.kinds&tInt != 0 {
			return []string{strconv.FormatInt(v, 10)}, nil
		}
	case bool:
		if s.kinds&tBool != 0 {
			return []string{strconv.FormatBool(v)}, nil
		}
	}
	var want []string
	for _, k := range []struct {
		k    tomlKind
		name string
	}{{tString, "a string"}, {tInt, "an integer"}, {tBool, "a boolean"}} {
		if s.kinds&k.k != 0 {
			want = append(want, k.name)
		}
	}
	return nil, fmt.Errorf("must be %s, not %s", strings.Join(want, " or "), tomlType(v))
}

func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date/time"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%T", v)
}

// scanTOMLKeys maps key paths to their 1-based line: "Interface" and
// "Peer[0]" for headers, "Interface.MTU" and "Peer[0].PublicKey" for keys.
// BurntSushi/toml keeps key positions private (and one per key name, not per
// array element), so this small scanner finds them; it runs only on text
// the TOML parser accepted, and skips strings, arrays and inline tables
// spanning lines.
func scanTOMLKeys(src string) map[string]int {
	s := &tomlScan{src: src, line: 1}
	out := map[string]int{}
	arrays := map[string]int{}
	prefix := ""
	for s.i < len(s.src) {
		s.skipBlank()
		if s.i >= len(s.src) {
			break
		}
		start := s.line
		if s.src[s.i] == '[' {
			double := strings.HasPrefix(s.src[s.i:], "[[")
			if double {
				s.i += 2
			} else {
				s.i++
			}
			path := s.keyPath()
			if double {
				if _, ok := out[path]; !ok {
					out[path] = start
				}
				n := arrays[path]
				arrays[path] = n + 1
				path = fmt.Sprintf("%s[%d]", path, n)
			}
			prefix = path
			if _, ok := out[path]; !ok {
				out[path] = start
			}
			s.skipLine()
			continue
		}
		key := s.keyPath()
		full := key
		if prefix != "" {
			full = prefix + "." + key
		}
		if _, ok := out[full]; !ok && key != "" {
			out[full] = start
		}
		if s.i < len(s.src) && s.src[s.i] == '=' {
			s.i++
		}
		s.skipValue()
	}
	return out
}

type tomlScan struct {
	src  string
	i    int
	line int
}

func (s *tomlScan) skipBlank() {
	for s.i < len(s.src) {
		switch c := s.src[s.i]; {
		case c == '\n':
			s.line++
			s.i++
		case c == ' ' || c == '\t' || c == '\r':
			s.i++
		case c == '#':
			s.skipLine()
		default:
			return
		}
	}
}

// skipLine moves past the next newline.
func (s *tomlScan) skipLine() {
	for s.i < len(s.src) {
		c := s.src[s.i]
		s.i++
		if c == '\n' {
			s.line++
			return
		}
	}
}

// keyPath reads a dotted key up to '=' or ']' and returns it with quotes
// removed from quoted parts.
func (s *tomlScan) keyPath() string {
	var parts []string
	var cur strings.Builder
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch {
		case c == '=' || c == ']' || c == '\n':
			parts = append(parts, cur.String())
			return strings.Join(parts, ".")
		case c == '.':
			parts = append(parts, cur.String())
			cur.Reset()
			s.i++
		case c == '"' || c == '\'':
			s.i++
			for s.i < len(s.src) && s.src[s.i] != c && s.src[s.i] != '\n' {
				if c == '"' && s.src[s.i] == '\\' && s.i+1 < len(s.src) {
					s.i++
				}
				cur.WriteByte(s.src[s.i])
				s.i++
			}
			s.i++
		case c == ' ' || c == '\t':
			s.i++
		default:
			cur.WriteByte(c)
			s.i++
		}
	}
	parts = append(parts, cur.String())
	return strings.Join(parts, ".")
}

// skipValue moves past a value and the rest of its (last) line.
func (s *tomlScan) skipValue() {
	depth := 0
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch {
		case strings.HasPrefix(s.src[s.i:], `"""`), strings.HasPrefix(s.src[s.i:], `'''`):
			s.skipMultiline(s.src[s.i : s.i+3])
		case c == '"' || c == '\'':
			s.i++
			for s.i < len(s.src) && s.src[s.i] != c && s.src[s.i] != '\n' {
				if c == '"' && s.src[s.i] == '\\' {
					s.i++
				}
				s.i++
			}
			s.i++
		case c == '[' || c == '{':
			depth++
			s.i++
		case c == ']' || c == '}':
			depth--
			s.i++
		case c == '#':
			for s.i < len(s.src) && s.src[s.i] != '\n' {
				s.i++
			}
		case c == '\n':
			s.line++
			s.i++
			if depth <= 0 {
				return
			}
		default:
			s.i++
		}
	}
}

func (s *tomlScan) skipMultiline(delim string) {
	s.i += 3
	for s.i < len(s.src) {
		if delim == `"""` && s.src[s.i] == '\\' {
			s.i++
			if s.i < len(s.src) && s.src[s.i] == '\n' {
				s.line++
			}
			s.i++
			continue
		}
		if strings.HasPrefix(s.src[s.i:], delim) {
			s.i += 3
			// A closing delimiter may be followed by up to two more quotes
			// that belong to the string.
			for k := 0; k < 2 && s.i < len(s.src) && s.src[s.i] == delim[0]; k++ {
				s.i++
			}
			return
		}
		if s.src[s.i] == '\n' {
			s.line++
		}
		s.i++
	}
}
