package core

import (
	"errors"
	"net/netip"
	"reflect"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/wgshim/wgshim/core/conn/conntest"
	"github.com/wgshim/wgshim/core/tun/tuntest"
	"github.com/wgshim/wgshim/core/wgtypes"
)

func newKey(t *testing.T) wgtypes.Key {
	t.Helper()
	k, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func newLoneDevice(t *testing.T) (*Device, *conntest.Network) {
	t.Helper()
	net := conntest.NewNetwork()
	d := NewDevice(tuntest.New(1420), net.NewBind(netip.MustParseAddr("192.0.2.9")), Options{})
	t.Cleanup(func() { d.Close() })
	waitFor(t, "up", d.IsUp)
	return d, net
}

func mustGet(t *testing.T, d *Device) *wgtypes.Device {
	t.Helper()
	dev, err := d.Get()
	if err != nil {
		t.Fatal(err)
	}
	return dev
}

func TestSetSemantics(t *testing.T) {
	d, _ := newLoneDevice(t)
	priv := newKey(t)
	p1, p2, p3 := newKey(t).PublicKey(), newKey(t).PublicKey(), newKey(t).PublicKey()
	port, ka := 51820, uint16(25)
	ep := netip.MustParseAddrPort("[2001:db8::1]:51820")
	psk := newKey(t)
	err := d.Set(wgtypes.Config{
		PrivateKey: &priv, ListenPort: &port,
		Peers: []wgtypes.PeerConfig{
			{PublicKey: p1, Endpoint: &ep, PresharedKey: &psk, PersistentKeepalive: &ka,
				AllowedIPs: []netip.Prefix{pfx("10.0.0.1/32"), pfx("10.1.0.0/16"), pfx("fd00::1/128")}},
			{PublicKey: p2, AllowedIPs: []netip.Prefix{pfx("10.0.0.2/32")}},
			{PublicKey: p3, UpdateOnly: true}, // absent: ignored
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	dev := mustGet(t, d)
	if dev.PrivateKey != priv || dev.PublicKey != priv.PublicKey() || dev.ListenPort != port {
		t.Fatalf("device fields: %+v", dev)
	}
	if len(dev.Peers) != 2 || dev.Peers[0].PublicKey != p1 || dev.Peers[1].PublicKey != p2 {
		t.Fatalf("peers: %+v", dev.Peers)
	}
	got := dev.Peers[0]
	if got.Endpoint != ep || got.PresharedKey != psk || got.PersistentKeepalive != 25 ||
		!reflect.DeepEqual(got.AllowedIPs, []netip.Prefix{pfx("10.0.0.1/32"), pfx("10.1.0.0/16"), pfx("fd00::1/128")}) {
		t.Fatalf("peer 1: %+v", got)
	}

	// Moving a prefix, removing one, replacing a list, update-only.
	err = d.Set(wgtypes.Config{Peers: []wgtypes.PeerConfig{
		{PublicKey: p2, AllowedIPs: []netip.Prefix{pfx("10.1.0.0/16")}, RemoveAllowedIPs: []netip.Prefix{pfx("10.0.0.2/32")}},
		{PublicKey: p1, UpdateOnly: true, ReplaceAllowedIPs: true, AllowedIPs: []netip.Prefix{pfx("10.0.0.7/32")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	dev = mustGet(t, d)
	if want := []netip.Prefix{pfx("10.0.0.7/32")}; !reflect.DeepEqual(dev.Peers[0].AllowedIPs, want) {
		t.Errorf("peer 1 allowed IPs %v, want %v", dev.Peers[0].AllowedIPs, want)
	}
	if want := []netip.Prefix{pfx("10.1.0.0/16")}; !reflect.DeepEqual(dev.Peers[1].AllowedIPs, want) {
		t.Errorf("peer 2 allowed IPs %v, want %v", dev.Peers[1].AllowedIPs, want)
	}

	// Remove, then replace the peer set.
	if err := d.Set(wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: p1, Remove: true}}}); err != nil {
		t.Fatal(err)
	}
	if dev = mustGet(t, d); len(dev.Peers) != 1 || dev.Peers[0].PublicKey != p2 {
		t.Fatalf("after remove: %+v", dev.Peers)
	}
	if err := d.Set(wgtypes.Config{ReplacePeers: true, Peers: []wgtypes.PeerConfig{{PublicKey: p3}}}); err != nil {
		t.Fatal(err)
	}
	if dev = mustGet(t, d); len(dev.Peers) != 1 || dev.Peers[0].PublicKey != p3 {
		t.Fatalf("after replace: %+v", dev.Peers)
	}
	if d.routeTo(netip.MustParseAddr("10.1.2.3")) != nil {
		t.Fatal("a removed peer's route survived")
	}

	// A peer with our own public key is ignored.
	if err := d.Set(wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: priv.PublicKey()}}}); err != nil {
		t.Fatal(err)
	}
	if dev = mustGet(t, d); len(dev.Peers) != 1 {
		t.Fatalf("own key became a peer: %+v", dev.Peers)
	}
	// Setting a private key whose public key is a peer's removes that peer.
	priv3 := newKey(t)
	if err := d.Set(wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: priv3.PublicKey()}}}); err != nil {
		t.Fatal(err)
	}
	if err := d.Set(wgtypes.Config{PrivateKey: &priv3}); err != nil {
		t.Fatal(err)
	}
	for _, p := range mustGet(t, d).Peers {
		if p.PublicKey == priv3.PublicKey() {
			t.Fatal("peer with the new own public key kept")
		}
	}
	// The zero key removes the private key.
	zero := wgtypes.Key{}
	if err := d.Set(wgtypes.Config{PrivateKey: &zero}); err != nil {
		t.Fatal(err)
	}
	if dev = mustGet(t, d); !dev.PrivateKey.IsZero() || !dev.PublicKey.IsZero() {
		t.Fatal("private key not removed")
	}
}

func TestFailedSetChangesNothing(t *testing.T) {
	d, net := newLoneDevice(t)
	priv := newKey(t)
	port := 51820
	peer := newKey(t).PublicKey()
	if err := d.Set(wgtypes.Config{PrivateKey: &priv, ListenPort: &port, Peers: []wgtypes.PeerConfig{{PublicKey: peer, AllowedIPs: []netip.Prefix{pfx("10.0.0.1/32")}}}}); err != nil {
		t.Fatal(err)
	}
	before := mustGet(t, d)

	// Something else takes port 51821.
	blocker := net.NewBind(netip.MustParseAddr("192.0.2.9"))
	if _, _, err := blocker.Open(51821); err != nil {
		t.Fatal(err)
	}
	defer blocker.Close()

	other := newKey(t)
	busy, bad := 51821, 70000
	for _, tc := range []struct {
		name  string
		cfg   wgtypes.Config
		errno syscall.Errno
	}{
		{"port in use", wgtypes.Config{PrivateKey: &other, ListenPort: &busy, ReplacePeers: true}, syscall.EADDRINUSE},
		{"port out of range", wgtypes.Config{ListenPort: &bad, ReplacePeers: true}, syscall.EINVAL},
		{"bad prefix", wgtypes.Config{PrivateKey: &other, Peers: []wgtypes.PeerConfig{
			{PublicKey: newKey(t).PublicKey()},
			{PublicKey: peer, AllowedIPs: []netip.Prefix{{}}},
		}}, syscall.EINVAL},
	} {
		err := d.Set(tc.cfg)
		if !errors.Is(err, tc.errno) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.errno)
		}
		if after := mustGet(t, d); !reflect.DeepEqual(before, after) {
			t.Errorf("%s: state changed:\nbefore %+v\nafter  %+v", tc.name, before, after)
		}
	}
	// The original port still receives.
	if _, _, err := net.NewBind(netip.MustParseAddr("192.0.2.9")).Open(51820); err == nil {
		t.Fatal("listen port 51820 was released by a failed change")
	}
}

func TestPrivateKeyChangeRehandshakes(t *testing.T) {
	tn := newTestNet(t, true)
	tn.handshake(t)
	newPriv := newKey(t)
	if err := tn.a.dev.Set(wgtypes.Config{PrivateKey: &newPriv}); err != nil {
		t.Fatal(err)
	}
	if err := tn.b.dev.Set(wgtypes.Config{ReplacePeers: true, Peers: []wgtypes.PeerConfig{{
		PublicKey: newPriv.PublicKey(), AllowedIPs: []netip.Prefix{pfx("10.0.0.1/32")},
	}}}); err != nil {
		t.Fatal(err)
	}
	// a's old session is unusable for sending: the next packet handshakes
	// with the new identity.
	tn.ping(t, tn.a, tn.b, 1)
	if c := tn.count("1", tn.a); c != 2 {
		t.Fatalf("%d initiations, want a new one after the key change", c)
	}
	tn.ping(t, tn.b, tn.a, 2)
}

func TestListenPortChange(t *testing.T) {
	tn := newTestNet(t, false)
	tn.handshake(t)
	port := 40123
	if err := tn.b.dev.Set(wgtypes.Config{ListenPort: &port}); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, tn.b.dev).ListenPort; got != port {
		t.Fatalf("listen port %d, want %d", got, port)
	}
	// b talks first from its new port; a roams to it.
	tn.ping(t, tn.b, tn.a, 1)
	tn.ping(t, tn.a, tn.b, 2)
}

func TestUpDownChurnLeaksNothing(t *testing.T) {
	base := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		tn := newTestNet(t, false)
		tn.handshake(t)
		for j := 0; j < 10; j++ {
			tn.a.dev.Down()
			if err := tn.a.dev.Up(); err != nil {
				t.Fatal(err)
			}
		}
		// b refuses initiations whose TAI64N (16.7 ms granularity) is
		// not newer than the last; let the clock move past it.
		time.Sleep(20 * time.Millisecond)
		tn.ping(t, tn.a, tn.b, 1)
		tn.a.dev.Close()
		tn.b.dev.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base+2 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines leaked:\n%s", runtime.NumGoroutine()-base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
