package wgnl

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/netlink"

	"github.com/wgshim/wgshim/core/wgtypes"
)

func ptr[T any](v T) *T { return &v }

var (
	cmpPrefix = cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })
	cmpAddr   = cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })
)

// topAttrs returns the top-level attribute types of a message in order.
func topAttrs(t *testing.T, b []byte) []uint16 {
	t.Helper()
	attrs, err := netlink.UnmarshalAttributes(b)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint16
	for _, a := range attrs {
		out = append(out, a.Type&nlaTypeMask)
	}
	return out
}

// peerFragments returns each peer nest of a message: public key, flags (or
// -1) and the attribute types present.
type fragment struct {
	key   wgtypes.Key
	flags int64
	types map[uint16]bool
	ips   int
}

func fragments(t *testing.T, msg []byte) []fragment {
	t.Helper()
	top, err := netlink.UnmarshalAttributes(msg)
	if err != nil {
		t.Fatal(err)
	}
	var out []fragment
	for _, a := range top {
		if a.Type&nlaTypeMask != devicePeers {
			continue
		}
		peers, err := netlink.UnmarshalAttributes(a.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range peers {
			attrs, err := netlink.UnmarshalAttributes(p.Data)
			if err != nil {
				t.Fatal(err)
			}
			f := fragment{flags: -1, types: map[uint16]bool{}}
			for _, pa := range attrs {
				typ := pa.Type & nlaTypeMask
				f.types[typ] = true
				switch typ {
				case peerPublicKey:
					f.key = wgtypes.Key(pa.Data)
				case peerFlags:
					f.flags = int64(ne.Uint32(pa.Data))
				case peerAllowedIPs:
					ips, err := netlink.UnmarshalAttributes(pa.Data)
					if err != nil {
						t.Fatal(err)
					}
					f.ips += len(ips)
				}
			}
			out = append(out, f)
		}
	}
	return out
}

func TestEncodeSetSplit(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name     string
		cfg      wgtypes.Config
		size     int
		minMsgs  int
		maxFrags int // most fragments of one peer, 0: do not check
	}{
		{name: "1000 peers x 20 allowed IPs", cfg: randConfig(r, 1000, 20), size: MaxMessageSize, minMsgs: 150},
		{name: "one peer with 3000 allowed IPs", cfg: randConfig(r, 1, 3000), size: MaxMessageSize, minMsgs: 25},
		{name: "tiny messages", cfg: randConfig(r, 30, 7), size: 300, minMsgs: 30},
		{name: "fits in one", cfg: randConfig(r, 3, 4), size: MaxMessageSize, minMsgs: 1},
		{name: "no peers", cfg: wgtypes.Config{ListenPort: ptr(51820)}, size: MaxMessageSize, minMsgs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, err := EncodeSet("wg0", tt.cfg, tt.size, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) < tt.minMsgs {
				t.Errorf("%d messages, want at least %d", len(msgs), tt.minMsgs)
			}
			total := 0
			for i, m := range msgs {
				total += len(m)
				if n := len(m) + messageHeaderSize; n > tt.size {
					t.Errorf("message %d is %d bytes, budget %d", i, n, tt.size)
				}
				types := topAttrs(t, m)
				if len(types) == 0 || types[0] != deviceIfname {
					t.Errorf("message %d does not start with the ifname: %v", i, types)
				}
				for _, typ := range types {
					if i > 0 && typ != deviceIfname && typ != devicePeers {
						t.Errorf("message %d has device attribute %d", i, typ)
					}
				}
				// Continuations (a peer at the start of a message whose key
				// equals the last peer of the previous one) carry only key
				// and allowed IPs, never replace-allowed-ips.
				if i > 0 {
					prev := fragments(t, msgs[i-1])
					cur := fragments(t, m)
					if len(prev) > 0 && len(cur) > 0 && prev[len(prev)-1].key == cur[0].key {
						for typ := range cur[0].types {
							if typ != peerPublicKey && typ != peerAllowedIPs && typ != peerFlags {
								t.Errorf("message %d: continued peer has attribute %d", i, typ)
							}
						}
						if cur[0].flags >= 0 && cur[0].flags&^peerFUpdateOnly != 0 {
							t.Errorf("message %d: continued peer has flags %#x", i, cur[0].flags)
						}
					}
				}
			}
			// Splitting must not change the meaning: the messages applied
			// one by one in the kernel model give what the Config means.
			split, direct := newModel(), newModel()
			applyAll(t, split, msgs)
			direct.applyConfig(tt.cfg)
			if !split.nestedSeen {
				t.Error("a nest was sent without NLA_F_NESTED")
			}
			if diff := cmp.Diff(direct.device(), split.device(), cmpPrefix, cmpAddr); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			// And the result is the configuration itself.
			got := split.device()
			if len(got.Peers) != len(tt.cfg.Peers) {
				t.Fatalf("%d peers, want %d", len(got.Peers), len(tt.cfg.Peers))
			}
			for i, p := range tt.cfg.Peers {
				g := got.Peers[i]
				if g.PublicKey != p.PublicKey || !samePrefixes(g.AllowedIPs, p.AllowedIPs) {
					t.Fatalf("peer %d differs: %d allowed IPs, want %d", i, len(g.AllowedIPs), len(p.AllowedIPs))
				}
				if (p.Endpoint == nil) != !g.Endpoint.IsValid() || p.Endpoint != nil && *p.Endpoint != g.Endpoint {
					t.Errorf("peer %d endpoint %v, want %v", i, g.Endpoint, p.Endpoint)
				}
			}
			if tt.cfg.ListenPort != nil && got.ListenPort != *tt.cfg.ListenPort {
				t.Errorf("listen port %d, want %d", got.ListenPort, *tt.cfg.ListenPort)
			}
			t.Logf("%d messages, %d bytes of attributes", len(msgs), total)
		})
	}
}

// TestEncodeSetSemantics applies split configurations to an existing state
// in the kernel model: flags must survive the splitting.
func TestEncodeSetSemantics(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	base := randConfig(r, 5, 40) // existing state: 5 peers
	keys := func(c wgtypes.Config) []wgtypes.Key {
		var ks []wgtypes.Key
		for _, p := range c.Peers {
			ks = append(ks, p.PublicKey)
		}
		return ks
	}
	newIPs := randConfig(r, 1, 400).Peers[0].AllowedIPs
	stranger := randKey(r)
	tests := []struct {
		name  string
		cfg   wgtypes.Config
		check func(t *testing.T, d *wgtypes.Device)
	}{
		{
			name: "update-only does not create a peer in any fragment",
			cfg:  wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: stranger, UpdateOnly: true, AllowedIPs: newIPs}}},
			check: func(t *testing.T, d *wgtypes.Device) {
				if len(d.Peers) != 5 {
					t.Errorf("%d peers, want 5", len(d.Peers))
				}
			},
		},
		{
			name: "update-only updates an existing peer",
			cfg:  wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: keys(base)[1], UpdateOnly: true, AllowedIPs: newIPs}}},
			check: func(t *testing.T, d *wgtypes.Device) {
				if got := len(d.Peers[1].AllowedIPs); got != 440 {
					t.Errorf("%d allowed IPs, want 440", got)
				}
			},
		},
		{
			name: "replace-allowed-ips is sent once",
			cfg:  wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: keys(base)[2], ReplaceAllowedIPs: true, AllowedIPs: newIPs}}},
			check: func(t *testing.T, d *wgtypes.Device) {
				if !samePrefixes(d.Peers[2].AllowedIPs, newIPs) {
					t.Errorf("%d allowed IPs, want exactly the 400 new ones", len(d.Peers[2].AllowedIPs))
				}
			},
		},
		{
			name: "replace-peers is sent once",
			cfg:  wgtypes.Config{ReplacePeers: true, Peers: randConfig(r, 40, 30).Peers},
			check: func(t *testing.T, d *wgtypes.Device) {
				if len(d.Peers) != 40 {
					t.Errorf("%d peers, want 40", len(d.Peers))
				}
			},
		},
		{
			name: "remove peers and allowed IPs",
			cfg: wgtypes.Config{Peers: []wgtypes.PeerConfig{
				{PublicKey: keys(base)[0], Remove: true, AllowedIPs: newIPs},
				{PublicKey: keys(base)[3], RemoveAllowedIPs: base.Peers[3].AllowedIPs[:30], AllowedIPs: newIPs[:3]},
			}},
			check: func(t *testing.T, d *wgtypes.Device) {
				if len(d.Peers) != 4 || d.Peers[0].PublicKey != keys(base)[1] {
					t.Fatalf("peer 0 not removed")
				}
				want := append(append([]netip.Prefix{}, base.Peers[3].AllowedIPs[30:]...), newIPs[:3]...)
				if !samePrefixes(d.Peers[2].AllowedIPs, want) {
					t.Errorf("allowed IPs %v, want %v", d.Peers[2].AllowedIPs, want)
				}
			},
		},
		{
			name: "a new allowed IP moves from its old peer",
			cfg:  wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: keys(base)[4], AllowedIPs: base.Peers[0].AllowedIPs[:1]}}},
			check: func(t *testing.T, d *wgtypes.Device) {
				if len(d.Peers[0].AllowedIPs) != 39 || len(d.Peers[4].AllowedIPs) != 41 {
					t.Errorf("allowed IPs: peer 0 has %d, peer 4 %d", len(d.Peers[0].AllowedIPs), len(d.Peers[4].AllowedIPs))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel()
			baseMsgs, err := EncodeSet("wg0", base, MaxMessageSize, nil)
			if err != nil {
				t.Fatal(err)
			}
			applyAll(t, m, baseMsgs)
			msgs, err := EncodeSet("wg0", tt.cfg, 512, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) < 2 && !strings.HasPrefix(tt.name, "a new allowed IP") {
				t.Fatalf("%d messages; the test needs a split", len(msgs))
			}
			direct := newModel()
			direct.applyConfig(base)
			direct.applyConfig(tt.cfg)
			applyAll(t, m, msgs)
			if diff := cmp.Diff(direct.device(), m.device(), cmpPrefix, cmpAddr); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			tt.check(t, m.device())
		})
	}
}

// TestEncodeSetBytes compares a small message with one built by
// mdlayher/netlink's AttributeEncoder from the UAPI description.
func TestEncodeSetBytes(t *testing.T) {
	var priv, pub, psk wgtypes.Key
	for i := range priv {
		priv[i], pub[i], psk[i] = byte(i), byte(100+i), byte(200+i)
	}
	ep := netip.MustParseAddrPort("[fe80::1%7]:51820")
	cfg := wgtypes.Config{
		PrivateKey: &priv, ListenPort: ptr(51820), FirewallMark: ptr(uint32(0x1234)), ReplacePeers: true,
		Peers: []wgtypes.PeerConfig{{
			PublicKey: pub, PresharedKey: &psk, Endpoint: &ep, PersistentKeepalive: ptr(uint16(25)),
			ReplaceAllowedIPs: true, UpdateOnly: true,
			RemoveAllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")},
			AllowedIPs:       []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/64")},
		}},
	}
	got, err := EncodeSet("wg0", cfg, MaxMessageSize, nil)
	if err != nil {
		t.Fatal(err)
	}
	ae := netlink.NewAttributeEncoder()
	ae.String(deviceIfname, "wg0")
	ae.Bytes(devicePrivateKey, priv[:])
	ae.Uint16(deviceListenPort, 51820)
	ae.Uint32(deviceFwmark, 0x1234)
	ae.Uint32(deviceFlags, deviceFReplacePeers)
	ip := func(ae *netlink.AttributeEncoder, fam uint16, addr []byte, bits uint8, remove bool) {
		ae.Nested(0, func(ae *netlink.AttributeEncoder) error {
			ae.Uint16(allowedIPFamily, fam)
			ae.Bytes(allowedIPAddr, addr)
			ae.Uint8(allowedIPCIDR, bits)
			if remove {
				ae.Uint32(allowedIPFlags, allowedIPFRemove)
			}
			return nil
		})
	}
	ae.Nested(devicePeers, func(ae *netlink.AttributeEncoder) error {
		ae.Nested(0, func(ae *netlink.AttributeEncoder) error {
			ae.Bytes(peerPublicKey, pub[:])
			ae.Uint32(peerFlags, peerFReplaceAllowedIP|peerFUpdateOnly)
			ae.Bytes(peerPresharedKey, psk[:])
			sa := make([]byte, 28)
			ne.PutUint16(sa, 10)
			sa[2], sa[3] = 0xca, 0x6c // 51820, network order
			sa[8], sa[9], sa[23] = 0xfe, 0x80, 1
			ne.PutUint32(sa[24:], 7)
			ae.Bytes(peerEndpoint, sa)
			ae.Uint16(peerKeepalive, 25)
			ae.Nested(peerAllowedIPs, func(ae *netlink.AttributeEncoder) error {
				ip(ae, 2, []byte{10, 9, 0, 0}, 16, true)
				ip(ae, 2, []byte{10, 0, 0, 0}, 8, false)
				ip(ae, 10, netip.MustParseAddr("fd00::").AsSlice(), 64, false)
				return nil
			})
			return nil
		})
		return nil
	})
	want, err := ae.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !bytes.Equal(got[0], want) {
		t.Errorf("encoding differs\n got %x\nwant %x", got, want)
	}
}

func TestEncodeSetErrors(t *testing.T) {
	key := wgtypes.Key{1}
	tests := []struct {
		name    string
		ifname  string
		cfg     wgtypes.Config
		size    int
		zone    ZoneIndex
		wantErr string
	}{
		{name: "empty name", ifname: "", wantErr: "interface name is empty"},
		{name: "long name", ifname: "wg0123456789abcd", wantErr: "longer than 15"},
		{name: "slash", ifname: "wg/0", wantErr: "contains"},
		{name: "dot", ifname: "..", wantErr: "not allowed"},
		{name: "port", ifname: "wg0", cfg: wgtypes.Config{ListenPort: ptr(65536)}, wantErr: "listen port 65536"},
		{name: "negative port", ifname: "wg0", cfg: wgtypes.Config{ListenPort: ptr(-1)}, wantErr: "listen port -1"},
		{name: "endpoint", ifname: "wg0", cfg: wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: key, Endpoint: &netip.AddrPort{}}}},
			wantErr: "peer 0 (AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=): endpoint has no address"},
		{name: "allowed ip", ifname: "wg0", cfg: wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: key, AllowedIPs: []netip.Prefix{{}}}}},
			wantErr: "is not a valid prefix"},
		{name: "removed allowed ip", ifname: "wg0", cfg: wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: key, RemoveAllowedIPs: []netip.Prefix{{}}}}},
			wantErr: "is not a valid prefix"},
		{name: "zone name without resolver", ifname: "wg0",
			cfg:     wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: key, Endpoint: ptr(netip.MustParseAddrPort("[fe80::1%eth0]:1"))}}},
			wantErr: `zone "eth0" is not a number`},
		{name: "zone resolver fails", ifname: "wg0", zone: func(string) (uint32, error) { return 0, errTest },
			cfg:     wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: key, Endpoint: ptr(netip.MustParseAddrPort("[fe80::1%eth0]:1"))}}},
			wantErr: `zone "eth0": test error`},
		{name: "budget", ifname: "wg0", size: 100, cfg: wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: key, PresharedKey: &key}}},
			wantErr: "does not fit in a 100-byte message"},
		{name: "budget device", ifname: "wg0", size: 40, cfg: wgtypes.Config{PrivateKey: &key}, wantErr: "device attributes do not fit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size := tt.size
			if size == 0 {
				size = MaxMessageSize
			}
			_, err := EncodeSet(tt.ifname, tt.cfg, size, tt.zone)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	// A removed peer's other fields are ignored, even invalid ones.
	if _, err := EncodeSet("wg0", wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: key, Remove: true, Endpoint: &netip.AddrPort{}}}}, MaxMessageSize, nil); err != nil {
		t.Errorf("removed peer with a bad endpoint: %v", err)
	}
}

type testError struct{}

func (testError) Error() string { return "test error" }

var errTest = testError{}

func TestSockaddr(t *testing.T) {
	tests := []struct {
		in   string
		zone ZoneIndex
		want string // hex, x86/arm little-endian family and scope
		back string // expected parse result if not in
	}{
		{in: "192.0.2.1:51820", want: "0200ca6cc0000201" + "0000000000000000"},
		{in: "[2001:db8::1]:443", want: "0a0001bb00000000" + "20010db8000000000000000000000001" + "00000000"},
		{in: "[fe80::1%5]:1", want: "0a00000100000000" + "fe800000000000000000000000000001" + "05000000"},
		{in: "[fe80::1%lo]:1", zone: func(string) (uint32, error) { return 1, nil }, want: "0a00000100000000" + "fe800000000000000000000000000001" + "01000000", back: "[fe80::1%1]:1"},
		{in: "[::ffff:192.0.2.1]:7", want: "0a00000700000000" + "00000000000000000000ffffc0000201" + "00000000"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if hex.EncodeToString([]byte{1, 0}) != hex.EncodeToString(ne.AppendUint16(nil, 1)) {
				t.Skip("the expected bytes are little-endian")
			}
			b, err := sockaddr(netip.MustParseAddrPort(tt.in), tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(b); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			ap, err := parseSockaddr(b, nil)
			if err != nil {
				t.Fatal(err)
			}
			back := tt.back
			if back == "" {
				back = tt.in
			}
			if ap.String() != back {
				t.Errorf("parsed back as %s, want %s", ap, back)
			}
		})
	}
}

func BenchmarkEncodeSet(b *testing.B) {
	cfg := randConfig(rand.New(rand.NewPCG(5, 6)), 1000, 20)
	msgs, err := EncodeSet("wg0", cfg, MaxMessageSize, nil)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		n += len(m)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeSet("wg0", cfg, MaxMessageSize, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestEncodeRemovalProbe(t *testing.T) {
	r := rand.New(rand.NewPCG(30, 31))
	cfg := randConfig(r, 3, 4)
	// The first candidate prefix is taken, so the probe must pick another.
	taken := netip.MustParsePrefix("2001:db8:776e:6c::1/128")
	cfg.Peers[2].AllowedIPs = append(cfg.Peers[2].AllowedIPs, taken)
	m := newModel()
	m.applyConfig(cfg)
	before := m.device()
	if _, ok := EncodeRemovalProbe("wg0", &wgtypes.Device{}); ok {
		t.Error("probe without peers")
	}
	attrs, ok := EncodeRemovalProbe("wg0", before)
	if !ok {
		t.Fatal("no probe")
	}
	if !hasAllowedIPRemovalAttrs(t, attrs) {
		t.Error("the probe does not carry WGALLOWEDIP_A_FLAGS")
	}
	if err := m.apply(attrs); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, m.device(), cmpPrefix, cmpAddr); diff != "" {
		t.Errorf("the probe changed the device (-before +after):\n%s", diff)
	}
	// A probe for a peer that is gone creates nothing (update-only).
	empty := newModel()
	if err := empty.apply(attrs); err != nil || len(empty.peers) != 0 {
		t.Errorf("probe on an empty device: %v, %d peers", err, len(empty.peers))
	}
}

// hasAllowedIPRemovalAttrs finds WGALLOWEDIP_A_FLAGS in a SET message.
func hasAllowedIPRemovalAttrs(t *testing.T, b []byte) bool {
	t.Helper()
	top, _ := netlink.UnmarshalAttributes(b)
	for _, a := range top {
		if a.Type&nlaTypeMask != devicePeers {
			continue
		}
		peers, _ := netlink.UnmarshalAttributes(a.Data)
		for _, p := range peers {
			pa, _ := netlink.UnmarshalAttributes(p.Data)
			for _, x := range pa {
				if x.Type&nlaTypeMask != peerAllowedIPs {
					continue
				}
				ips, _ := netlink.UnmarshalAttributes(x.Data)
				for _, ip := range ips {
					ia, _ := netlink.UnmarshalAttributes(ip.Data)
					for _, f := range ia {
						if f.Type == allowedIPFlags {
							return true
						}
					}
				}
			}
		}
	}
	return false
}
