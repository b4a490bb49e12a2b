package ifwg

import (
	"errors"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/freebsd/nv"
)

func key(b byte) wgtypes.Key {
	var k wgtypes.Key
	for i := range k {
		k[i] = b + byte(i)
	}
	return k
}

func ptr[T any](v T) *T { return &v }

func pfxs(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, x := range s {
		out = append(out, netip.MustParsePrefix(x))
	}
	return out
}

func newTestLink() (*Link, *fakeKernel) {
	k := &fakeKernel{name: "wg0"}
	return &Link{name: "wg0", k: k}, k
}

func TestLinkSetGet(t *testing.T) {
	l, k := newTestLink()
	priv := key(1)
	cfg := wgtypes.Config{
		PrivateKey:   &priv,
		ListenPort:   ptr(51820),
		FirewallMark: ptr(uint32(0x42)),
		Peers: []wgtypes.PeerConfig{{
			PublicKey:           key(50),
			PresharedKey:        ptr(key(90)),
			Endpoint:            ptr(netip.MustParseAddrPort("192.0.2.1:51820")),
			PersistentKeepalive: ptr(uint16(25)),
			AllowedIPs:          pfxs("10.0.0.2/32", "fd00::2/128"),
		}, {
			PublicKey:  key(60),
			Endpoint:   ptr(netip.MustParseAddrPort("[2001:db8::1%4]:1234")),
			AllowedIPs: pfxs("10.1.0.0/16"),
		}},
	}
	if err := l.Set(cfg); err != nil {
		t.Fatal(err)
	}
	got, err := l.Get()
	if err != nil {
		t.Fatal(err)
	}
	want := &wgtypes.Device{
		Name: "wg0", Type: wgtypes.FreeBSDKernel,
		PrivateKey: priv, PublicKey: priv.PublicKey(),
		ListenPort: 51820, FirewallMark: 0x42,
		Peers: []wgtypes.Peer{{
			PublicKey: key(50), PresharedKey: key(90),
			Endpoint:            netip.MustParseAddrPort("192.0.2.1:51820"),
			PersistentKeepalive: 25,
			AllowedIPs:          pfxs("10.0.0.2/32", "fd00::2/128"),
			ProtocolVersion:     1,
		}, {
			PublicKey:       key(60),
			Endpoint:        netip.MustParseAddrPort("[2001:db8::1%4]:1234"),
			AllowedIPs:      pfxs("10.1.0.0/16"),
			ProtocolVersion: 1,
		}},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
		cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}
	if l.Name() != "wg0" || k.gets != 4 { // 2 for the snapshot, 2 for Get
		t.Errorf("name %q, %d GETs", l.Name(), k.gets)
	}
}

func TestLinkUpdateOnlyAndRemoveAllowedIPs(t *testing.T) {
	l, k := newTestLink()
	if err := l.Set(wgtypes.Config{Peers: []wgtypes.PeerConfig{
		{PublicKey: key(50), AllowedIPs: pfxs("10.0.0.2/32", "10.0.0.3/32", "10.9.0.0/16")},
	}}); err != nil {
		t.Fatal(err)
	}
	err := l.Set(wgtypes.Config{Peers: []wgtypes.PeerConfig{
		{PublicKey: key(50), UpdateOnly: true, RemoveAllowedIPs: pfxs("10.0.0.3/32"), AllowedIPs: pfxs("10.0.0.4/32")},
		{PublicKey: key(70), UpdateOnly: true, AllowedIPs: pfxs("10.7.0.0/16")}, // absent: skipped
	}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := l.Get()
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Peers) != 1 {
		t.Fatalf("UpdateOnly created a peer: %d peers", len(d.Peers))
	}
	if got, want := d.Peers[0].AllowedIPs, pfxs("10.0.0.2/32", "10.9.0.0/16", "10.0.0.4/32"); !slicesEqual(got, want) {
		t.Errorf("allowed IPs %v, want %v", got, want)
	}
	// A Set whose peers are all skipped sends nothing.
	n := len(k.sets)
	if err := l.Set(wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: key(80), UpdateOnly: true}}}); err != nil {
		t.Fatal(err)
	}
	if len(k.sets) != n {
		t.Errorf("empty request sent")
	}
}

func slicesEqual(a, b []netip.Prefix) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLinkSetRollsBack: the kernel applies replace-peers, then fails on
// listen-port (EADDRINUSE), as wgc_set does; Set must put the peers back.
func TestLinkSetRollsBack(t *testing.T) {
	l, k := newTestLink()
	priv := key(1)
	initial := wgtypes.Config{
		PrivateKey: &priv, ListenPort: ptr(1000),
		Peers: []wgtypes.PeerConfig{
			{PublicKey: key(50), Endpoint: ptr(netip.MustParseAddrPort("192.0.2.1:1")), AllowedIPs: pfxs("10.0.0.2/32")},
			{PublicKey: key(60), PresharedKey: ptr(key(9)), AllowedIPs: pfxs("fd00::/64")},
		},
	}
	if err := l.Set(initial); err != nil {
		t.Fatal(err)
	}
	before, _ := l.Get()
	k.failPort = 2000
	err := l.Set(wgtypes.Config{ListenPort: ptr(2000), ReplacePeers: true,
		Peers: []wgtypes.PeerConfig{{PublicKey: key(70)}}})
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.HasPrefix(err.Error(), "set wg0: ") {
		t.Fatalf("Set error %v, want EADDRINUSE", err)
	}
	after, _ := l.Get()
	if diff := cmp.Diff(before, after, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
		cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
		t.Errorf("state not restored (-before +after):\n%s", diff)
	}
	last, _ := nv.Decode(k.sets[len(k.sets)-1])
	if v, _ := last.GetBool(keyReplacePeers); !v {
		t.Error("last request was not the restore")
	}
	// Errors raised before wgc_set changes anything are not followed by a
	// restore.
	n := len(k.sets)
	k.name = "other"
	if err := l.Set(wgtypes.Config{ListenPort: ptr(3)}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing interface: %v", err)
	}
	if len(k.sets) != n {
		t.Error("request sent to a missing interface")
	}
}

func TestLinkErrors(t *testing.T) {
	l, k := newTestLink()
	k.name = "wg1"
	if _, err := l.Get(); !errors.Is(err, os.ErrNotExist) || !errors.Is(err, syscall.ENXIO) {
		t.Errorf("Get on a missing interface: %v", err)
	}
	einval := func(uintptr, *DataIO) error { return syscall.EINVAL }
	l2 := &Link{name: "em0", k: funcKernel(einval)}
	if _, err := l2.Get(); !errors.Is(err, os.ErrNotExist) ||
		err.Error() != "get em0: not a WireGuard interface or does not exist (invalid argument)" {
		t.Errorf("Get on a foreign interface: %v", err)
	}
	eperm := func(req uintptr, io *DataIO) error {
		if req == SIOCSWG {
			return syscall.EPERM
		}
		return (&fakeKernel{name: "wg0"}).ioctl(req, io)
	}
	l3 := &Link{name: "wg0", k: funcKernel(eperm)}
	if err := l3.Set(wgtypes.Config{ListenPort: ptr(1)}); !errors.Is(err, os.ErrPermission) {
		t.Errorf("Set without privilege: %v", err)
	}
	if err := l.Set(wgtypes.Config{PrivateKey: &wgtypes.Key{}}); err == nil {
		t.Error("zero private key accepted")
	}
	k.name = "wg0"
	if err := l.Destroy(); err != nil || !k.destroyed {
		t.Errorf("Destroy: %v", err)
	}
	if err := l.Close(); err != nil || !k.closed {
		t.Errorf("Close: %v", err)
	}
}

const isFreeBSD = runtime.GOOS == "freebsd"

type funcKernel func(uintptr, *DataIO) error

func (f funcKernel) ioctl(req uintptr, io *DataIO) error { return f(req, io) }
func (funcKernel) destroy(string) error                  { return nil }
func (funcKernel) close() error                          { return nil }

func TestDriverOnThisOS(t *testing.T) {
	d := NewDriver()
	if d.Kind() != wgtypes.FreeBSDKernel {
		t.Errorf("Kind = %v", d.Kind())
	}
	if isFreeBSD {
		t.Skip("driver is real here")
	}
	if _, err := d.Open("wg0"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Open: %v", err)
	}
	if _, err := d.Create("wg0"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Create: %v", err)
	}
	if _, err := d.List(); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("List: %v", err)
	}
}
