package wgnl

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/netlink"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// randDevice is a device state as the kernel would report it.
func randDevice(r *rand.Rand, peers, ips int) *wgtypes.Device {
	m := newModel()
	m.applyConfig(randConfig(r, peers, ips))
	d := m.device()
	d.Name = "wg0"
	for i := range d.Peers {
		p := &d.Peers[i]
		p.ReceiveBytes, p.TransmitBytes = r.Uint64(), r.Uint64()
		if i%2 == 0 {
			p.LastHandshakeTime = time.Unix(1700000000+int64(i), int64(i)*1000+7)
		}
	}
	return d
}

func TestDecodeDevice(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	tests := []struct {
		name   string
		dev    *wgtypes.Device
		budget int
		msgs   int // at least
	}{
		{name: "no peers", dev: &wgtypes.Device{Name: "wg0", Type: wgtypes.LinuxKernel, ListenPort: 1}, budget: 4096, msgs: 1},
		{name: "no private key", dev: func() *wgtypes.Device {
			d := randDevice(r, 3, 2)
			d.PrivateKey, d.PublicKey = wgtypes.Key{}, wgtypes.Key{}
			return d
		}(), budget: 4096, msgs: 1},
		{name: "1000 peers x 20", dev: randDevice(r, 1000, 20), budget: 4096, msgs: 100},
		{name: "peer continued over many messages", dev: randDevice(r, 3, 700), budget: 1024, msgs: 20},
		{name: "one fragment per message", dev: randDevice(r, 20, 100), budget: 1, msgs: 80},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := dumpMessages(t, tt.dev, tt.budget)
			if len(msgs) < tt.msgs {
				t.Fatalf("%d messages, test wants at least %d", len(msgs), tt.msgs)
			}
			got, err := DecodeDevice(msgs, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.dev, got, cmpPrefix, cmpAddr); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDecodeDeviceSeparatePeers: the same key twice but not in a row is two
// peers (only consecutive fragments are merged).
func TestDecodeDeviceSeparatePeers(t *testing.T) {
	d := randDevice(rand.New(rand.NewPCG(9, 9)), 3, 2)
	d.Peers[2].PublicKey = d.Peers[0].PublicKey
	got, err := DecodeDevice(dumpMessages(t, d, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Peers) != 3 {
		t.Errorf("%d peers, want 3", len(got.Peers))
	}
}

func TestDecodeDeviceZone(t *testing.T) {
	d := &wgtypes.Device{Name: "wg0", Type: wgtypes.LinuxKernel, Peers: []wgtypes.Peer{
		{PublicKey: wgtypes.Key{1}, Endpoint: netip.MustParseAddrPort("[fe80::1%1]:5")},
		{PublicKey: wgtypes.Key{2}, Endpoint: netip.MustParseAddrPort("[fe80::2%77]:5")},
	}}
	got, err := DecodeDevice(dumpMessages(t, d, 4096), func(i uint32) string {
		if i == 1 {
			return "lo"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"[fe80::1%lo]:5", "[fe80::2%77]:5"} {
		if s := got.Peers[i].Endpoint.String(); s != want {
			t.Errorf("peer %d endpoint %s, want %s", i, s, want)
		}
	}
}

func TestDecodeDeviceErrors(t *testing.T) {
	enc := func(fn func(ae *netlink.AttributeEncoder)) []byte {
		ae := netlink.NewAttributeEncoder()
		fn(ae)
		b, err := ae.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	peer := func(fn func(ae *netlink.AttributeEncoder)) []byte {
		return enc(func(ae *netlink.AttributeEncoder) {
			ae.Nested(devicePeers, func(ae *netlink.AttributeEncoder) error {
				ae.Nested(0, func(ae *netlink.AttributeEncoder) error { fn(ae); return nil })
				return nil
			})
		})
	}
	aip := func(fam uint16, addr []byte, bits uint8) []byte {
		return peer(func(ae *netlink.AttributeEncoder) {
			ae.Bytes(peerPublicKey, make([]byte, 32))
			ae.Nested(peerAllowedIPs, func(ae *netlink.AttributeEncoder) error {
				ae.Nested(0, func(ae *netlink.AttributeEncoder) error {
					ae.Uint16(allowedIPFamily, fam)
					ae.Bytes(allowedIPAddr, addr)
					ae.Uint8(allowedIPCIDR, bits)
					return nil
				})
				return nil
			})
		})
	}
	tests := []struct {
		name    string
		msg     []byte
		wantErr string
	}{
		{name: "truncated", msg: []byte{8, 0, 6}, wantErr: "message 0"},
		{name: "short private key", msg: enc(func(ae *netlink.AttributeEncoder) { ae.Bytes(devicePrivateKey, make([]byte, 31)) }), wantErr: "key is 31 bytes"},
		{name: "port not u16", msg: enc(func(ae *netlink.AttributeEncoder) { ae.Uint32(deviceListenPort, 1) }), wantErr: "message 0"},
		{name: "peer without key", msg: peer(func(ae *netlink.AttributeEncoder) { ae.Uint16(peerKeepalive, 1) }), wantErr: "peer without a public key"},
		{name: "bad endpoint", msg: peer(func(ae *netlink.AttributeEncoder) {
			ae.Bytes(peerPublicKey, make([]byte, 32))
			ae.Bytes(peerEndpoint, []byte{7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
		}), wantErr: "address family 7"},
		{name: "bad handshake", msg: peer(func(ae *netlink.AttributeEncoder) {
			ae.Bytes(peerPublicKey, make([]byte, 32))
			ae.Bytes(peerLastHandshake, make([]byte, 8))
		}), wantErr: "last handshake time is 8 bytes"},
		{name: "v4 family with v6 address", msg: aip(afInet, make([]byte, 16), 8), wantErr: "family 2 with a 16-byte address"},
		{name: "prefix too long", msg: aip(afInet, make([]byte, 4), 33), wantErr: "prefix length 33"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeDevice([][]byte{tt.msg}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzDecodeDevice(f *testing.F) {
	r := rand.New(rand.NewPCG(10, 11))
	for _, m := range dumpMessages(f, randDevice(r, 4, 3), 200) {
		f.Add(m)
	}
	f.Add([]byte{})
	f.Add([]byte{4, 0, 8, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDevice([][]byte{b, b}, nil)
		if err != nil {
			return
		}
		// Whatever decodes is a state the kernel model can be set to, and
		// decodes the same after a kernel-like dump.
		back, err := DecodeDevice(dumpMessages(t, d, 512), nil)
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if d.Name != back.Name || len(d.Peers) != len(back.Peers) {
			t.Fatalf("round trip changed the device: %d peers, then %d", len(d.Peers), len(back.Peers))
		}
	})
}

func BenchmarkDecodeDevice(b *testing.B) {
	msgs := dumpMessages(b, randDevice(rand.New(rand.NewPCG(12, 13)), 1000, 20), 4096)
	n := 0
	for _, m := range msgs {
		n += len(m)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeDevice(msgs, nil); err != nil {
			b.Fatal(err)
		}
	}
}
