package wg

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// specConf is the example of wg-cli.md §7.
const specConf = `# site A
[Interface]
PrivateKey = uB34nMlTO5lB6hs/X7LIysRkRBqIwxBfKM4IyaUFLEY=
ListenPort = 51820
FwMark = 0x1234            # hex or decimal or "off"

[Peer]                     # site B
PublicKey = P/zhmqcVuvNg92ZOEPLVOyjYeCNA7B9CHvBqwWX3yUQ=
PresharedKey = BzxtCBKK0wLoZKN3c2tNk/3p6HGOUwcpSpPPcLV+qCs=
Endpoint = [2001:db8::7]:51820
AllowedIPs = 10.20.0.0/16, fd20::/64
AllowedIPs = 10.21.0.9/24  # accumulates; warns: non-zero host part
PersistentKeepalive = 25
`

func TestConfCommands(t *testing.T) {
	ep := netip.MustParseAddrPort("[2001:db8::7]:51820")
	specPeer := wgtypes.PeerConfig{
		PublicKey: mustKey(peer1), PresharedKey: ptr(mustKey(psk1)), Endpoint: &ep, PersistentKeepalive: ptr(uint16(25)),
		ReplaceAllowedIPs: true, AllowedIPs: pfxs("10.20.0.0/16", "fd20::/64", "10.21.0.9/24"),
	}
	zero := wgtypes.Key{}
	running := &wgtypes.Device{Peers: []wgtypes.Peer{
		{PublicKey: mustKey(peer2)},
		{PublicKey: mustKey(pubA), PresharedKey: mustKey(psk1), PersistentKeepalive: 5},
		{PublicKey: mustKey(peer1), PresharedKey: mustKey(psk1), PersistentKeepalive: 9},
	}}
	noPSK := "[Peer]\nPublicKey = " + pubA + "\n[Peer]\nPublicKey = " + peer1 + "\nPresharedKey = " + psk1 + "\n"
	tests := []struct {
		name, cmd, text string
		dev             *wgtypes.Device
		want            wgtypes.Config
		wantErr         string
	}{
		{name: "setconf spec", cmd: "setconf", text: specConf, dev: &wgtypes.Device{},
			want: wgtypes.Config{PrivateKey: ptr(mustKey(privA)), ListenPort: ptr(51820), FirewallMark: ptr(uint32(0x1234)), ReplacePeers: true,
				Peers: []wgtypes.PeerConfig{specPeer}}},
		{name: "setconf empty", cmd: "setconf", text: "", dev: &wgtypes.Device{},
			want: wgtypes.Config{PrivateKey: &zero, ListenPort: ptr(0), FirewallMark: ptr(uint32(0)), ReplacePeers: true}},
		{name: "addconf", cmd: "addconf", text: "[peer]\npublickey=" + peer2 + "\n[INTERFACE]\nlistenport=7\n", dev: &wgtypes.Device{},
			want: wgtypes.Config{ListenPort: ptr(7), Peers: []wgtypes.PeerConfig{{PublicKey: mustKey(peer2), ReplaceAllowedIPs: true}}}},
		{name: "syncconf no running peers", cmd: "syncconf", text: "[Peer]\nPublicKey=" + peer2, dev: &wgtypes.Device{},
			want: wgtypes.Config{PrivateKey: &zero, ListenPort: ptr(0), FirewallMark: ptr(uint32(0)), ReplacePeers: true,
				Peers: []wgtypes.PeerConfig{{PublicKey: mustKey(peer2), ReplaceAllowedIPs: true}}}},
		{name: "syncconf no file peers", cmd: "syncconf", text: "[Interface]\nListenPort=1\n", dev: running,
			want: wgtypes.Config{PrivateKey: &zero, ListenPort: ptr(1), FirewallMark: ptr(uint32(0)), ReplacePeers: true}},
		{
			// peer2 is removed; pubA loses its PSK and keepalive; peer1
			// keeps its PSK (given) but loses its keepalive.
			name: "syncconf diff", cmd: "syncconf", text: noPSK, dev: running,
			want: wgtypes.Config{PrivateKey: &zero, ListenPort: ptr(0), FirewallMark: ptr(uint32(0)),
				Peers: []wgtypes.PeerConfig{
					{PublicKey: mustKey(peer2), Remove: true},
					{PublicKey: mustKey(pubA), ReplaceAllowedIPs: true, PresharedKey: &zero, PersistentKeepalive: ptr(uint16(0))},
					{PublicKey: mustKey(peer1), ReplaceAllowedIPs: true, PresharedKey: ptr(mustKey(psk1)), PersistentKeepalive: ptr(uint16(0))},
				}},
		},
		{name: "unrecognized", cmd: "setconf", text: "[Interface]\nAddress = 10.0.0.1/24\n", wantErr: "Line unrecognized: `Address=10.0.0.1/24'\nConfiguration parsing error\n"},
		{name: "outside section", cmd: "setconf", text: "PrivateKey = " + privA, wantErr: "Line unrecognized: `PrivateKey=" + privA + "'\nConfiguration parsing error\n"},
		{name: "empty value", cmd: "setconf", text: "[Interface]\nListenPort=", wantErr: "Line unrecognized: `ListenPort='\nConfiguration parsing error\n"},
		{name: "peer key in interface", cmd: "addconf", text: "[Interface]\nPublicKey=" + peer1, wantErr: "Line unrecognized: `PublicKey=" + peer1 + "'\nConfiguration parsing error\n"},
		{name: "missing key", cmd: "setconf", text: "[Peer]\n[Peer]\nPublicKey=" + peer1, wantErr: "A peer is missing a public key\nInvalid configuration\n"},
		{name: "bad key", cmd: "setconf", text: "[Peer]\nPublicKey=abc", wantErr: "Key is not the correct length or format: `abc'\nConfiguration parsing error\n"},
		{name: "nul", cmd: "setconf", text: "[Peer]\nPublicKey=" + peer1 + "\x00garbage\n", dev: &wgtypes.Device{},
			want: wgtypes.Config{PrivateKey: &zero, ListenPort: ptr(0), FirewallMark: ptr(uint32(0)), ReplacePeers: true,
				Peers: []wgtypes.PeerConfig{{PublicKey: mustKey(peer1), ReplaceAllowedIPs: true}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := backend(map[string]*wgtypes.Device{"wg0": tt.dev})
			if tt.dev == nil {
				b = backend(nil)
			}
			_, errOut, code := run{args: []string{tt.cmd, "wg0", writeTemp(t, tt.text)}}.do(b)
			if tt.wantErr != "" {
				if errOut != tt.wantErr || code != 1 || len(b.sets) != 0 {
					t.Errorf("stderr %q code %d sets %d; want %q", errOut, code, len(b.sets), tt.wantErr)
				}
				return
			}
			if code != 0 || len(b.sets) != 1 {
				t.Fatalf("code %d, stderr %q, %d sets", code, errOut, len(b.sets))
			}
			if diff := cmp.Diff(tt.want, b.sets[0].cfg, cfgOpts...); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfErrors(t *testing.T) {
	b := backend(nil)
	_, errOut, code := run{args: []string{"setconf", "wg0", "/nonexistent"}}.do(b)
	if errOut != "fopen: No such file or directory\n" || code != 1 {
		t.Errorf("got %q %d", errOut, code)
	}
	f := writeTemp(t, "[Peer]\nPublicKey="+peer1)
	_, errOut, code = run{args: []string{"setconf", "wg0", f}}.do(b)
	if errOut != "Unable to modify interface: No such device\n" || code != 1 {
		t.Errorf("got %q %d", errOut, code)
	}
	_, errOut, code = run{args: []string{"syncconf", "wg0", f}}.do(b)
	if errOut != "Unable to retrieve current interface configuration: No such device\n" || code != 1 {
		t.Errorf("got %q %d", errOut, code)
	}
}

func TestGenkeyPubkey(t *testing.T) {
	rnd := bytes.Repeat([]byte{0xff}, 32)
	out, _, code := run{args: []string{"genkey"}, rand: bytes.NewReader(rnd)}.do(backend(nil))
	k := wgtypes.Key{}
	copy(k[:], rnd)
	if out != k.Clamped().String()+"\n" || code != 0 {
		t.Errorf("genkey = %q", out)
	}
	if out, _, _ := (run{args: []string{"genpsk"}, rand: bytes.NewReader(rnd)}).do(backend(nil)); out != k.String()+"\n" {
		t.Errorf("genpsk = %q", out)
	}
	if _, errOut, code := (run{args: []string{"genkey"}, rand: bytes.NewReader(nil)}).do(backend(nil)); code != 1 || !strings.HasPrefix(errOut, "getrandom: ") {
		t.Errorf("short rand: %q %d", errOut, code)
	}
	// A world-readable regular file gets a warning; a private one does not.
	for _, mode := range []os.FileMode{0o644, 0o600} {
		p := filepath.Join(t.TempDir(), "key")
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, mode)
		if err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		_, errOut, _ := run{args: []string{"genkey"}, out: f}.do(backend(nil))
		f.Close()
		warn := errOut == "Warning: writing to world accessible file.\nConsider setting the umask to 077 and trying again.\n"
		if warn != (mode&0o007 != 0) || !warn && errOut != "" {
			t.Errorf("mode %o: stderr %q", mode, errOut)
		}
		data, _ := os.ReadFile(p)
		if _, ok := keyFromBase64(strings.TrimSuffix(string(data), "\n")); !ok {
			t.Errorf("mode %o: wrote %q", mode, data)
		}
	}
	for _, tc := range []struct{ in, out, err string }{
		{privA, pubA + "\n", ""},
		{privA + "\n \t\x00\r\n", pubA + "\n", ""},
		{privA + "\nx", "", "wg: Trailing characters found after key\n"},
		{privA[:43], "", "wg: Key is not the correct length or format\n"},
		{privA[:42] + "F=", "", "wg: Key is not the correct length or format\n"}, // stray low bits
		{privA[:10] + "\n" + privA[11:], "", "wg: Key is not the correct length or format\n"},
		{"", "", "wg: Key is not the correct length or format\n"},
	} {
		out, errOut, _ := run{args: []string{"pubkey"}, stdin: tc.in}.do(backend(nil))
		if out != tc.out || errOut != tc.err {
			t.Errorf("pubkey %q = %q, %q; want %q, %q", tc.in, out, errOut, tc.out, tc.err)
		}
	}
}

func TestStrerror(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fs.ErrNotExist, "No such device"},
		{fs.ErrPermission, "Operation not permitted"},
		{errors.ErrUnsupported, "Operation not supported"},
		{errors.New("other"), "other"},
	} {
		if got := strerror(tc.err); got != tc.want {
			t.Errorf("strerror(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// FuzzParseConf feeds arbitrary files to the parser: it must not panic,
// must fail only with wg's messages, and what it accepts must survive
// showconf and a second parse.
func FuzzParseConf(f *testing.F) {
	f.Add([]byte(specConf))
	f.Add([]byte("[Interface]\nListenPort = domain\nFwMark = off\n[Peer]\nPublicKey=" + peer1 + "\nAllowedIPs=+10.0.0.1,-::1/0\nEndpoint=1.2.3.4:5\n"))
	f.Add([]byte("[peer]\npublickey=" + peer2 + "\x00\npersistentkeepalive=OFF\nendpoint=[fe80::1%lo]:1\n"))
	f.Add([]byte("#\n[Interface]\r\n\v\fPrivateKey=" + privA + "#x\nAllowedIPs=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &cmd{env: Env{LookupEnv: func(string) (string, bool) { return "0", true }, Sleep: func(time.Duration) {},
			LookupHost: func(context.Context, string) ([]netip.Addr, error) { return nil, errors.New("offline") },
			LookupPort: func(context.Context, string) (int, error) { return 0, errors.New("offline") }},
			err: &bytes.Buffer{}}
		cf, err := c.parseConf(bytes.NewReader(data), true)
		if err != nil {
			var pe parseError
			var ee exitError
			if !errors.As(err, &pe) && !errors.As(err, &ee) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if cf.finish() != nil {
			return
		}
		cfg := cf.config()
		// Build the device the configuration describes (one section per
		// key, additions only) and print it as showconf would.
		dev := &wgtypes.Device{PrivateKey: *cfg.PrivateKey, ListenPort: *cfg.ListenPort, FirewallMark: *cfg.FirewallMark}
		seen := map[wgtypes.Key]bool{}
		for _, pc := range cfg.Peers {
			if seen[pc.PublicKey] || len(pc.RemoveAllowedIPs) > 0 {
				return
			}
			seen[pc.PublicKey] = true
			p := wgtypes.Peer{PublicKey: pc.PublicKey}
			if pc.PresharedKey != nil {
				p.PresharedKey = *pc.PresharedKey
			}
			if pc.Endpoint != nil {
				p.Endpoint = *pc.Endpoint
			}
			if pc.PersistentKeepalive != nil {
				p.PersistentKeepalive = *pc.PersistentKeepalive
			}
			for _, a := range pc.AllowedIPs {
				p.AllowedIPs = append(p.AllowedIPs, a.Masked())
			}
			dev.Peers = append(dev.Peers, p)
		}
		var text bytes.Buffer
		writeConf(&text, newDevice("x", dev))
		cf2, err := c.parseConf(&text, true)
		if err != nil {
			t.Fatalf("showconf output does not parse: %v\n%s", err, text.String())
		}
		cfg2 := cf2.config()
		for i := range cfg2.Peers {
			cfg2.Peers[i].AllowedIPs = masked(cfg2.Peers[i].AllowedIPs)
			cfg.Peers[i].AllowedIPs = masked(cfg.Peers[i].AllowedIPs)
			// showconf leaves out what is zero or absent.
			if cfg.Peers[i].PresharedKey != nil && cfg.Peers[i].PresharedKey.IsZero() {
				cfg.Peers[i].PresharedKey = nil
			}
			if cfg.Peers[i].PersistentKeepalive != nil && *cfg.Peers[i].PersistentKeepalive == 0 {
				cfg.Peers[i].PersistentKeepalive = nil
			}
			cfg.Peers[i].ReplaceAllowedIPs = true
		}
		if diff := cmp.Diff(cfg, cfg2, cfgOpts...); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s\n%s", diff, text.String())
		}
	})
}

func masked(ps []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	seen := map[netip.Prefix]bool{}
	for _, p := range ps {
		if m := p.Masked(); !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

func BenchmarkParseConf(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("[Interface]\nPrivateKey = " + privA + "\nListenPort = 51820\n")
	for range 100 {
		sb.WriteString("[Peer]\nPublicKey = " + peer1 + "\nAllowedIPs = 10.0.0.0/24, fd00::/64\nEndpoint = 192.0.2.1:51820\n")
	}
	data := []byte(sb.String())
	c := &cmd{env: Env{LookupEnv: func(string) (string, bool) { return "", false }}, err: &bytes.Buffer{}}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := c.parseConf(bytes.NewReader(data), true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkShowDump(b *testing.B) {
	dev := specDevice()
	for range 200 {
		dev.Peers = append(dev.Peers, dev.Peers[1])
	}
	be := backend(map[string]*wgtypes.Device{"wg0": dev})
	b.ReportAllocs()
	for b.Loop() {
		run{args: []string{"show", "wg0", "dump"}}.do(be)
	}
}
