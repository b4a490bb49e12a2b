//go:build linux

package wgquick_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// snapshot is the normalised state of a namespace: component name (the
// file the driver wrote) to text, JSON re-indented for readable diffs.
type snapshot map[string]string

// Components that hooks and one-way settings change, which rollback and
// down do not restore (wg-quick.md §10): left out of before/after checks.
var notRestored = []string{"marks.txt", "sysctl.txt"}

// readSnapshot reads and normalises the files of one snapshot directory.
func readSnapshot(t *testing.T, dir string, randomPort bool) snapshot {
	t.Helper()
	s := snapshot{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		switch {
		case e.Name() == "wg.txt":
			text = normaliseDump(text, randomPort)
		case strings.HasSuffix(e.Name(), ".json"):
			text, err = normaliseJSON(e.Name(), b)
			if err != nil {
				t.Fatalf("%s: %v\n%s", filepath.Join(dir, e.Name()), err, b)
			}
		}
		s[e.Name()] = text
	}
	if len(s) != 11 {
		t.Fatalf("%s: %d components, want 11", dir, len(s))
	}
	return s
}

// normaliseJSON drops what differs between identical states: interface
// indexes (ip), handles and the metainfo object (nft).
func normaliseJSON(name string, b []byte) (string, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "", err
	}
	if name == "nft.json" {
		if m, ok := v.(map[string]any); ok {
			var keep []any
			list, _ := m["nftables"].([]any)
			for _, o := range list {
				if om, ok := o.(map[string]any); ok && om["metainfo"] != nil {
					continue
				}
				keep = append(keep, o)
			}
			m["nftables"] = keep
		}
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

// normaliseDump masks the runtime fields of `wg show all dump`: latest
// handshake and byte counters of peers (the daemon keeps trying to reach
// the unreachable endpoints), and the listen port when it is random.
func normaliseDump(text string, randomPort bool) string {
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

// without returns a copy of s without the named components.
func (s snapshot) without(names ...string) snapshot {
	c := snapshot{}
	for k, v := range s {
		c[k] = v
	}
	for _, n := range names {
		delete(c, n)
	}
	return c
}

// diff compares two snapshots component by component.
func diffSnap(want, got snapshot) string {
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		if d := cmp.Diff(strings.Split(want[k], "\n"), strings.Split(got[k], "\n")); d != "" {
			b.WriteString(k + ":\n" + d)
		}
	}
	return b.String()
}

func TestNormaliseDump(t *testing.T) {
	in := "wgq0\tpriv\tpub\t40123\t0xca6c\nwgq0\tpeer\t(none)\t192.0.2.7:51820\t0.0.0.0/0\t1700000000\t148\t296\t25\n"
	tests := []struct {
		name   string
		random bool
		want   string
	}{
		{"fixed port", false, "wgq0\tpriv\tpub\t40123\t0xca6c\nwgq0\tpeer\t(none)\t192.0.2.7:51820\t0.0.0.0/0\t<handshake>\t<rx>\t<tx>\t25\n"},
		{"random port", true, "wgq0\tpriv\tpub\t<random>\t0xca6c\nwgq0\tpeer\t(none)\t192.0.2.7:51820\t0.0.0.0/0\t<handshake>\t<rx>\t<tx>\t25\n"},
	}
	for _, tt := range tests {
		if got := normaliseDump(in, tt.random); got != tt.want {
			t.Errorf("%s: normaliseDump = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestNormaliseJSON(t *testing.T) {
	a := `{"nftables":[{"metainfo":{"version":"1.0.6","json_schema_version":1}},{"table":{"family":"ip","name":"wg-quick-wgq0","handle":7}}]}`
	b := `{"nftables":[{"metainfo":{"version":"1.0.9"}},{"table":{"family":"ip","name":"wg-quick-wgq0","handle":3}}]}`
	c := `{"nftables":[{"metainfo":{"version":"1.0.9"}},{"table":{"family":"ip6","name":"wg-quick-wgq0","handle":3}}]}`
	na, _ := normaliseJSON("nft.json", []byte(a))
	nb, _ := normaliseJSON("nft.json", []byte(b))
	nc, _ := normaliseJSON("nft.json", []byte(c))
	if na != nb {
		t.Errorf("handles and metainfo not ignored:\n%s\n%s", na, nb)
	}
	if na == nc {
		t.Errorf("a different family compares equal:\n%s", nc)
	}
	x, _ := normaliseJSON("addr.json", []byte(`[{"ifindex":4,"ifname":"wgq0","mtu":1420}]`))
	y, _ := normaliseJSON("addr.json", []byte(`[{"ifindex":9,"ifname":"wgq0","mtu":1420}]`))
	z, _ := normaliseJSON("addr.json", []byte(`[{"ifindex":9,"ifname":"wgq0","mtu":1320}]`))
	if x != y || x == z {
		t.Errorf("ifindex handling wrong: %q %q %q", x, y, z)
	}
}
