package uapi

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wgshim/wgshim/core/wgtypes"
)

// largeConfig has peers peers with ips allowed IPs each, half IPv4, half
// IPv6, all distinct.
func largeConfig(peers, ips int) wgtypes.Config {
	cfg := wgtypes.Config{ReplacePeers: true, Peers: make([]wgtypes.PeerConfig, peers)}
	for i := range cfg.Peers {
		pc := &cfg.Peers[i]
		binary.BigEndian.PutUint32(pc.PublicKey[:], uint32(i+1))
		pc.PublicKey[31] = 0x55
		ep := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), uint16(1000+i))
		pc.Endpoint = &ep
		ka := uint16(i % 60)
		pc.PersistentKeepalive = &ka
		pc.ReplaceAllowedIPs = true
		for j := range ips {
			n := uint32(i*ips + j)
			if j%2 == 0 {
				a := netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)})
				pc.AllowedIPs = append(pc.AllowedIPs, netip.PrefixFrom(a, 32))
			} else {
				var b [16]byte
				b[0], b[1] = 0xfd, 0x00
				binary.BigEndian.PutUint32(b[4:], n)
				pc.AllowedIPs = append(pc.AllowedIPs, netip.PrefixFrom(netip.AddrFrom16(b), 64))
			}
		}
	}
	return cfg
}

func largeDevice(cfg wgtypes.Config) *wgtypes.Device {
	d := &wgtypes.Device{Type: wgtypes.Userspace, ListenPort: 51820, Peers: make([]wgtypes.Peer, len(cfg.Peers))}
	for i, pc := range cfg.Peers {
		d.Peers[i] = wgtypes.Peer{
			PublicKey: pc.PublicKey, Endpoint: *pc.Endpoint, PersistentKeepalive: *pc.PersistentKeepalive,
			AllowedIPs: pc.AllowedIPs, ProtocolVersion: 1, TransmitBytes: uint64(i) << 20,
			LastHandshakeTime: time.Unix(1700000000+int64(i), int64(i)),
		}
	}
	return d
}

func TestLargeRoundTrip(t *testing.T) {
	cfg := largeConfig(1000, 20)
	start := time.Now()
	var b bytes.Buffer
	if err := WriteSet(&b, cfg); err != nil {
		t.Fatal(err)
	}
	size := b.Len()
	got, err := ParseSet(bufio.NewReader(&b))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, got) { // cmp.Diff is slow on this much data
		diff := cmp.Diff(cfg, got, cmpOpts...)
		t.Fatalf("set round trip (-want +got):\n%s", diff)
	}

	d := largeDevice(cfg)
	b.Reset()
	if err := WriteGet(&b, d); err != nil {
		t.Fatal(err)
	}
	getSize := b.Len()
	gotD, err := ParseGet(bufio.NewReader(&b))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d, gotD) {
		diff := cmp.Diff(d, gotD, cmpOpts...)
		t.Fatalf("get round trip (-want +got):\n%s", diff)
	}
	t.Logf("1000 peers x 20 allowed IPs: set body %d bytes, get body %d bytes, both round trips in %v", size, getSize, time.Since(start))

	// And through a server connection.
	h := &fakeHandler{}
	c, _, _ := pipeServer(t, h)
	var cl Client
	if err := cl.Set(c, cfg); err != nil {
		t.Fatal(err)
	}
	viaServer, err := cl.Get(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(viaServer.Peers) != 1000 || len(viaServer.Peers[999].AllowedIPs) != 20 ||
		viaServer.Peers[999].AllowedIPs[19] != cfg.Peers[999].AllowedIPs[19] {
		t.Errorf("via server: %d peers", len(viaServer.Peers))
	}
}

func BenchmarkParseSetLarge(b *testing.B) {
	var buf bytes.Buffer
	if err := WriteSet(&buf, largeConfig(1000, 20)); err != nil {
		b.Fatal(err)
	}
	body := buf.Bytes()
	r := bufio.NewReader(nil)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(bytes.NewReader(body))
		if _, err := ParseSet(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteSetLarge(b *testing.B) {
	cfg := largeConfig(1000, 20)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := WriteSet(&buf, cfg); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}

func BenchmarkWriteGetLarge(b *testing.B) {
	d := largeDevice(largeConfig(1000, 20))
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := WriteGet(&buf, d); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}

func BenchmarkParseGetLarge(b *testing.B) {
	var buf bytes.Buffer
	if err := WriteGet(&buf, largeDevice(largeConfig(1000, 20))); err != nil {
		b.Fatal(err)
	}
	body := buf.Bytes()
	r := bufio.NewReader(nil)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(bytes.NewReader(body))
		if _, err := ParseGet(r); err != nil {
			b.Fatal(err)
		}
	}
}
