package wgio

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// FuzzParseDevice feeds arbitrary replies to the parser in both layouts:
// it must never panic or over-allocate, and whatever it accepts must
// survive a write (as the kernel would) and a second parse unchanged.
func FuzzParseDevice(f *testing.F) {
	priv := key(1)
	seed := &wgtypes.Device{
		PrivateKey: priv, PublicKey: priv.PublicKey(), ListenPort: 51820, FirewallMark: 1,
		Peers: []wgtypes.Peer{{
			PublicKey: key(50), PresharedKey: key(90), PersistentKeepalive: 25,
			Endpoint:        netip.MustParseAddrPort("192.0.2.1:51820"),
			AllowedIPs:      pfxs("10.0.0.0/8", "fd00::/64"),
			ProtocolVersion: 1,
		}, {
			PublicKey:       key(60),
			Endpoint:        netip.MustParseAddrPort("[2001:db8::1]:1"),
			ProtocolVersion: 1,
		}},
	}
	for _, l := range []Layout{LayoutPre74, Layout74} {
		f.Add(buildReply(seed, l), l == Layout74)
		f.Add(buildReply(&wgtypes.Device{}, l), l == Layout74)
		bufs, err := SetRequests(wgtypes.Config{ReplacePeers: true, Peers: []wgtypes.PeerConfig{{
			PublicKey: key(50), AllowedIPs: pfxs("10.0.0.1/32"),
		}}}, l, nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bufs[0], l == Layout74)
	}
	f.Add(make([]byte, 79), false)
	f.Fuzz(func(t *testing.T, b []byte, new bool) {
		l := LayoutPre74
		if new {
			l = Layout74
		}
		d, err := ParseDevice(b, l)
		if err != nil {
			return
		}
		// The kernel reports keys only with their flags; buildReply sets
		// both or neither.
		if d.PrivateKey.IsZero() {
			d.PublicKey = wgtypes.Key{}
		}
		for i := range d.Peers {
			// Zones come back numeric; buildReply writes scope 0.
			p := &d.Peers[i]
			if p.Endpoint.IsValid() {
				p.Endpoint = netip.AddrPortFrom(p.Endpoint.Addr().WithZone(""), p.Endpoint.Port())
			}
			p.ProtocolVersion = 1
		}
		again, err := ParseDevice(buildReply(d, l), l)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if diff := cmp.Diff(d, again, cmpOpts); diff != "" {
			t.Fatalf("round trip (-first +second)\n%s", diff)
		}
	})
}

// FuzzSetRequests builds requests from arbitrary peers; what it accepts
// must have the sizes the counts promise.
func FuzzSetRequests(f *testing.F) {
	f.Add(uint8(3), []byte{10, 0, 0, 1, 24, 0xfd, 0, 0, 0}, uint16(25), true, false)
	f.Add(uint8(0), []byte{}, uint16(0), false, true)
	f.Fuzz(func(t *testing.T, npeers uint8, aipBytes []byte, ka uint16, update, replace bool) {
		var cfg wgtypes.Config
		cfg.ReplacePeers = replace
		for i := range int(npeers % 8) {
			pc := wgtypes.PeerConfig{
				PublicKey: key(byte(i * 7)), UpdateOnly: update && i%2 == 0,
				Remove: int(ka%5) == i, PersistentKeepalive: &ka,
			}
			for j := 0; j+5 <= len(aipBytes); j += 5 {
				a := netip.AddrFrom4([4]byte(aipBytes[j : j+4]))
				if p, err := a.Prefix(int(aipBytes[j+4] % 40)); err == nil {
					pc.AllowedIPs = append(pc.AllowedIPs, p)
				}
			}
			cfg.Peers = append(cfg.Peers, pc)
		}
		for _, l := range []Layout{LayoutPre74, Layout74} {
			bufs, err := SetRequests(cfg, l, nil)
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for bi, b := range bufs {
				n := int(ne.Uint64(b[72:]))
				size := 80
				off := 80
				for range n {
					flags := ne.Uint32(b[off:])
					naips := int(ne.Uint64(b[off+psize(l)-8:]))
					size += psize(l) + 24*naips
					off += psize(l) + 24*naips
					// Only the last peer of a buffer may be one the
					// kernel can skip.
					if flags&(pUpdate|pRemove) != 0 && off != len(b) {
						t.Fatalf("buffer %d: UPDATE/REMOVE peer is not last", bi)
					}
				}
				if size != len(b) {
					t.Fatalf("buffer %d: counts give %d bytes, buffer has %d", bi, size, len(b))
				}
				if bi > 0 && b[0] != 0 {
					t.Fatalf("buffer %d carries interface flags %#x", bi, b[0])
				}
				total += n
			}
			if total != len(cfg.Peers) {
				t.Fatalf("%d peers sent, want %d", total, len(cfg.Peers))
			}
		}
	})
}

func benchConfig(npeers, naips int) wgtypes.Config {
	cfg := wgtypes.Config{ReplacePeers: true, ListenPort: ptr(51820)}
	for i := range npeers {
		pc := wgtypes.PeerConfig{
			PublicKey:           key(byte(i)),
			PresharedKey:        ptr(key(byte(i + 1))),
			Endpoint:            ptr(netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), 51820)),
			PersistentKeepalive: ptr(uint16(25)),
		}
		for j := range naips {
			pc.AllowedIPs = append(pc.AllowedIPs, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i), byte(j), 0}), 24))
		}
		cfg.Peers = append(cfg.Peers, pc)
	}
	return cfg
}

func BenchmarkSetRequests(b *testing.B) {
	cfg := benchConfig(100, 4)
	bufs, err := SetRequests(cfg, Layout74, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(bufs[0])))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SetRequests(cfg, Layout74, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseDevice(b *testing.B) {
	dev := &wgtypes.Device{}
	for i := range 100 {
		p := wgtypes.Peer{PublicKey: key(byte(i)), Endpoint: netip.MustParseAddrPort("192.0.2.1:1")}
		for j := range 4 {
			p.AllowedIPs = append(p.AllowedIPs, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i), byte(j), 0}), 24))
		}
		dev.Peers = append(dev.Peers, p)
	}
	reply := buildReply(dev, Layout74)
	b.SetBytes(int64(len(reply)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseDevice(reply, Layout74); err != nil {
			b.Fatal(err)
		}
	}
}
