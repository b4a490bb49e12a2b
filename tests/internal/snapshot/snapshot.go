// Package snapshot compares the network state of a namespace before and
// after a wg-quick run, as the namespace tests (tests/wgquick) and the
// kernel VM tests (tests/kernel/tools) take it: named components (ip -j,
// nft -j and `wg show all dump` output) normalised so that equal states
// compare equal.
package snapshot

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/google/go-cmp/cmp"
)

// Snapshot is a namespace's normalised state: component name to text,
// JSON re-indented for readable diffs.
type Snapshot map[string]string

// Without returns a copy of s without the named components.
func (s Snapshot) Without(names ...string) Snapshot {
	c := maps.Clone(s)
	for _, n := range names {
		delete(c, n)
	}
	return c
}

// Diff compares two snapshots component by component, a component missing
// on one side included; it returns "" when they are equal.
func Diff(want, got Snapshot) string {
	keys := slices.Collect(maps.Keys(want))
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		if d := cmp.Diff(strings.Split(want[k], "\n"), strings.Split(got[k], "\n")); d != "" {
			b.WriteString(k + ":\n" + d)
		}
	}
	return b.String()
}

// NormaliseJSON drops what differs between identical states: interface
// indexes (ip), handles and the metainfo object (nft). name is the
// component's name; "nft.json" is the nft ruleset.
func NormaliseJSON(name string, b []byte) (string, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "", err
	}
	if m, ok := v.(map[string]any); ok && name == "nft.json" {
		var keep []any
		list, _ := m["nftables"].([]any)
		for _, o := range list {
			if om, ok := o.(map[string]any); !ok || om["metainfo"] == nil {
				keep = append(keep, o)
			}
		}
		m["nftables"] = keep
	}
	v = strip(v, map[string]bool{"ifindex": true, "handle": true})
	out, err := json.MarshalIndent(v, "", " ")
	return string(out) + "\n", err
}

// strip removes the named keys from every object in v.
func strip(v any, keys map[string]bool) any {
	switch v := v.(type) {
	case map[string]any:
		for k := range v {
			if keys[k] {
				delete(v, k)
			} else {
				v[k] = strip(v[k], keys)
			}
		}
	case []any:
		for i := range v {
			v[i] = strip(v[i], keys)
		}
	}
	return v
}

// NormaliseDump masks the runtime fields of `wg show all dump`: latest
// handshake and byte counters of peers (a daemon keeps trying to reach
// unreachable endpoints), and the listen port when it is random.
func NormaliseDump(text string, randomPort bool) string {
	var out []string
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		f := strings.Split(line, "\t")
		switch len(f) {
		case 5: // ifname privkey pubkey port fwmark
			if randomPort {
				f[3] = "<random>"
			}
		case 9: // ifname peer psk endpoint allowed-ips handshake rx tx keepalive
			f[5], f[6], f[7] = "<handshake>", "<rx>", "<tx>"
		}
		out = append(out, strings.Join(f, "\t"))
	}
	return strings.Join(out, "\n") + "\n"
}
