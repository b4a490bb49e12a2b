package snapshot

import (
	"strings"
	"testing"
)

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
		if got := NormaliseDump(in, tt.random); got != tt.want {
			t.Errorf("%s: NormaliseDump = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestNormaliseJSON(t *testing.T) {
	a := `{"nftables":[{"metainfo":{"version":"1.0.6","json_schema_version":1}},{"table":{"family":"ip","name":"wg-quick-wgq0","handle":7}}]}`
	b := `{"nftables":[{"metainfo":{"version":"1.0.9"}},{"table":{"family":"ip","name":"wg-quick-wgq0","handle":3}}]}`
	c := `{"nftables":[{"metainfo":{"version":"1.0.9"}},{"table":{"family":"ip6","name":"wg-quick-wgq0","handle":3}}]}`
	na, _ := NormaliseJSON("nft.json", []byte(a))
	nb, _ := NormaliseJSON("nft.json", []byte(b))
	nc, _ := NormaliseJSON("nft.json", []byte(c))
	if na != nb {
		t.Errorf("handles and metainfo not ignored:\n%s\n%s", na, nb)
	}
	if na == nc {
		t.Errorf("a different family compares equal:\n%s", nc)
	}
	x, _ := NormaliseJSON("addr.json", []byte(`[{"ifindex":4,"ifname":"wgq0","mtu":1420}]`))
	y, _ := NormaliseJSON("addr.json", []byte(`[{"ifindex":9,"ifname":"wgq0","mtu":1420}]`))
	z, _ := NormaliseJSON("addr.json", []byte(`[{"ifindex":9,"ifname":"wgq0","mtu":1320}]`))
	if x != y || x == z {
		t.Errorf("ifindex handling wrong: %q %q %q", x, y, z)
	}
	if _, err := NormaliseJSON("addr.json", nil); err == nil {
		t.Error("empty input accepted")
	}
}

func TestDiff(t *testing.T) {
	a := Snapshot{"addr.json": "x\n", "wg.txt": "y\n"}
	if d := Diff(a, a.Without()); d != "" {
		t.Errorf("equal snapshots differ:\n%s", d)
	}
	if d := Diff(a, Snapshot{"addr.json": "x\n", "wg.txt": "z\n"}); !strings.HasPrefix(d, "wg.txt:\n") {
		t.Errorf("changed component not reported:\n%s", d)
	}
	if d := Diff(a.Without("wg.txt"), a); !strings.HasPrefix(d, "wg.txt:\n") {
		t.Errorf("extra component not reported:\n%s", d)
	}
	if _, ok := a.Without("wg.txt")["wg.txt"]; ok || a["wg.txt"] == "" {
		t.Error("Without did not copy")
	}
}
