package ifwg

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/freebsd/nv"
)

func timespec(order binary.ByteOrder, sec, nsec uint64) []byte {
	b := make([]byte, 16)
	order.PutUint64(b, sec)
	order.PutUint64(b[8:], nsec)
	return b
}

// multiPeerReply is a SIOCGWG reply as wgc_get builds it, in its key order:
// listen-port, user-cookie, public-key, private-key, peers; per peer
// public-key, preshared-key, endpoint, last-handshake-time,
// persistent-keepalive-interval, rx-bytes, tx-bytes, allowed-ips.
func multiPeerReply(order binary.ByteOrder, privileged bool) *nv.List {
	priv := key(1)
	pub := priv.PublicKey()
	l := nv.New().AddNumber("listen-port", 51820).AddNumber("user-cookie", 7).AddBinary("public-key", pub[:])
	if privileged {
		l.AddBinary("private-key", priv[:])
	}
	k50, k60, k70, psk := key(50), key(60), key(70), key(90)
	// Peer 1: IPv4 endpoint, handshake done, two allowed IPs.
	p1 := nv.New().AddBinary("public-key", k50[:])
	if privileged {
		p1.AddBinary("preshared-key", psk[:])
	}
	p1.AddBinary("endpoint", []byte{
		16, 2, 0xca, 0x6c, // sin_len, AF_INET, port 51820
		192, 0, 2, 1, // 192.0.2.1
		0, 0, 0, 0, 0, 0, 0, 0, // sin_zero
	}).
		AddBinary("last-handshake-time", timespec(order, 1700000000, 123456789)).
		AddNumber("persistent-keepalive-interval", 25).
		AddNumber("rx-bytes", 1<<33).
		AddNumber("tx-bytes", 4242).
		AddListArray("allowed-ips", []*nv.List{
			nv.New().AddBinary("ipv4", []byte{10, 0, 0, 2}).AddNumber("cidr", 32),
			nv.New().AddBinary("ipv6", netip.MustParseAddr("fd00::").AsSlice()).AddNumber("cidr", 64),
		})
	// Peer 2: IPv6 endpoint with a scope id, never handshaked.
	ep6 := []byte{28, 28, 0x01, 0xbb, 0, 0, 0, 0} // sin6_len, AF_INET6, port 443, flowinfo
	ep6 = append(ep6, netip.MustParseAddr("fe80::1").AsSlice()...)
	ep6 = append(ep6, 0, 0, 0, 0)
	order.PutUint32(ep6[24:], 3) // sin6_scope_id
	p2 := nv.New().AddBinary("public-key", k60[:])
	if privileged {
		zero := wgtypes.Key{}
		p2.AddBinary("preshared-key", zero[:])
	}
	p2.AddBinary("endpoint", ep6).
		AddBinary("last-handshake-time", timespec(order, 0, 0)).
		AddNumber("persistent-keepalive-interval", 0).
		AddNumber("rx-bytes", 0).
		AddNumber("tx-bytes", 0)
	// Peer 3: no endpoint, no allowed IPs, and a key from a future kernel.
	p3 := nv.New().AddBinary("public-key", k70[:]).
		AddBinary("last-handshake-time", timespec(order, 0, 0)).
		AddNumber("persistent-keepalive-interval", 0).
		AddNumber("rx-bytes", 1).
		AddNumber("tx-bytes", 2).
		AddString("future-key", "ignored")
	return l.AddListArray("peers", []*nv.List{p1, p2, p3})
}

func TestParseMultiPeerReply(t *testing.T) {
	priv := key(1)
	want := &wgtypes.Device{
		PrivateKey: priv, PublicKey: priv.PublicKey(), ListenPort: 51820, FirewallMark: 7,
		Peers: []wgtypes.Peer{{
			PublicKey: key(50), PresharedKey: key(90),
			Endpoint:            netip.MustParseAddrPort("192.0.2.1:51820"),
			LastHandshakeTime:   time.Unix(1700000000, 123456789),
			PersistentKeepalive: 25,
			ReceiveBytes:        1 << 33, TransmitBytes: 4242,
			AllowedIPs:      pfxs("10.0.0.2/32", "fd00::/64"),
			ProtocolVersion: 1,
		}, {
			PublicKey:       key(60),
			Endpoint:        netip.MustParseAddrPort("[fe80::1%3]:443"),
			ProtocolVersion: 1,
		}, {
			PublicKey: key(70), ReceiveBytes: 1, TransmitBytes: 2, ProtocolVersion: 1,
		}},
	}
	opts := cmp.Options{
		cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
		cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b }),
	}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		b, err := multiPeerReply(order, true).Encode(order)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParsePacked(b)
		if err != nil {
			t.Fatalf("%v: %v", order, err)
		}
		if diff := cmp.Diff(want, got, opts); diff != "" {
			t.Errorf("%v (-want +got):\n%s", order, diff)
		}
	}
	// Unprivileged callers get no private or preshared keys.
	got, err := ParseDevice(multiPeerReply(binary.LittleEndian, false))
	if err != nil {
		t.Fatal(err)
	}
	if !got.PrivateKey.IsZero() || !got.Peers[0].PresharedKey.IsZero() || got.PublicKey != priv.PublicKey() {
		t.Error("unprivileged reply parsed wrong")
	}
	// An empty reply is a device with nothing configured.
	empty, err := ParseDevice(nv.New())
	if err != nil || len(empty.Peers) != 0 || empty.ListenPort != 0 {
		t.Errorf("empty reply: %+v, %v", empty, err)
	}
}

func TestParseReplyErrors(t *testing.T) {
	peer := func(extra func(*nv.List)) *nv.List {
		k := key(50)
		p := nv.New().AddBinary("public-key", k[:])
		extra(p)
		return nv.New().AddListArray("peers", []*nv.List{p})
	}
	aip := func(a *nv.List) *nv.List {
		k := key(50)
		return nv.New().AddListArray("peers", []*nv.List{nv.New().AddBinary("public-key", k[:]).AddListArray("allowed-ips", []*nv.List{a})})
	}
	tests := []struct {
		name string
		in   *nv.List
		want string
	}{
		{"port as binary", nv.New().AddBinary("listen-port", []byte{1}), `"listen-port": is binary, want number`},
		{"port too big", nv.New().AddNumber("listen-port", 70000), "listen-port 70000 exceeds 65535"},
		{"cookie too big", nv.New().AddNumber("user-cookie", 1<<32), "user-cookie 4294967296 exceeds"},
		{"short key", nv.New().AddBinary("public-key", []byte{1, 2}), "public-key is 2 bytes, want 32"},
		{"peers not array", nv.New().AddList("peers", nv.New()), `"peers": is nvlist, want nvlist-array`},
		{"peer without key", nv.New().AddListArray("peers", []*nv.List{nv.New().AddNumber("rx-bytes", 1)}), "peer 1: no public-key"},
		{"bad endpoint", peer(func(p *nv.List) { p.AddBinary("endpoint", []byte{16, 99, 0, 0}) }), "peer 1: endpoint: address family 99 in a 4-byte sockaddr"},
		{"short timespec", peer(func(p *nv.List) { p.AddBinary("last-handshake-time", make([]byte, 8)) }), "last-handshake-time is 8 bytes, want 16"},
		{"bad nsec", peer(func(p *nv.List) { p.AddBinary("last-handshake-time", timespec(binary.LittleEndian, 1, 1e9)) }), "out of range"},
		{"keepalive too big", peer(func(p *nv.List) { p.AddNumber("persistent-keepalive-interval", 65536) }), "exceeds 65535"},
		{"aip without cidr", aip(nv.New().AddBinary("ipv4", []byte{1, 2, 3, 4})), `peer 1: allowed IP 1: nv: "cidr": not found`},
		{"aip cidr too big", aip(nv.New().AddBinary("ipv4", []byte{1, 2, 3, 4}).AddNumber("cidr", 33)), "cidr 33 exceeds 32"},
		{"aip short ipv6", aip(nv.New().AddBinary("ipv6", []byte{1, 2, 3, 4}).AddNumber("cidr", 3)), "ipv6 is 4 bytes, want 16"},
		{"aip no address", aip(nv.New().AddNumber("cidr", 3)), "neither ipv4 nor ipv6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDevice(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSockaddrRoundTrip(t *testing.T) {
	for _, s := range []string{"192.0.2.1:51820", "[2001:db8::1]:1", "[fe80::1%9]:65535", "[::ffff:192.0.2.1]:80", "0.0.0.0:0"} {
		ap := netip.MustParseAddrPort(s)
		b, err := EncodeSockaddr(ap)
		if err != nil {
			t.Fatal(err)
		}
		if int(b[0]) != len(b) {
			t.Errorf("%s: sa_len %d for %d bytes", s, b[0], len(b))
		}
		got, err := DecodeSockaddr(b, binary.NativeEndian)
		if err != nil || got != ap {
			t.Errorf("%s: round trip %v, %v", s, got, err)
		}
	}
	// sa_len is not trusted (wgctrl-go leaves it 0).
	b, _ := EncodeSockaddr(netip.MustParseAddrPort("192.0.2.1:5"))
	b[0] = 0
	if got, err := DecodeSockaddr(b, binary.NativeEndian); err != nil || got.Port() != 5 {
		t.Errorf("sa_len 0: %v, %v", got, err)
	}
}

func BenchmarkParsePacked(b *testing.B) {
	buf, err := multiPeerReply(binary.LittleEndian, true).Encode(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := ParsePacked(buf); err != nil {
			b.Fatal(err)
		}
	}
}
