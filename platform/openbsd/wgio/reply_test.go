package wgio

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/core/wgtypes"
)

var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b }),
}

// TestParseDeviceFixture parses hand-built replies with several peers and
// several allowed IPs each, in both layouts.
func TestParseDeviceFixture(t *testing.T) {
	priv, k50, k60, k70, k90 := key(1), key(50), key(60), key(70), key(90)
	pub := key(2) // the parser copies i_public, it does not derive it
	zero := wgtypes.Key{}
	for _, l := range []Layout{LayoutPre74, Layout74} {
		t.Run(l.String(), func(t *testing.T) {
			ps := psize(l)
			size := 80 + 3*ps + (3+0+2)*24
			f := make(fixture, size)
			// i_flags HAS_PUBLIC|HAS_PRIVATE|HAS_PORT|HAS_RTABLE
			f.iface(0, 0x01|0x02|0x04|0x08, 51820, 7, &pub, &priv, 3)

			// Peer 1: everything, IPv4 endpoint, three allowed IPs.
			off := 80
			f.peer(off, l, 0x01|0x02|0x04|0x08, 1, &k50, &k90, 25, sin("192.0.2.1", 51820), 3)
			f.peerStats(off, 1000, 2000, t0.Unix(), int64(t0.Nanosecond()))
			if l == Layout74 {
				f.description(off, "office router")
			}
			off += ps
			f.aip(off, "10.0.0.2/32")
			f.aip(off+24, "10.1.0.0/16")
			f.aip(off+48, "fd00::/64")
			off += 3 * 24

			// Peer 2: HAS_PSK with an all-zero key (means none), IPv6
			// endpoint with a scope, no allowed IPs, never handshaken.
			f.peer(off, l, 0x01|0x02|0x08, 1, &k60, &zero, 0, sin6("fe80::1", 443, 4), 0)
			off += ps

			// Peer 3: no flags but HAS_PUBLIC; the psk and pka bytes are
			// ignored without their flags. Protocol version 0.
			f.peer(off, l, 0x01, 0, &k70, &k90, 99, nil, 2)
			off += ps
			f.aip(off, "2001:db8::/32")
			// wg(4) echoes the address bits it was given: masked here.
			f.aip(off+24, "192.168.7.9/24")

			got, err := ParseDevice(f, l)
			if err != nil {
				t.Fatal(err)
			}
			want := &wgtypes.Device{
				PrivateKey: priv, PublicKey: pub,
				ListenPort: 51820, FirewallMark: 7,
				Peers: []wgtypes.Peer{{
					PublicKey: k50, PresharedKey: k90,
					Endpoint:            netip.MustParseAddrPort("192.0.2.1:51820"),
					PersistentKeepalive: 25,
					LastHandshakeTime:   t0,
					TransmitBytes:       1000, ReceiveBytes: 2000,
					AllowedIPs:      pfxs("10.0.0.2/32", "10.1.0.0/16", "fd00::/64"),
					ProtocolVersion: 1,
				}, {
					PublicKey:       k60,
					Endpoint:        netip.MustParseAddrPort("[fe80::1%4]:443"),
					ProtocolVersion: 1,
				}, {
					PublicKey:       k70,
					AllowedIPs:      pfxs("2001:db8::/32", "192.168.7.0/24"),
					ProtocolVersion: 1,
				}},
			}
			if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// TestParseDeviceUnprivileged: non-root callers get the interface struct
// alone with only the port and routing table.
func TestParseDeviceUnprivileged(t *testing.T) {
	f := make(fixture, 80)
	f.iface(0, 0x04, 1234, 0, nil, nil, 0)
	got, err := ParseDevice(f, Layout74)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&wgtypes.Device{ListenPort: 1234}, got, cmpOpts); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	// Without HAS_PORT the port bytes are ignored.
	f.iface(0, 0, 1234, 5, nil, nil, 0)
	got, err = ParseDevice(f, LayoutPre74)
	if err != nil || got.ListenPort != 0 || got.FirewallMark != 0 {
		t.Errorf("got %+v, %v; want zero port and mark", got, err)
	}
}

// TestParseDeviceLayoutMismatch: a 7.4 reply read with the old layout
// (or the reverse) must fail or differ, not silently produce the same
// device. It guards the layout choice.
func TestParseDeviceLayoutMismatch(t *testing.T) {
	dev := &wgtypes.Device{Peers: []wgtypes.Peer{
		{PublicKey: key(50), AllowedIPs: pfxs("10.0.0.1/32"), ProtocolVersion: 1},
		{PublicKey: key(60), AllowedIPs: pfxs("10.0.0.2/32"), ProtocolVersion: 1},
	}}
	b := buildReply(dev, Layout74)
	got, err := ParseDevice(b, LayoutPre74)
	if err == nil && cmp.Equal(dev, got, cmpOpts) {
		t.Fatal("7.4 reply parsed identically with the pre-7.4 layout")
	}
}

func TestParseDeviceErrors(t *testing.T) {
	k := key(50)
	valid := func(l Layout) fixture {
		f := make(fixture, 80+psize(l)+24)
		f.iface(0, 0, 0, 0, nil, nil, 1)
		f.peer(80, l, 0x01, 1, &k, nil, 0, nil, 1)
		f.aip(80+psize(l), "10.0.0.0/8")
		return f
	}
	if _, err := ParseDevice(valid(Layout74), Layout74); err != nil {
		t.Fatalf("valid base fixture: %v", err)
	}
	tests := []struct {
		name    string
		mutate  func(f fixture, l Layout) fixture
		wantErr string
	}{
		{"short", func(f fixture, l Layout) fixture { return f[:79] }, "79 bytes"},
		{"peer-cut", func(f fixture, l Layout) fixture { return f[:80+psize(l)-1] }, "1 peers do not fit"},
		{"second-peer-truncated", func(f fixture, l Layout) fixture {
			// Two peers fit by count, but the first one's allowed IP
			// leaves the second one short.
			ne.PutUint64(f[72:], 2)
			return append(f, make([]byte, psize(l)-1)...)
		}, "peer 2: truncated at byte"},
		{"too-many-peers", func(f fixture, l Layout) fixture { ne.PutUint64(f[72:], 1<<62); return f }, "peers do not fit"},
		{"too-many-aips", func(f fixture, l Layout) fixture {
			ne.PutUint64(f[80+psize(l)-8:], 2)
			return f
		}, "2 allowed IPs do not fit"},
		{"huge-aips", func(f fixture, l Layout) fixture {
			ne.PutUint64(f[80+psize(l)-8:], 1<<63)
			return f
		}, "allowed IPs do not fit"},
		{"no-public", func(f fixture, l Layout) fixture { ne.PutUint32(f[80:], 0x02); return f }, "no public key"},
		{"bad-family", func(f fixture, l Layout) fixture { f[80+psize(l)] = 28; return f }, "address family 28"},
		{"cidr-too-long", func(f fixture, l Layout) fixture { ne.PutUint32(f[80+psize(l)+4:], 33); return f }, "prefix length out of range"},
		{"cidr-negative", func(f fixture, l Layout) fixture { ne.PutUint32(f[80+psize(l)+4:], 0xffffffff); return f }, "out of range"},
		{"bad-endpoint", func(f fixture, l Layout) fixture {
			ne.PutUint32(f[80:], 0x01|0x08)
			f[80+77] = 1 // AF_UNIX
			return f
		}, "endpoint: address family 1"},
		{"bad-handshake", func(f fixture, l Layout) fixture {
			f.peerStats(80, 0, 0, 1, int64(time.Second))
			return f
		}, "last handshake"},
		{"negative-rtable", func(f fixture, l Layout) fixture {
			f[0] = 0x08
			ne.PutUint32(f[4:], 0xffffffff)
			return f
		}, "rtable -1"},
	}
	for _, tt := range tests {
		for _, l := range []Layout{LayoutPre74, Layout74} {
			t.Run(tt.name+"/"+l.String(), func(t *testing.T) {
				_, err := ParseDevice(tt.mutate(valid(l), l), l)
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
			})
		}
	}
	if _, err := ParseDevice(valid(Layout74), Layout(0)); err == nil {
		t.Error("layout 0 accepted")
	}
}

// TestRoundTrip: a device written as wg_ioctl_get would and parsed back is
// the same device.
func TestRoundTrip(t *testing.T) {
	priv := key(1)
	dev := &wgtypes.Device{
		PrivateKey: priv, PublicKey: priv.PublicKey(), ListenPort: 65535, FirewallMark: 255,
	}
	for i := range 20 {
		p := wgtypes.Peer{
			PublicKey:           key(byte(100 + i)),
			PersistentKeepalive: uint16(i),
			TransmitBytes:       uint64(i) << 40, ReceiveBytes: uint64(i) * 3,
			ProtocolVersion: 1,
		}
		if i%2 == 0 {
			p.PresharedKey = key(byte(i))
			p.Endpoint = netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), uint16(1000+i))
			p.LastHandshakeTime = t0.Add(time.Duration(i) * time.Second)
		} else {
			p.Endpoint = netip.MustParseAddrPort("[2001:db8::7]:51820")
		}
		for j := range i % 4 {
			p.AllowedIPs = append(p.AllowedIPs, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i), byte(j), 0}), 24))
		}
		dev.Peers = append(dev.Peers, p)
	}
	for _, l := range []Layout{LayoutPre74, Layout74} {
		got, err := ParseDevice(buildReply(dev, l), l)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(dev, got, cmpOpts); diff != "" {
			t.Errorf("%v: (-want +got)\n%s", l, diff)
		}
	}
}
