package windows

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wgshim/wgshim/core/conn/conntest"
	"github.com/wgshim/wgshim/core/tun/tuntest"
	"github.com/wgshim/wgshim/core/wgtypes"
)

// fakeTUN is a channel TUN with a LUID that records Close.
type fakeTUN struct {
	*tuntest.ChannelTUN
	closed chan struct{}
}

func (f *fakeTUN) LUID() uint64 { return 0x1234 }

func (f *fakeTUN) Close() error {
	select {
	case <-f.closed:
	default:
		close(f.closed)
	}
	return f.ChannelTUN.Close()
}

func newFakeTUN() *fakeTUN {
	return &fakeTUN{ChannelTUN: tuntest.New(1420), closed: make(chan struct{})}
}

// unixPipes stands in for the named pipes: one unix socket per name.
type unixPipes struct{ dir string }

func (u unixPipes) listen(name string) func() (net.Listener, error) {
	return func() (net.Listener, error) { return net.Listen("unix", filepath.Join(u.dir, name)) }
}

func (u unixPipes) dial(name string, timeout time.Duration) (net.Conn, error) {
	return net.DialTimeout("unix", filepath.Join(u.dir, name), timeout)
}

func TestDaemonOverUAPI(t *testing.T) {
	pipes := unixPipes{dir: t.TempDir()}
	tn := newFakeTUN()
	d, err := startDaemon("wg0", func() (luidTUN, error) { return tn, nil }, pipes.listen("wg0"),
		conntest.NewNetwork().NewBind(netip.MustParseAddr("192.0.2.1")), nil)
	if err != nil {
		t.Fatalf("startDaemon: %v", err)
	}
	defer d.Close()
	if d.LUID() != 0x1234 {
		t.Errorf("LUID() = %#x", d.LUID())
	}

	drv := &Driver{dial: pipes.dial}
	link, err := drv.Open("wg0")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	priv, _ := wgtypes.GeneratePrivateKey()
	peer, _ := wgtypes.GeneratePrivateKey()
	ep := netip.MustParseAddrPort("198.51.100.7:51820")
	cfg := wgtypes.Config{
		PrivateKey: &priv,
		Peers: []wgtypes.PeerConfig{{
			PublicKey:  peer.PublicKey(),
			Endpoint:   &ep,
			AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.8.0.0/24")},
		}},
	}
	if err := link.Set(cfg); err != nil {
		t.Fatalf("Set: %v", err)
	}
	dev, err := link.Get()
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if dev.Name != "wg0" || dev.Type != wgtypes.Userspace || dev.PublicKey != priv.PublicKey() {
		t.Errorf("Get: name %q type %q public key %s; want wg0, userspace, %s", dev.Name, dev.Type, dev.PublicKey, priv.PublicKey())
	}
	if len(dev.Peers) != 1 || dev.Peers[0].PublicKey != peer.PublicKey() || dev.Peers[0].Endpoint != ep {
		t.Errorf("Get: peers %+v", dev.Peers)
	}
	// The engine in process sees the same state.
	if in, _ := d.Device().Get(); len(in.Peers) != 1 {
		t.Errorf("Device().Get() peers = %d, want 1", len(in.Peers))
	}
	// A bad request changes nothing and reports the errno.
	bad := wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: peer.PublicKey(), AllowedIPs: []netip.Prefix{{}}}}}
	if err := link.Set(bad); err == nil {
		t.Error("Set of an invalid prefix succeeded")
	}

	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-tn.closed:
	default:
		t.Error("Close left the TUN open (the adapter would stay)")
	}
	select {
	case <-d.Done():
	default:
		t.Error("Done not closed after Close")
	}
	if _, err := drv.Open("wg0"); err == nil {
		t.Error("Open after Close succeeded")
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestDaemonStartFailures(t *testing.T) {
	// The pipe cannot be created: the adapter must not outlive the error.
	tn := newFakeTUN()
	_, err := startDaemon("wg0", func() (luidTUN, error) { return tn, nil },
		func() (net.Listener, error) { return nil, errors.New("uapi listen: pipe in use") },
		conntest.NewNetwork().NewBind(netip.MustParseAddr("192.0.2.1")), nil)
	if err == nil || !strings.Contains(err.Error(), "start wg0: uapi listen: pipe in use") {
		t.Fatalf("startDaemon = %v", err)
	}
	select {
	case <-tn.closed:
	case <-time.After(5 * time.Second):
		t.Error("TUN left open after a failed start")
	}

	_, err = startDaemon("wg0", func() (luidTUN, error) { return nil, errors.New("wintun.dll not found") }, nil, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "start wg0: wintun.dll not found") {
		t.Fatalf("startDaemon = %v", err)
	}
}

func TestDriver(t *testing.T) {
	drv := &Driver{
		dial: func(name string, _ time.Duration) (net.Conn, error) {
			return nil, errors.Join(errors.New("no such interface"), os.ErrNotExist)
		},
		list: func() ([]string, error) { return []string{"a", "b"}, nil },
	}
	if _, err := drv.Open("wg9"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open = %v, want os.ErrNotExist", err)
	}
	if _, err := drv.Create("wg9"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Create = %v, want errors.ErrUnsupported", err)
	}
	if names, err := drv.List(); err != nil || len(names) != 2 {
		t.Errorf("List = %v, %v", names, err)
	}
	if drv.Kind() != wgtypes.Userspace {
		t.Errorf("Kind = %v", drv.Kind())
	}

	var removed []string
	drv.uninstall = func(name string) error {
		if name == "fg" {
			return os.ErrNotExist
		}
		removed = append(removed, name)
		return nil
	}
	if err := (&Link{d: drv, name: "svc"}).Destroy(); err != nil || len(removed) != 1 {
		t.Errorf("Destroy of a service tunnel = %v (removed %v)", err, removed)
	}
	if err := (&Link{d: drv, name: "fg"}).Destroy(); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Destroy of a foreground tunnel = %v, want errors.ErrUnsupported", err)
	}
}
