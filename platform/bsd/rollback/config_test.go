package rollback

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// key is a recognisable key for the tests.
func key(b byte) wgtypes.Key { return wgtypes.Key{b, b} }

var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b }),
}

func TestConfig(t *testing.T) {
	aips := []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32"), netip.MustParsePrefix("fd00::/64")}
	tests := []struct {
		name string
		dev  wgtypes.Device
		want wgtypes.Config
	}{{
		name: "full device",
		dev: wgtypes.Device{
			Name: "wg0", PrivateKey: key(1), PublicKey: key(2), ListenPort: 51820, FirewallMark: 7,
			Peers: []wgtypes.Peer{{
				PublicKey: key(50), PresharedKey: key(90),
				Endpoint:            netip.MustParseAddrPort("192.0.2.1:51820"),
				PersistentKeepalive: 25, AllowedIPs: aips,
				// Runtime state is not configuration.
				LastHandshakeTime: time.Unix(1234, 0), ReceiveBytes: 1, TransmitBytes: 2, ProtocolVersion: 1,
			}, {
				PublicKey: key(60),
			}},
		},
		want: wgtypes.Config{
			PrivateKey: new(key(1)), ListenPort: new(51820), FirewallMark: new(uint32(7)), ReplacePeers: true,
			Peers: []wgtypes.PeerConfig{{
				PublicKey: key(50), PresharedKey: new(key(90)),
				Endpoint:            new(netip.MustParseAddrPort("192.0.2.1:51820")),
				PersistentKeepalive: new(uint16(25)), AllowedIPs: aips,
			}, {
				// No endpoint stays unset; a zero preshared key and
				// keepalive are sent, clearing whatever the change set.
				PublicKey: key(60), PresharedKey: new(wgtypes.Key{}), PersistentKeepalive: new(uint16(0)),
			}},
		},
	}, {
		name: "read without privilege: no private key, port and mark still restored",
		dev:  wgtypes.Device{PublicKey: key(2)},
		want: wgtypes.Config{ListenPort: new(0), FirewallMark: new(uint32(0)), ReplacePeers: true},
	}, {
		name: "no identity at all: the key is still left to the caller",
		dev:  wgtypes.Device{ListenPort: 1},
		want: wgtypes.Config{ListenPort: new(1), FirewallMark: new(uint32(0)), ReplacePeers: true},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Config(&tt.dev)
			if diff := cmp.Diff(tt.want, got, cmpOpts); diff != "" {
				t.Errorf("Config (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConfigCopies checks that the configuration does not alias the
// snapshot: the snapshot may be reused after a restore.
func TestConfigCopies(t *testing.T) {
	dev := &wgtypes.Device{PrivateKey: key(1), ListenPort: 5, Peers: []wgtypes.Peer{{
		PublicKey: key(50), PresharedKey: key(90), PersistentKeepalive: 25,
		Endpoint: netip.MustParseAddrPort("192.0.2.1:1"),
	}, {PublicKey: key(60), PresharedKey: key(91)}}}
	cfg := Config(dev)
	*cfg.PrivateKey = key(9)
	*cfg.ListenPort = 6
	*cfg.Peers[0].PresharedKey = key(9)
	*cfg.Peers[0].PersistentKeepalive = 1
	*cfg.Peers[0].Endpoint = netip.MustParseAddrPort("192.0.2.2:2")
	if dev.PrivateKey != key(1) || dev.ListenPort != 5 || dev.Peers[0].PresharedKey != key(90) ||
		dev.Peers[0].PersistentKeepalive != 25 || dev.Peers[0].Endpoint.Port() != 1 {
		t.Errorf("changing the configuration changed the snapshot: %+v", dev)
	}
	if *cfg.Peers[1].PresharedKey != key(91) {
		t.Errorf("peer 2 preshared key = %v, want its own", *cfg.Peers[1].PresharedKey)
	}
}
