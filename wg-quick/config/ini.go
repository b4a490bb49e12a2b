package config

import (
	"strings"
	"unicode/utf8"
)

// ParseINI reads a wg-quick .conf file; file names the source in positions
// and errors. It accepts what upstream wg-quick and wg(8) accept together:
//
//   - '#' starts a comment, except in PreUp/PostUp/PreDown/PostDown, whose
//     value is everything after the first '=' (wireguard-tools 2025-01);
//   - section headers and keys are case-insensitive; wg(8) keys may contain
//     whitespace anywhere ("Public Key = ..."), since wg(8) drops it all;
//   - Address and DNS are comma and/or space separated and accumulate over
//     repeated lines, as do AllowedIPs and the hooks; other repeated keys
//     keep the last value;
//   - CRLF line ends, a UTF-8 byte order mark, a last line without newline.
//
// On failure the error is an Errors holding every problem in the file.
func ParseINI(file string, src []byte) (*Config, error) {
	b := newBuilder(file)
	text := strings.TrimPrefix(string(src), "\ufeff")
	for n := 1; text != ""; n++ {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		b.iniLine(line, Pos{File: file, Line: n})
	}
	return b.finish()
}

func (b *builder) iniLine(raw string, pos Pos) {
	stripped, _, _ := strings.Cut(raw, "#")
	compact := removeSpace(stripped)
	if compact == "" {
		return
	}
	if !utf8.ValidString(stripped) || strings.IndexByte(stripped, 0) >= 0 {
		b.errs.add(pos, b.label(), "line is not valid UTF-8 text")
		return
	}
	if compact[0] == '[' {
		switch {
		case strings.EqualFold(compact, "[Interface]"):
			b.startInterface(pos)
		case strings.EqualFold(compact, "[Peer]"):
			b.startPeer(pos)
		default:
			b.sect = secSkip
			if s := suggest(compact, "[Interface]", "[Peer]"); s != "" {
				b.errs.add(pos, "", "unknown section %q (did you mean %q?)", compact, s)
			} else {
				b.errs.add(pos, "", "unknown section %q; only [Interface] and [Peer] exist", compact)
			}
		}
		return
	}
	eq := strings.IndexByte(stripped, '=')
	if eq < 0 {
		b.errs.add(pos, b.label(), "%q is not a \"Key = value\" line", trimSpace(stripped))
		return
	}
	key := removeSpace(stripped[:eq])
	switch b.sect {
	case secSkip:
		return
	case secNone:
		b.errs.add(pos, "", "key %q is outside of a section; add [Interface] or [Peer] above it", key)
		return
	}
	if key == "" {
		b.errs.add(pos, b.label(), "missing key before '='")
		return
	}
	spec, ok := keysByLower[strings.ToLower(key)]
	if !ok || spec.sect != b.sect {
		if len(key) > 64 {
			key = key[:64] + "…"
		}
		b.errs.addErr(pos, b.label(), unknownKeyError(key, b.sect, false))
		return
	}
	var v string
	switch spec.style {
	case styleWG:
		v = removeSpace(stripped[eq+1:])
		if v == "" {
			p := pos
			p.Key = spec.name
			b.errs.add(p, b.label(), "empty value")
			return
		}
	case styleTrim:
		v = trimSpace(stripped[eq+1:])
	case styleHook:
		// stripped is a prefix of raw, so the first '=' is at the same place.
		v = trimSpace(raw[eq+1:])
	}
	for _, item := range splitItems(spec.split, v) {
		b.apply(spec, item, pos)
	}
}
