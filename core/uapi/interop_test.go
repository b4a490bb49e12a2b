package uapi

import (
	"bufio"
	"bytes"
	"cmp"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/wgshim/wgshim/core/wgtypes"
	wgconn "golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/tuntest"
)

// Interoperability with wireguard-go's own UAPI implementation (test-only
// dependency): what it prints parses to what it was told, what WriteSet
// writes it accepts, and it classifies bad requests with the same errnos.

func newWireguardGo(t *testing.T) *device.Device {
	t.Helper()
	d := device.NewDevice(tuntest.NewChannelTUN().TUN(), wgconn.NewDefaultBind(), device.NewLogger(device.LogLevelSilent, ""))
	t.Cleanup(d.Close)
	return d
}

// freeUDPPort returns a port that was free a moment ago.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// ipcGet reads wireguard-go's state through ParseGet, with peers and
// allowed IPs sorted (wireguard-go walks a map and a trie).
func ipcGet(t *testing.T, d *device.Device) *wgtypes.Device {
	t.Helper()
	text, err := d.IpcGet()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseGet(bufio.NewReader(strings.NewReader(text + "errno=0\n\n")))
	if err != nil {
		t.Fatalf("ParseGet of wireguard-go's %q: %v", text, err)
	}
	sortDevice(got)
	return got
}

func sortDevice(d *wgtypes.Device) {
	slices.SortFunc(d.Peers, func(a, b wgtypes.Peer) int { return bytes.Compare(a.PublicKey[:], b.PublicKey[:]) })
	for i := range d.Peers {
		slices.SortFunc(d.Peers[i].AllowedIPs, func(a, b netip.Prefix) int {
			return cmp.Or(a.Addr().Compare(b.Addr()), cmp.Compare(a.Bits(), b.Bits()))
		})
	}
}

func TestInteropIpcGetParses(t *testing.T) {
	wg := newWireguardGo(t)
	port := freeUDPPort(t)
	// Written by hand, not by WriteSet, so the two directions are tested
	// independently.
	conf := "private_key=" + hexPriv + "\n" +
		"listen_port=" + strconv.Itoa(port) + "\n" +
		"fwmark=0\n" +
		"public_key=" + hexPub + "\n" +
		"preshared_key=" + hexPSK + "\n" +
		"endpoint=[2001:db8::1%lo]:51820\n" +
		"persistent_keepalive_interval=25\n" +
		"allowed_ip=10.0.0.2/32\n" +
		"allowed_ip=fd00::1:2/64\n" +
		"public_key=" + hexPub2 + "\n" +
		"endpoint=192.0.2.1:1\n" +
		"allowed_ip=0.0.0.0/0\n"
	if err := wg.IpcSet(conf); err != nil {
		t.Fatal(err)
	}
	priv := hexKey(t, hexPriv)
	want := &wgtypes.Device{
		Type: wgtypes.Userspace, PrivateKey: priv.Clamped(), PublicKey: priv.PublicKey(), ListenPort: port,
		Peers: []wgtypes.Peer{
			{PublicKey: hexKey(t, hexPub), PresharedKey: hexKey(t, hexPSK), ProtocolVersion: 1,
				Endpoint: netip.MustParseAddrPort("[2001:db8::1%lo]:51820"), PersistentKeepalive: 25,
				AllowedIPs: pfxs("10.0.0.2/32", "fd00::/64")},
			{PublicKey: hexKey(t, hexPub2), ProtocolVersion: 1,
				Endpoint: netip.MustParseAddrPort("192.0.2.1:1"), AllowedIPs: pfxs("0.0.0.0/0")},
		},
	}
	sortDevice(want)
	got := ipcGet(t, wg)
	// Counters and handshake times are live; nothing should have happened,
	// but keep the comparison about configuration.
	for i := range got.Peers {
		got.Peers[i].TransmitBytes, got.Peers[i].ReceiveBytes, got.Peers[i].LastHandshakeTime = 0, 0, time.Time{}
	}
	if diff := gocmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("ParseGet(wireguard-go IpcGet) (-want +got):\n%s", diff)
	}
}

func TestInteropWriteSetAccepted(t *testing.T) {
	wg := newWireguardGo(t)
	port := freeUDPPort(t)
	priv := hexKey(t, hexPriv)
	pub, pub2, pub3 := hexKey(t, hexPub), hexKey(t, hexPub2), hexKey(t, hexPSK)
	steps := []struct {
		name string
		cfg  wgtypes.Config
		want []wgtypes.Peer // with ProtocolVersion 1 filled in below
	}{
		{
			name: "setconf-like",
			cfg: wgtypes.Config{
				PrivateKey: &priv, ListenPort: &port, FirewallMark: ptr(uint32(0)), ReplacePeers: true,
				Peers: []wgtypes.PeerConfig{
					{PublicKey: pub, PresharedKey: keyPtr(t, hexPSK), Endpoint: ptr(netip.MustParseAddrPort("[::1]:51820")),
						PersistentKeepalive: ptr(uint16(25)), ReplaceAllowedIPs: true, AllowedIPs: pfxs("10.0.0.3/32", "fd00::2/128", "10.9.0.0/16")},
					{PublicKey: pub2, ReplaceAllowedIPs: true, AllowedIPs: pfxs("10.1.0.0/16")},
				},
			},
			want: []wgtypes.Peer{
				{PublicKey: pub, PresharedKey: hexKey(t, hexPSK), Endpoint: netip.MustParseAddrPort("[::1]:51820"),
					PersistentKeepalive: 25, AllowedIPs: pfxs("10.0.0.3/32", "fd00::2/128", "10.9.0.0/16")},
				{PublicKey: pub2, AllowedIPs: pfxs("10.1.0.0/16")},
			},
		},
		{
			name: "incremental",
			cfg: wgtypes.Config{Peers: []wgtypes.PeerConfig{
				// wg set ... allowed-ips +10.2.0.0/16,-fd00::2 (and a moved prefix)
				{PublicKey: pub, PresharedKey: &wgtypes.Key{}, PersistentKeepalive: ptr(uint16(0)),
					RemoveAllowedIPs: pfxs("fd00::2/128"), AllowedIPs: pfxs("10.2.0.0/16", "10.1.0.0/16")},
				{PublicKey: pub2, Remove: true},
				{PublicKey: pub3, UpdateOnly: true, AllowedIPs: pfxs("10.3.0.0/16")}, // absent: not created
			}},
			want: []wgtypes.Peer{
				{PublicKey: pub, Endpoint: netip.MustParseAddrPort("[::1]:51820"),
					AllowedIPs: pfxs("10.0.0.3/32", "10.9.0.0/16", "10.2.0.0/16", "10.1.0.0/16")},
			},
		},
	}
	for _, step := range steps {
		var b bytes.Buffer
		if err := WriteSet(&b, step.cfg); err != nil {
			t.Fatal(err)
		}
		if err := wg.IpcSet(b.String()); err != nil {
			t.Fatalf("%s: wireguard-go rejected %q: %v", step.name, b.String(), err)
		}
		want := &wgtypes.Device{Type: wgtypes.Userspace, PrivateKey: priv.Clamped(), PublicKey: priv.PublicKey(), ListenPort: port, Peers: step.want}
		for i := range want.Peers {
			want.Peers[i].ProtocolVersion = 1
		}
		sortDevice(want)
		got := ipcGet(t, wg)
		for i := range got.Peers {
			got.Peers[i].TransmitBytes, got.Peers[i].ReceiveBytes, got.Peers[i].LastHandshakeTime = 0, 0, time.Time{}
		}
		if diff := gocmp.Diff(want, got, cmpOpts...); diff != "" {
			t.Errorf("%s: wireguard-go state after %q (-want +got):\n%s", step.name, b.String(), diff)
		}
	}
}

// TestInteropErrnos sends the same bad set requests to wireguard-go's
// IpcHandle and to Serve and expects the same first reply.
func TestInteropErrnos(t *testing.T) {
	peer := "public_key=" + hexPub + "\n"
	reqs := []string{
		"listen_port\n",
		"listen-port=1\n",
		"listen_port=65536\n",
		"fwmark=-1\n",
		"private_key=00\n",
		"replace_peers=false\n",
		"public_key=zz\n",
		peer + "listen_port=1\n",
		peer + "remove=1\n",
		peer + "update_only=false\n",
		peer + "preshared_key=" + hexPub[:62] + "\n",
		peer + "endpoint=example.com:1\n",
		peer + "endpoint=::1:1\n",
		peer + "persistent_keepalive_interval=65536\n",
		peer + "replace_allowed_ips=false\n",
		peer + "allowed_ip=10.0.0.0/33\n",
		peer + "allowed_ip=-10.0.0.1\n",
		peer + "protocol_version=2\n",
		peer + "allowed_ip\n",
		peer + "allowed_ip=10.0.0.0/8\n", // valid: errno=0
	}
	reply := func(serve func(net.Conn), req string) string {
		c, s := net.Pipe()
		defer c.Close()
		go serve(s)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		go c.Write([]byte("set=1\n" + req + "\n"))
		r := bufio.NewReader(c)
		l1, _ := r.ReadString('\n')
		l2, _ := r.ReadString('\n')
		return l1 + l2
	}
	for _, req := range reqs {
		wg := newWireguardGo(t)
		want := reply(wg.IpcHandle, req)
		got := reply(func(c net.Conn) { Serve(c, &fakeHandler{}) }, req)
		if got != want {
			t.Errorf("request %q: we reply %q, wireguard-go %q", req, got, want)
		}
	}
}
