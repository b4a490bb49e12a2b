package wgio

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// Flag values from spec §3, spelled out so the fixtures do not depend on
// the constants under test.
const (
	fHasPrivate   = 0x02 // WG_INTERFACE_HAS_PRIVATE
	fHasPort      = 0x04 // WG_INTERFACE_HAS_PORT
	fHasRtable    = 0x08 // WG_INTERFACE_HAS_RTABLE
	fReplacePeers = 0x10 // WG_INTERFACE_REPLACE_PEERS

	pHasPublic   = 0x01 // WG_PEER_HAS_PUBLIC
	pHasPSK      = 0x02 // WG_PEER_HAS_PSK
	pHasPKA      = 0x04 // WG_PEER_HAS_PKA
	pHasEndpoint = 0x08 // WG_PEER_HAS_ENDPOINT
	pReplaceAIPs = 0x10 // WG_PEER_REPLACE_AIPS
	pRemove      = 0x20 // WG_PEER_REMOVE
	pUpdate      = 0x40 // WG_PEER_UPDATE
)

// TestSetRequestsFixtures compares the SIOCSWG buffers for each kind of
// wg command, in both layouts, with buffers built by hand from the spec.
func TestSetRequestsFixtures(t *testing.T) {
	priv := key(1)
	k50, k60, k90 := key(50), key(60), key(90)
	existing := &wgtypes.Device{
		PublicKey: key(200), // not one of the peers below
		Peers: []wgtypes.Peer{{
			PublicKey:  k50,
			AllowedIPs: pfxs("10.0.0.2/32", "10.0.0.3/32", "fd00::/64"),
		}, {
			PublicKey:  k60,
			AllowedIPs: pfxs("10.9.0.0/16"),
		}},
	}
	tests := []struct {
		name string
		cfg  wgtypes.Config
		cur  *wgtypes.Device
		want func(l Layout) [][]byte
	}{{
		name: "set-private-key-and-port",
		cfg:  wgtypes.Config{PrivateKey: &priv, ListenPort: ptr(51820)},
		want: func(l Layout) [][]byte {
			f := make(fixture, 80)
			f.iface(0, fHasPrivate|fHasPort, 51820, 0, nil, &priv, 0)
			return [][]byte{f}
		},
	}, {
		name: "remove-private-key",
		cfg:  wgtypes.Config{PrivateKey: &wgtypes.Key{}},
		want: func(l Layout) [][]byte {
			f := make(fixture, 80)
			f.iface(0, fHasPrivate, 0, 0, nil, nil, 0) // 32 zero bytes
			return [][]byte{f}
		},
	}, {
		name: "fwmark-is-rtable",
		cfg:  wgtypes.Config{FirewallMark: ptr(uint32(3)), ListenPort: ptr(0)},
		want: func(l Layout) [][]byte {
			f := make(fixture, 80)
			f.iface(0, fHasPort|fHasRtable, 0, 3, nil, nil, 0)
			return [][]byte{f}
		},
	}, {
		name: "add-peer-everything",
		cfg: wgtypes.Config{Peers: []wgtypes.PeerConfig{{
			PublicKey:           k50,
			PresharedKey:        &k90,
			Endpoint:            ptr(netip.MustParseAddrPort("192.0.2.1:51820")),
			PersistentKeepalive: ptr(uint16(25)),
			AllowedIPs:          pfxs("10.0.0.2/32", "10.1.2.3/16", "fd00::2/128"),
		}}},
		want: func(l Layout) [][]byte {
			f := make(fixture, 80+psize(l)+3*24)
			f.iface(0, 0, 0, 0, nil, nil, 1)
			f.peer(80, l, pHasPublic|pHasPSK|pHasPKA|pHasEndpoint, 0, &k50, &k90, 25, sin("192.0.2.1", 51820), 3)
			a := 80 + psize(l)
			f.aip(a, "10.0.0.2/32")
			f.aip(a+24, "10.1.0.0/16") // host bits masked
			f.aip(a+48, "fd00::2/128")
			return [][]byte{f}
		},
	}, {
		name: "add-peer-ipv6-endpoint",
		cfg: wgtypes.Config{Peers: []wgtypes.PeerConfig{{
			PublicKey: k60,
			Endpoint:  ptr(netip.MustParseAddrPort("[fe80::1%7]:443")),
		}, {
			PublicKey: k50,
			Endpoint:  ptr(netip.MustParseAddrPort("[::ffff:192.0.2.9]:500")), // unmapped
		}}},
		want: func(l Layout) [][]byte {
			f := make(fixture, 80+2*psize(l))
			f.iface(0, 0, 0, 0, nil, nil, 2)
			f.peer(80, l, pHasPublic|pHasEndpoint, 0, &k60, nil, 0, sin6("fe80::1", 443, 7), 0)
			f.peer(80+psize(l), l, pHasPublic|pHasEndpoint, 0, &k50, nil, 0, sin("192.0.2.9", 500), 0)
			return [][]byte{f}
		},
	}, {
		name: "remove-peer",
		cfg: wgtypes.Config{Peers: []wgtypes.PeerConfig{{
			PublicKey: k50, Remove: true,
			PresharedKey: &k90, AllowedIPs: pfxs("10.0.0.9/32"), // ignored with Remove
		}}},
		want: func(l Layout) [][]byte {
			f := make(fixture, 80+psize(l))
			f.iface(0, 0, 0, 0, nil, nil, 1)
			f.peer(80, l, pHasPublic|pRemove, 0, &k50, nil, 0, nil, 0)
			return [][]byte{f}
		},
	}, {
		name: "replace-peers",
		cfg: wgtypes.Config{ReplacePeers: true, Peers: []wgtypes.PeerConfig{
			{PublicKey: k50, AllowedIPs: pfxs("10.0.0.2/32")},
			{PublicKey: k60, AllowedIPs: pfxs("10.0.0.3/32", "::/0")},
		}},
		want: func(l Layout) [][]byte {
			f := make(fixture, 80+2*psize(l)+3*24)
			f.iface(0, fReplacePeers, 0, 0, nil, nil, 2)
			f.peer(80, l, pHasPublic, 0, &k50, nil, 0, nil, 1)
			f.aip(80+psize(l), "10.0.0.2/32")
			p2 := 80 + psize(l) + 24
			f.peer(p2, l, pHasPublic, 0, &k60, nil, 0, nil, 2)
			f.aip(p2+psize(l), "10.0.0.3/32")
			f.aip(p2+psize(l)+24, "::/0")
			return [][]byte{f}
		},
	}, {
		name: "replace-peers-with-none",
		cfg:  wgtypes.Config{ReplacePeers: true},
		want: func(l Layout) [][]byte {
			f := make(fixture, 80)
			f.iface(0, fReplacePeers, 0, 0, nil, nil, 0)
			return [][]byte{f}
		},
	}, {
		name: "replace-allowed-ips",
		cfg: wgtypes.Config{Peers: []wgtypes.PeerConfig{{
			PublicKey: k50, ReplaceAllowedIPs: true, AllowedIPs: pfxs("10.0.0.5/32", "::/0"),
		}}},
		want: func(l Layout) [][]byte {
			f := make(fixture, 80+psize(l)+2*24)
			f.iface(0, 0, 0, 0, nil, nil, 1)
			f.peer(80, l, pHasPublic|pReplaceAIPs, 0, &k50, nil, 0, nil, 2)
			f.aip(80+psize(l), "10.0.0.5/32")
			f.aip(80+psize(l)+24, "::/0")
			return [][]byte{f}
		},
	}, {
		name: "replace-allowed-ips-with-none",
		cfg: wgtypes.Config{Peers: []wgtypes.PeerConfig{{
			PublicKey: k50, ReplaceAllowedIPs: true,
		}}},
		want: func(l Layout) [][]byte {
			f := make(fixture, 80+psize(l))
			f.iface(0, 0, 0, 0, nil, nil, 1)
			f.peer(80, l, pHasPublic|pReplaceAIPs, 0, &k50, nil, 0, nil, 0)
			return [][]byte{f}
		},
	}, {
		name: "remove-allowed-ips-emulated",
		cfg: wgtypes.Config{Peers: []wgtypes.PeerConfig{{
			PublicKey: k50, RemoveAllowedIPs: pfxs("10.0.0.3/32"), AllowedIPs: pfxs("10.0.0.4/32"),
		}}},
		cur: existing,
		want: func(l Layout) [][]byte {
			// The whole resulting set, replacing the current one.
			f := make(fixture, 80+psize(l)+3*24)
			f.iface(0, 0, 0, 0, nil, nil, 1)
			f.peer(80, l, pHasPublic|pReplaceAIPs, 0, &k50, nil, 0, nil, 3)
			f.aip(80+psize(l), "10.0.0.2/32")
			f.aip(80+psize(l)+24, "fd00::/64")
			f.aip(80+psize(l)+48, "10.0.0.4/32")
			return [][]byte{f}
		},
	}, {
		name: "remove-allowed-ips-new-peer",
		cfg: wgtypes.Config{Peers: []wgtypes.PeerConfig{{
			PublicKey: key(70), RemoveAllowedIPs: pfxs("10.0.0.3/32"), AllowedIPs: pfxs("10.0.0.4/32"),
		}}},
		cur: existing,
		want: func(l Layout) [][]byte {
			k70 := key(70)
			f := make(fixture, 80+psize(l)+24)
			f.iface(0, 0, 0, 0, nil, nil, 1)
			f.peer(80, l, pHasPublic, 0, &k70, nil, 0, nil, 1) // nothing to remove
			f.aip(80+psize(l), "10.0.0.4/32")
			return [][]byte{f}
		},
	}, {
		name: "remove-allowed-ips-after-earlier-peer-took-one",
		cfg: wgtypes.Config{Peers: []wgtypes.PeerConfig{
			// k60 takes 10.0.0.2/32 from k50 first; k50's resulting
			// set must not take it back.
			{PublicKey: k60, AllowedIPs: pfxs("10.0.0.2/32")},
			{PublicKey: k50, RemoveAllowedIPs: pfxs("10.0.0.3/32")},
		}},
		cur: existing,
		want: func(l Layout) [][]byte {
			f := make(fixture, 80+2*psize(l)+2*24)
			f.iface(0, 0, 0, 0, nil, nil, 2)
			f.peer(80, l, pHasPublic, 0, &k60, nil, 0, nil, 1)
			f.aip(80+psize(l), "10.0.0.2/32")
			p2 := 80 + psize(l) + 24
			f.peer(p2, l, pHasPublic|pReplaceAIPs, 0, &k50, nil, 0, nil, 1)
			f.aip(p2+psize(l), "fd00::/64")
			return [][]byte{f}
		},
	}, {
		name: "skippable-peers-end-their-buffer",
		cfg: wgtypes.Config{ListenPort: ptr(1000), Peers: []wgtypes.PeerConfig{
			{PublicKey: k50, UpdateOnly: true, PersistentKeepalive: ptr(uint16(0))},
			{PublicKey: k60, UpdateOnly: true, AllowedIPs: pfxs("10.2.0.0/16")},
			{PublicKey: k90, AllowedIPs: pfxs("10.3.0.0/16")},
			{PublicKey: k60, Remove: true},
			{PublicKey: k50, Remove: true},
		}},
		want: func(l Layout) [][]byte {
			f := make(fixture, 80+psize(l))
			f.iface(0, fHasPort, 1000, 0, nil, nil, 1)
			f.peer(80, l, pHasPublic|pHasPKA|pUpdate, 0, &k50, nil, 0, nil, 0)
			// Later buffers carry no interface flags.
			g := make(fixture, 80+psize(l)+24)
			g.iface(0, 0, 0, 0, nil, nil, 1)
			g.peer(80, l, pHasPublic|pUpdate, 0, &k60, nil, 0, nil, 1)
			g.aip(80+psize(l), "10.2.0.0/16")
			h := make(fixture, 80+2*psize(l)+24)
			h.iface(0, 0, 0, 0, nil, nil, 2)
			h.peer(80, l, pHasPublic, 0, &k90, nil, 0, nil, 1)
			h.aip(80+psize(l), "10.3.0.0/16")
			h.peer(80+psize(l)+24, l, pHasPublic|pRemove, 0, &k60, nil, 0, nil, 0)
			i := make(fixture, 80+psize(l))
			i.iface(0, 0, 0, 0, nil, nil, 1)
			i.peer(80, l, pHasPublic|pRemove, 0, &k50, nil, 0, nil, 0)
			return [][]byte{f, g, h, i}
		},
	}, {
		name: "own-public-key-left-out",
		cfg: wgtypes.Config{PrivateKey: &priv, Peers: []wgtypes.PeerConfig{
			{PublicKey: priv.PublicKey(), AllowedIPs: pfxs("10.5.0.0/16")},
			{PublicKey: k50},
		}},
		want: func(l Layout) [][]byte {
			f := make(fixture, 80+psize(l))
			f.iface(0, fHasPrivate, 0, 0, nil, &priv, 1)
			f.peer(80, l, pHasPublic, 0, &k50, nil, 0, nil, 0)
			return [][]byte{f}
		},
	}, {
		name: "nothing-to-do",
		cfg:  wgtypes.Config{},
		want: func(Layout) [][]byte { return nil },
	}}
	for _, tt := range tests {
		for _, l := range []Layout{LayoutPre74, Layout74} {
			t.Run(tt.name+"/"+l.String(), func(t *testing.T) {
				got, err := SetRequests(tt.cfg, l, tt.cur)
				if err != nil {
					t.Fatal(err)
				}
				want := tt.want(l)
				if len(got) != len(want) {
					t.Fatalf("%d buffers, want %d", len(got), len(want))
				}
				for i := range want {
					if !bytes.Equal(got[i], want[i]) {
						t.Errorf("buffer %d differs:\n%s", i, diffHex(want[i], got[i]))
					}
				}
			})
		}
	}
}

// diffHex lists the 8-byte rows that differ.
func diffHex(want, got []byte) string {
	var sb strings.Builder
	if len(want) != len(got) {
		sb.WriteString("length " + strconv.Itoa(len(got)) + ", want " + strconv.Itoa(len(want)) + "\n")
	}
	for off := 0; off < max(len(want), len(got)); off += 8 {
		w := want[min(off, len(want)):min(off+8, len(want))]
		g := got[min(off, len(got)):min(off+8, len(got))]
		if !bytes.Equal(w, g) {
			sb.WriteString("  @" + strconv.Itoa(off) + " want " + hex.EncodeToString(w) + " got " + hex.EncodeToString(g) + "\n")
		}
	}
	return sb.String()
}

func TestSetRequestsErrors(t *testing.T) {
	tests := []struct {
		name    string
		cfg     wgtypes.Config
		cur     *wgtypes.Device
		layout  Layout
		wantErr string
		is      error
	}{
		{"port-negative", wgtypes.Config{ListenPort: ptr(-1)}, nil, Layout74, "ListenPort -1: out of range", nil},
		{"port-too-big", wgtypes.Config{ListenPort: ptr(65536)}, nil, Layout74, "ListenPort 65536", nil},
		{"rtable-too-big", wgtypes.Config{FirewallMark: ptr(uint32(256))}, nil, Layout74, "routing table (rtable)", nil},
		{"fwmark-like-linux", wgtypes.Config{FirewallMark: ptr(uint32(0xca6c))}, nil, LayoutPre74, "FirewallMark 51820", nil},
		{"remove-aips-without-state", wgtypes.Config{Peers: []wgtypes.PeerConfig{{
			PublicKey: key(5), RemoveAllowedIPs: pfxs("10.0.0.1/32"),
		}}}, nil, Layout74, "peer 1 (", ErrNeedState},
		{"invalid-prefix", wgtypes.Config{Peers: []wgtypes.PeerConfig{{
			PublicKey: key(5), AllowedIPs: []netip.Prefix{{}},
		}}}, nil, Layout74, "invalid prefix", nil},
		{"invalid-endpoint", wgtypes.Config{Peers: []wgtypes.PeerConfig{{
			PublicKey: key(5), Endpoint: &netip.AddrPort{},
		}}}, nil, Layout74, "endpoint: invalid address", nil},
		{"unknown-zone", wgtypes.Config{Peers: []wgtypes.PeerConfig{{
			PublicKey: key(5), Endpoint: ptr(netip.MustParseAddrPort("[fe80::1%no-such-if0]:1")),
		}}}, nil, Layout74, `zone "no-such-if0"`, nil},
		{"bad-layout", wgtypes.Config{ReplacePeers: true}, nil, Layout(9), "unknown layout", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := SetRequests(tt.cfg, tt.layout, tt.cur)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want errors.Is %v", err, tt.is)
			}
		})
	}
}

// TestRestoreRequests checks the snapshot-to-request mapping by parsing
// the request with the reply parser: the fields a request and a reply
// share sit at the same offsets.
func TestRestoreRequests(t *testing.T) {
	priv := key(1)
	dev := &wgtypes.Device{
		PrivateKey: priv, PublicKey: priv.PublicKey(),
		ListenPort: 51820, FirewallMark: 2,
		Peers: []wgtypes.Peer{{
			PublicKey: key(50), PresharedKey: key(90),
			Endpoint:            netip.MustParseAddrPort("[2001:db8::1]:9"),
			PersistentKeepalive: 25,
			AllowedIPs:          pfxs("10.0.0.2/32", "fd00::/64"),
		}, {
			PublicKey:  key(60),
			AllowedIPs: pfxs("10.1.0.0/16"),
		}},
	}
	for _, l := range []Layout{LayoutPre74, Layout74} {
		bufs, err := RestoreRequests(dev, l)
		if err != nil {
			t.Fatal(err)
		}
		if len(bufs) != 1 {
			t.Fatalf("%d buffers, want 1", len(bufs))
		}
		b := bufs[0]
		if got, want := b[0], uint8(fHasPrivate|fHasPort|fHasRtable|fReplacePeers); got != want {
			t.Errorf("i_flags = %#x, want %#x", got, want)
		}
		if !bytes.Equal(b[40:72], priv[:]) {
			t.Error("i_private is not the snapshot's key")
		}
		// Every peer field is set explicitly, zero or not.
		p2 := 80 + psize(l) + 2*24
		if got, want := ne.Uint32(b[p2:]), uint32(pHasPublic|pHasPSK|pHasPKA); got != want {
			t.Errorf("second peer flags = %#x, want %#x", got, want)
		}
	}

	// Read without privilege: public key but no private key. The key
	// must not be "restored" to zero.
	bufs, err := RestoreRequests(&wgtypes.Device{PublicKey: key(3)}, Layout74)
	if err != nil {
		t.Fatal(err)
	}
	if bufs[0][0]&fHasPrivate != 0 {
		t.Error("restoring an unprivileged snapshot sets the private key")
	}
	// No identity at all: restoring removes any key set since.
	bufs, err = RestoreRequests(&wgtypes.Device{}, Layout74)
	if err != nil {
		t.Fatal(err)
	}
	if bufs[0][0]&fHasPrivate == 0 || !bytes.Equal(bufs[0][40:72], make([]byte, 32)) {
		t.Error("restoring a device without identity does not clear the key")
	}
}
