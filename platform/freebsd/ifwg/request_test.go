package ifwg

import (
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/freebsd/nv"
)

var update = flag.Bool("update", false, "rewrite testdata/golden files")

// TestSetRequestGolden pins the nvlist tree sent for each kind of wg
// command. Keys are patterned bytes (key(n) = n, n+1, ...) so the hex
// shows which key went where. Regenerate with go test -update and review.
func TestSetRequestGolden(t *testing.T) {
	existing := &wgtypes.Device{Peers: []wgtypes.Peer{{
		PublicKey:  key(50),
		AllowedIPs: pfxs("10.0.0.2/32", "10.0.0.3/32", "fd00::/64"),
	}}}
	tests := []struct {
		name string
		cfg  wgtypes.Config
		cur  *wgtypes.Device
	}{
		{"set-private-key-and-port", wgtypes.Config{PrivateKey: ptr(key(1)), ListenPort: ptr(51820)}, nil},
		{"fwmark", wgtypes.Config{FirewallMark: ptr(uint32(0xcafe))}, nil},
		{"add-peer-everything", wgtypes.Config{Peers: []wgtypes.PeerConfig{{
			PublicKey:           key(50),
			PresharedKey:        ptr(key(90)),
			Endpoint:            ptr(netip.MustParseAddrPort("192.0.2.1:51820")),
			PersistentKeepalive: ptr(uint16(25)),
			AllowedIPs:          pfxs("10.0.0.2/32", "10.1.2.3/16", "fd00::2/128"),
		}}}, nil},
		{"add-peer-ipv6-endpoint", wgtypes.Config{Peers: []wgtypes.PeerConfig{{
			PublicKey: key(60),
			Endpoint:  ptr(netip.MustParseAddrPort("[fe80::1%7]:443")),
		}}}, nil},
		{"remove-peer", wgtypes.Config{Peers: []wgtypes.PeerConfig{{
			PublicKey: key(50), Remove: true,
			AllowedIPs: pfxs("10.0.0.9/32"), // ignored with Remove
		}}}, nil},
		{"replace-peers", wgtypes.Config{ReplacePeers: true, Peers: []wgtypes.PeerConfig{
			{PublicKey: key(50), AllowedIPs: pfxs("10.0.0.2/32")},
			{PublicKey: key(60), AllowedIPs: pfxs("10.0.0.3/32")},
		}}, nil},
		{"replace-peers-with-none", wgtypes.Config{ReplacePeers: true}, nil},
		{"replace-allowed-ips", wgtypes.Config{Peers: []wgtypes.PeerConfig{{
			PublicKey: key(50), ReplaceAllowedIPs: true, AllowedIPs: pfxs("10.0.0.5/32", "::/0"),
		}}}, nil},
		{"remove-allowed-ips-emulated", wgtypes.Config{Peers: []wgtypes.PeerConfig{{
			PublicKey: key(50), RemoveAllowedIPs: pfxs("10.0.0.3/32"), AllowedIPs: pfxs("10.0.0.4/32"),
		}}}, existing},
		{"remove-allowed-ips-new-peer", wgtypes.Config{Peers: []wgtypes.PeerConfig{{
			PublicKey: key(70), RemoveAllowedIPs: pfxs("10.0.0.3/32"), AllowedIPs: pfxs("10.0.0.4/32"),
		}}}, existing},
		{"update-only", wgtypes.Config{Peers: []wgtypes.PeerConfig{
			{PublicKey: key(50), UpdateOnly: true, PersistentKeepalive: ptr(uint16(0))},
			{PublicKey: key(70), UpdateOnly: true, PersistentKeepalive: ptr(uint16(0))},
		}}, existing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := SetRequest(tt.cfg, tt.cur)
			if err != nil {
				t.Fatal(err)
			}
			// Every request must pack and unpack as the kernel would.
			b, err := l.Encode(nv.HostOrder)
			if err != nil {
				t.Fatal(err)
			}
			back, err := nv.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			got := back.String()
			path := filepath.Join("testdata", "golden", tt.name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("request differs from %s:\n got:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

func TestSetRequestErrors(t *testing.T) {
	tests := []struct {
		name    string
		cfg     wgtypes.Config
		want    string
		wantErr error
	}{
		{"zero private key", wgtypes.Config{PrivateKey: &wgtypes.Key{}}, "PrivateKey: if_wg cannot remove the private key", nil},
		{"port too big", wgtypes.Config{ListenPort: ptr(65536)}, "ListenPort 65536: out of range 0-65535", nil},
		{"negative port", wgtypes.Config{ListenPort: ptr(-1)}, "ListenPort -1: out of range", nil},
		{"update only without state", wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: key(50), UpdateOnly: true}}},
			"peer 1 (" + key(50).String() + "): UpdateOnly: if_wg cannot express this", ErrNeedState},
		{"remove allowed ips without state", wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: key(50)}, {PublicKey: key(60), RemoveAllowedIPs: pfxs("10.0.0.1/32")}}},
			"peer 2 (" + key(60).String() + "): RemoveAllowedIPs: if_wg cannot express this", ErrNeedState},
		{"invalid endpoint", wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: key(50), Endpoint: &netip.AddrPort{}}}},
			"endpoint: invalid address", nil},
		{"unknown zone", wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: key(50), Endpoint: ptr(netip.MustParseAddrPort("[fe80::1%no-such-if0]:1"))}}},
			`zone "no-such-if0"`, nil},
		{"invalid prefix", wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: key(50), AllowedIPs: []netip.Prefix{{}}}}},
			"invalid prefix", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := SetRequest(tt.cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want wrapping %v", err, tt.wantErr)
			}
		})
	}
}

func TestRestoreRequest(t *testing.T) {
	dev := &wgtypes.Device{
		PrivateKey: key(1), ListenPort: 1000, FirewallMark: 0,
		Peers: []wgtypes.Peer{{
			PublicKey: key(50), PresharedKey: key(90), PersistentKeepalive: 25,
			Endpoint: netip.MustParseAddrPort("192.0.2.1:9"), AllowedIPs: pfxs("10.0.0.2/32"),
		}, {PublicKey: key(60)}},
	}
	l, err := RestoreRequest(dev)
	if err != nil {
		t.Fatal(err)
	}
	want := `replace-peers: bool true
listen-port: number 1000
private-key: binary[32] 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20
user-cookie: number 0
peers: nvlist-array[2]
  [0]
    public-key: binary[32] 32333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f5051
    preshared-key: binary[32] 5a5b5c5d5e5f606162636465666768696a6b6c6d6e6f70717273747576777879
    endpoint: binary[16] 10020009c00002010000000000000000
    persistent-keepalive-interval: number 25
    allowed-ips: nvlist-array[1]
      [0]
        ipv4: binary[4] 0a000002
        cidr: number 32
  [1]
    public-key: binary[32] 3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b
    preshared-key: binary[32] 0000000000000000000000000000000000000000000000000000000000000000
    persistent-keepalive-interval: number 0
`
	if l.String() != want {
		t.Errorf("restore request:\n%s\nwant:\n%s", l, want)
	}
}
