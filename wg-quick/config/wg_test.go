package config

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/core/wgtypes"
)

func TestWGConfig(t *testing.T) {
	src := `[Interface]
PrivateKey = ` + privA + `
ListenPort = 51820
FwMark = off
Address = 10.0.0.1/24
DNS = 10.0.0.53

[Peer]
PublicKey = ` + pubB + `
PresharedKey = ` + psk + `
AllowedIPs = 10.21.0.9/24, fd00::1/64
Endpoint = vpn.example.com:wireguard
PersistentKeepalive = 25

[Peer]
PublicKey = ` + pubC + `
Endpoint = [2001:db8::7]:51820
`
	c, err := ParseINI("wg0.conf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	r := ResolverFunc(func(_ context.Context, host, port string) (netip.AddrPort, error) {
		asked = append(asked, host+" "+port)
		return netip.MustParseAddrPort("192.0.2.1:51820"), nil
	})
	got, err := c.WGConfig(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	priv, pk, port, mark, ka := mustKey(t, privA), mustKey(t, psk), 51820, uint32(0), uint16(25)
	ep1, ep2 := netip.MustParseAddrPort("192.0.2.1:51820"), netip.MustParseAddrPort("[2001:db8::7]:51820")
	want := wgtypes.Config{
		PrivateKey: &priv, ListenPort: &port, FirewallMark: &mark,
		Peers: []wgtypes.PeerConfig{
			{PublicKey: mustKey(t, pubB), PresharedKey: &pk, Endpoint: &ep1, PersistentKeepalive: &ka,
				ReplaceAllowedIPs: true, AllowedIPs: []netip.Prefix{pfx("10.21.0.0/24"), pfx("fd00::/64")}},
			{PublicKey: mustKey(t, pubC), Endpoint: &ep2, ReplaceAllowedIPs: true},
		},
	}
	if diff := cmp.Diff(want, got, cmpOpts, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
		t.Errorf("WGConfig (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"vpn.example.com wireguard"}, asked); diff != "" {
		t.Errorf("resolver calls (-want +got):\n%s", diff)
	}
}

func TestWGConfigErrors(t *testing.T) {
	src := `[Interface]
PrivateKeyFile = wg0.key

[Peer]
PublicKey = ` + pubB + `
Endpoint = a.example:51820

[Peer]
PublicKey = ` + pubC + `
PresharedKeyFile = c.psk
Endpoint = b.example:51820
`
	c, err := ParseINI("wg0.conf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r := ResolverFunc(func(_ context.Context, host, port string) (netip.AddrPort, error) {
		return netip.AddrPort{}, errors.New("no such host")
	})
	_, err = c.WGConfig(context.Background(), r)
	want := `wg0.conf:2: [Interface]: PrivateKeyFile: "wg0.key": key file not loaded (call LoadKeyFiles)
wg0.conf:6: peer 1: Endpoint: resolve "a.example:51820": no such host
wg0.conf:10: peer 2: PresharedKeyFile: "c.psk": key file not loaded (call LoadKeyFiles)
wg0.conf:11: peer 2: Endpoint: resolve "b.example:51820": no such host`
	if errString(err) != want {
		t.Errorf("WGConfig error:\n%v\nwant:\n%s", err, want)
	}
	if !errors.Is(err, ErrKeyFileNotLoaded) {
		t.Error("errors.Is(err, ErrKeyFileNotLoaded) = false")
	}
	_, err = c.WGConfig(context.Background(), nil)
	if err == nil {
		t.Error("nil resolver with host names succeeded")
	}
}

func TestLoadKeyFiles(t *testing.T) {
	src := "[Interface]\nPrivateKeyFile = keys/a.key\n[Peer]\nPublicKey = " + pubB + "\nPresharedKeyFile = /abs/b.psk\n" +
		"[Peer]\nPublicKey = " + pubC + "\nPresharedKeyFile = bad.psk\n"
	c, err := ParseINI("/etc/wireguard/wg0.conf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var read []string
	files := map[string]string{
		"/etc/wireguard/keys/a.key": privA + " \n\t",
		"/abs/b.psk":                "",
		"/etc/wireguard/bad.psk":    psk + "x",
	}
	err = c.LoadKeyFiles(func(p string) ([]byte, error) {
		read = append(read, p)
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	})
	want := `/etc/wireguard/wg0.conf:8: peer 2: PresharedKeyFile: key file /etc/wireguard/bad.psk: found trailing character in key file: 'x'`
	if errString(err) != want {
		t.Errorf("LoadKeyFiles = %v\nwant %s", err, want)
	}
	if c.Interface.PrivateKey == nil || c.Interface.PrivateKey.V != mustKey(t, privA) || c.Interface.PrivateKey.Pos.Line != 2 {
		t.Errorf("private key not loaded: %+v", c.Interface.PrivateKey)
	}
	if c.Peers[0].PresharedKey == nil || !c.Peers[0].PresharedKey.V.IsZero() {
		t.Errorf("empty psk file should give the zero key: %+v", c.Peers[0].PresharedKey)
	}
	if c.Peers[1].PresharedKey != nil {
		t.Errorf("bad psk file loaded: %+v", c.Peers[1].PresharedKey)
	}
	if diff := cmp.Diff([]string{"/etc/wireguard/keys/a.key", "/abs/b.psk", "/etc/wireguard/bad.psk"}, read); diff != "" {
		t.Errorf("files read (-want +got):\n%s", diff)
	}
}

func TestParseKeyFile(t *testing.T) {
	for _, tt := range []struct {
		in      string
		wantErr string
	}{
		{privA, ""}, {privA + "\n", ""}, {"", ""},
		{privA[:40], "invalid length key in key file"},
		{privA + "\nX", "found trailing character in key file: 'X'"},
		{"!" + privA[1:], `key "!B34…": not valid base64`},
	} {
		_, err := parseKeyFile([]byte(tt.in))
		if errString(err) != tt.wantErr {
			t.Errorf("parseKeyFile(%q) = %v, want %q", tt.in, err, tt.wantErr)
		}
	}
}
