package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Error is one located problem in a configuration file. It prints as
//
//	wg0.conf:12: peer 2: AllowedIPs: "10.0.0.300/32" is not a valid prefix
//	wg0.conf:7: [Interface]: unknown key "Tabel" (did you mean "Table"?)
type Error struct {
	Pos     Pos    // Pos.Key, when set, prefixes the message
	Section string // "[Interface]", "peer 2" or empty
	Err     error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.String())
	b.WriteString(": ")
	if e.Section != "" {
		b.WriteString(e.Section)
		b.WriteString(": ")
	}
	if e.Pos.Key != "" {
		b.WriteString(e.Pos.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errors is every problem found in one file, in line order. Readers return
// it (never an empty one) as their error.
type Errors []*Error

func (l Errors) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap lets errors.Is and errors.As see every error in the list.
func (l Errors) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// ErrUnknownKey is wrapped by every unknown-key error.
var ErrUnknownKey = errors.New("unknown key")

// errorList collects errors while a file is read.
type errorList struct{ errs Errors }

func (l *errorList) add(pos Pos, section string, format string, args ...any) {
	l.errs = append(l.errs, &Error{Pos: pos, Section: section, Err: fmt.Errorf(format, args...)})
}

func (l *errorList) addErr(pos Pos, section string, err error) {
	l.errs = append(l.errs, &Error{Pos: pos, Section: section, Err: err})
}

// err returns the sorted list, or nil when nothing went wrong.
func (l *errorList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	sort.SliceStable(l.errs, func(i, j int) bool { return l.errs[i].Pos.Line < l.errs[j].Pos.Line })
	return l.errs
}

// unknownKeyError says that key is not valid in a section, naming the
// section the key belongs to or the closest known spelling.
func unknownKeyError(key string, sect sectionKind, caseSensitive bool) error {
	if s, ok := keysByLower[strings.ToLower(key)]; ok && s.sect != sect {
		return fmt.Errorf("%w %q: it belongs in %s", ErrUnknownKey, key, s.sect.header())
	}
	best, bestD := "", 1<<30
	for _, s := range keySpecs {
		if s.sect != sect {
			continue
		}
		if d := editDistance(strings.ToLower(key), strings.ToLower(s.name)); d < bestD {
			best, bestD = s.name, d
		}
	}
	limit := 2
	if len(key) <= 4 {
		limit = 1
	}
	if bestD <= limit && (bestD > 0 || caseSensitive) {
		return fmt.Errorf("%w %q (did you mean %q?)", ErrUnknownKey, key, best)
	}
	return fmt.Errorf("%w %q", ErrUnknownKey, key)
}

// suggest returns the closest of names to s within a small distance, or "".
func suggest(s string, names ...string) string {
	best, bestD := "", 1<<30
	for _, n := range names {
		if d := editDistance(strings.ToLower(s), strings.ToLower(n)); d < bestD {
			best, bestD = n, d
		}
	}
	if bestD <= 2 {
		return best
	}
	return ""
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and adjacent transpositions ("Tabel" -> "Table"
// is 1).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
