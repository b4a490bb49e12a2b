package wgnl

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// normalize sorts peers by key and allowed IPs, for comparing states whose
// order may legitimately differ.
func normalize(d *wgtypes.Device) *wgtypes.Device {
	c := *d
	c.Peers = slices.Clone(d.Peers)
	for i := range c.Peers {
		c.Peers[i].AllowedIPs = slices.Clone(c.Peers[i].AllowedIPs)
		slices.SortFunc(c.Peers[i].AllowedIPs, comparePrefix)
	}
	slices.SortFunc(c.Peers, func(a, b wgtypes.Peer) int { return slices.Compare(a.PublicKey[:], b.PublicKey[:]) })
	return &c
}

func TestRestoreConfig(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 21))
	base := randConfig(r, 50, 6)
	noEndpoint := base.Peers[3].PublicKey // i%5 == 3: no endpoint
	other := randConfig(r, 30, 4)
	newKey := randKey(r)
	tests := []struct {
		name      string
		change    wgtypes.Config
		untouched []int // peers of base the restore must not mention
	}{
		{name: "nothing changed", untouched: []int{0, 1, 2, 3, 49}},
		{name: "device fields", change: wgtypes.Config{PrivateKey: &newKey, ListenPort: ptr(1), FirewallMark: ptr(uint32(0))}, untouched: []int{0, 49}},
		{name: "replace peers", change: wgtypes.Config{ReplacePeers: true, Peers: other.Peers}},
		{name: "peers removed and added", change: wgtypes.Config{Peers: append([]wgtypes.PeerConfig{
			{PublicKey: base.Peers[0].PublicKey, Remove: true},
			{PublicKey: base.Peers[7].PublicKey, Remove: true},
		}, other.Peers[:5]...)}, untouched: []int{1, 2, 3, 4, 49}},
		{name: "allowed IPs moved and endpoint set", change: wgtypes.Config{Peers: []wgtypes.PeerConfig{
			{PublicKey: base.Peers[1].PublicKey, AllowedIPs: base.Peers[2].AllowedIPs[:2]},
			{PublicKey: noEndpoint, Endpoint: ptr(netip.MustParseAddrPort("192.0.2.9:9")), PresharedKey: &wgtypes.Key{}},
			{PublicKey: base.Peers[4].PublicKey, ReplaceAllowedIPs: true, PersistentKeepalive: ptr(uint16(7))},
		}}, untouched: []int{0, 5, 49}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel()
			m.applyConfig(base)
			before := m.device()
			m.applyConfig(tt.change)
			cfg := RestoreConfig(before, m.device())
			if tt.change.PrivateKey == nil && tt.change.Peers == nil && !isEmpty(&cfg) {
				t.Errorf("restore of an unchanged device is not empty: %+v", cfg)
			}
			for _, i := range tt.untouched {
				for _, pc := range cfg.Peers {
					if pc.PublicKey == base.Peers[i].PublicKey {
						t.Errorf("restore touches unchanged peer %d", i)
					}
				}
			}
			// Through the encoder and the kernel model, as Set does it.
			msgs, err := EncodeSet("wg0", cfg, 600, nil)
			if err != nil {
				t.Fatal(err)
			}
			applyAll(t, m, msgs)
			if diff := cmp.Diff(normalize(before), normalize(m.device()), cmpPrefix, cmpAddr); diff != "" {
				t.Errorf("after restore (-before +after):\n%s", diff)
			}
		})
	}
}

func FuzzEncodeSet(f *testing.F) {
	f.Add(uint64(1), uint8(10), uint8(20), uint16(300))
	f.Add(uint64(2), uint8(1), uint8(200), uint16(150))
	f.Add(uint64(3), uint8(0), uint8(0), uint16(0))
	f.Fuzz(func(t *testing.T, seed uint64, peers, ips uint8, size uint16) {
		r := rand.New(rand.NewPCG(seed, seed>>1))
		base := randConfig(r, int(peers%8), int(ips%16))
		change := randConfig(r, int(peers%32), int(ips))
		change.ReplacePeers = seed%2 == 0
		for i := range change.Peers {
			p := &change.Peers[i]
			p.UpdateOnly = r.IntN(4) == 0
			p.ReplaceAllowedIPs = r.IntN(2) == 0
			if len(base.Peers) > 0 && r.IntN(3) == 0 {
				p.PublicKey = base.Peers[r.IntN(len(base.Peers))].PublicKey
				p.Remove = r.IntN(4) == 0
				p.RemoveAllowedIPs = base.Peers[r.IntN(len(base.Peers))].AllowedIPs
			}
		}
		msgs, err := EncodeSet("wg0", change, int(size), nil)
		if err != nil {
			if int(size) >= 256 {
				t.Fatalf("size %d: %v", size, err)
			}
			return
		}
		split, direct := newModel(), newModel()
		direct.applyConfig(base)
		direct.applyConfig(change)
		split.applyConfig(base)
		applyAll(t, split, msgs)
		for i, m := range msgs {
			if len(m)+messageHeaderSize > int(size) {
				t.Fatalf("message %d: %d bytes > %d", i, len(m)+messageHeaderSize, size)
			}
		}
		if diff := cmp.Diff(direct.device(), split.device(), cmpPrefix, cmpAddr); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}
