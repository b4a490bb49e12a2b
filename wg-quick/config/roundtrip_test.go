package config

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/recipes/*.toml golden files")

func readRecipe(t *testing.T, name string) *Config {
	t.Helper()
	path := filepath.Join("testdata", "recipes", name)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(path, src)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return c
}

func writeINI(t testing.TB, c *Config) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteINI(&b, c); err != nil {
		t.Fatalf("WriteINI: %v", err)
	}
	return b.Bytes()
}

func writeTOML(t testing.TB, c *Config) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteTOML(&b, c); err != nil {
		t.Fatalf("WriteTOML: %v", err)
	}
	return b.Bytes()
}

// TestRecipes parses every real-world recipe, checks what each is about,
// and round-trips it INI -> INI and INI -> TOML -> INI. The TOML output is
// compared with a golden file (go test -update rewrites them).
func TestRecipes(t *testing.T) {
	checks := map[string]func(t *testing.T, c *Config){
		"full-tunnel.conf": func(t *testing.T, c *Config) {
			p := c.Peers[0]
			if got := joinPrefixes(p.AllowedIPs, " "); got != "0.0.0.0/0 ::/0" {
				t.Errorf("AllowedIPs = %s", got)
			}
			if c.Interface.Table != nil || len(c.Interface.DNS) != 2 || p.PresharedKey == nil || p.PersistentKeepalive.V != 25 {
				t.Errorf("interface %+v peer %+v", c.Interface, p)
			}
		},
		"table-off.conf": func(t *testing.T, c *Config) {
			if c.Interface.Table.V.Mode != TableOff || c.Interface.PostUp[0].V != "ip route add 10.10.0.0/16 dev %i metric 50" {
				t.Errorf("Table %+v PostUp %+v", c.Interface.Table, c.Interface.PostUp)
			}
		},
		"custom-table.conf": func(t *testing.T, c *Config) {
			if c.Interface.Table.V != (Table{Mode: TableNumber, ID: 1234}) || c.Interface.FwMark.V != 1234 || len(c.Interface.PostDown) != 1 {
				t.Errorf("Table %+v FwMark %+v", c.Interface.Table, c.Interface.FwMark)
			}
		},
		"several-addresses.conf": func(t *testing.T, c *Config) {
			if got := joinPrefixes(c.Interface.Address, " "); got != "10.0.0.1/24 10.0.1.1/24 192.168.77.1/24 fd00:77::1/64 172.16.0.1/32" {
				t.Errorf("Address = %s", got)
			}
			if got := joinPrefixes(c.Peers[0].AllowedIPs, " "); got != "10.0.0.2/32 10.0.1.0/24" {
				t.Errorf("AllowedIPs = %s", got)
			}
			if len(c.Peers) != 2 || c.Interface.MTU.V != 1380 || c.Interface.Address[4].Pos.Line != 6 {
				t.Errorf("peers %d MTU %+v", len(c.Peers), c.Interface.MTU)
			}
		},
		"hooks.conf": func(t *testing.T, c *Config) {
			i := c.Interface
			if len(i.PostUp) != 2 || i.PostUp[1].V != `logger -t wg "up %i" # this comment is part of the hook` ||
				i.PreUp[0].V != "sysctl -w net.ipv4.ip_forward=1" || !i.SaveConfig.V || i.PostUp[1].Pos.Line != 9 {
				t.Errorf("hooks %+v %+v", i.PreUp, i.PostUp)
			}
		},
		"dns-search.conf": func(t *testing.T, c *Config) {
			i := c.Interface
			var dns, search []string
			for _, d := range i.DNS {
				dns = append(dns, d.V.String())
			}
			for _, d := range i.DNSSearch {
				search = append(search, d.V)
			}
			if diff := cmp.Diff([]string{"10.7.0.1", "2001:db8:7::1"}, dns); diff != "" {
				t.Errorf("DNS (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"corp.example.com", "lab.example.com"}, search); diff != "" {
				t.Errorf("search (-want +got):\n%s", diff)
			}
		},
		"crlf.conf": func(t *testing.T, c *Config) {
			if c.Interface.PostUp[0].V != "echo up %i" || c.Peers[0].Endpoint.V != "203.0.113.3:51820" || c.Peers[0].PersistentKeepalive.V != 15 {
				t.Errorf("CR left in values: %q %q", c.Interface.PostUp[0].V, c.Peers[0].Endpoint.V)
			}
		},
		"ipv6.conf": func(t *testing.T, c *Config) {
			if c.Interface.Address[0].V != netip.MustParsePrefix("2001:db8:100::1/64") || c.Peers[0].PersistentKeepalive.V != 0 {
				t.Errorf("Address %v", c.Interface.Address)
			}
		},
		"key-files.conf": func(t *testing.T, c *Config) {
			if c.Interface.PrivateKeyFile.V != "keys/wg0.key" || c.Interface.PrivateKey != nil ||
				c.Peers[0].PresharedKeyFile.V != "/etc/wireguard/psk/site-b.psk" {
				t.Errorf("key files %+v", c.Interface)
			}
		},
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "recipes", "*.conf"))
	if len(files) != len(checks) {
		t.Errorf("%d recipes, %d checks", len(files), len(checks))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			c := readRecipe(t, name)
			check, ok := checks[name]
			if !ok {
				t.Fatalf("no check for %s", name)
			}
			check(t, c)

			ini := writeINI(t, c)
			c2, err := ParseINI("out.conf", ini)
			if err != nil {
				t.Fatalf("re-parse INI: %v\n%s", err, ini)
			}
			if !c.Equal(c2) {
				t.Errorf("INI round trip changed the config:\n%s", ini)
			}

			tml := writeTOML(t, c)
			c3, err := ParseTOML("out.toml", tml)
			if err != nil {
				t.Fatalf("parse TOML: %v\n%s", err, tml)
			}
			if !c.Equal(c3) {
				t.Errorf("INI -> TOML changed the config:\n%s", tml)
			}
			c4, err := ParseINI("back.conf", writeINI(t, c3))
			if err != nil || !c.Equal(c4) {
				t.Errorf("INI -> TOML -> INI changed the config (%v)", err)
			}

			golden := strings.TrimSuffix(f, ".conf") + ".toml"
			if *update {
				if err := os.WriteFile(golden, tml, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if diff := cmp.Diff(string(want), string(tml)); diff != "" {
				t.Errorf("TOML output differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

func TestWriteINILayout(t *testing.T) {
	c := readRecipe(t, "hooks.conf")
	c.Interface.DNS = []Value[netip.Addr]{{V: netip.MustParseAddr("10.66.0.1")}}
	c.Interface.DNSSearch = []Value[string]{{V: "vpn.lan"}}
	c.Interface.MTU = &Value[int]{V: 1420}
	c.Interface.Table = &Value[Table]{V: Table{Mode: TableName, Name: "main"}}
	c.Interface.FwMark = &Value[uint32]{V: 0xca6c}
	c.Peers[0].Endpoint = &Value[string]{V: "[2001:db8::7]:51820"}
	c.Peers[0].AllowedIPs = append(c.Peers[0].AllowedIPs, Value[netip.Prefix]{V: netip.MustParsePrefix("fd00::2/128")})
	c.Peers = append(c.Peers, Peer{PublicKey: &Value[wgKey]{V: mustKey(t, pubC)}, PersistentKeepalive: &Value[uint16]{V: 0}})
	want := `[Interface]
Address = 10.66.0.1/24
DNS = 10.66.0.1
DNS = vpn.lan
MTU = 1420
Table = main
SaveConfig = true
PreUp = sysctl -w net.ipv4.ip_forward=1
PostUp = iptables -A FORWARD -i %i -j ACCEPT; iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE
PostUp = logger -t wg "up %i" # this comment is part of the hook
PreDown = wg showconf %i > /var/lib/wg/%i.last
PostDown = iptables -D FORWARD -i %i -j ACCEPT; iptables -t nat -D POSTROUTING -o eth0 -j MASQUERADE
ListenPort = 51820
FwMark = 0xca6c
PrivateKey = ` + privA + `

[Peer]
PublicKey = ` + pubB + `
AllowedIPs = 10.66.0.2/32, fd00::2/128
Endpoint = [2001:db8::7]:51820

[Peer]
PublicKey = ` + pubC + `
PersistentKeepalive = 0
`
	if diff := cmp.Diff(want, string(writeINI(t, c))); diff != "" {
		t.Errorf("WriteINI (-want +got):\n%s", diff)
	}

	var strip bytes.Buffer
	if err := WriteStrip(&strip, c); err != nil {
		t.Fatal(err)
	}
	wantStrip := `[Interface]
ListenPort = 51820
FwMark = 0xca6c
PrivateKey = ` + privA + `

[Peer]
PublicKey = ` + pubB + `
AllowedIPs = 10.66.0.2/32, fd00::2/128
Endpoint = [2001:db8::7]:51820

[Peer]
PublicKey = ` + pubC + `
PersistentKeepalive = 0
`
	if diff := cmp.Diff(wantStrip, strip.String()); diff != "" {
		t.Errorf("WriteStrip (-want +got):\n%s", diff)
	}
}

func TestStripNeedsLoadedKeys(t *testing.T) {
	c := readRecipe(t, "key-files.conf")
	var b bytes.Buffer
	err := WriteStrip(&b, c)
	want := `strip: testdata/recipes/key-files.conf:3: PrivateKeyFile "keys/wg0.key" is not loaded (LoadKeyFiles)`
	if errString(err) != want {
		t.Fatalf("WriteStrip = %v, want %s", err, want)
	}
	files := map[string]string{
		"testdata/recipes/keys/wg0.key": privA + "\n",
		"/etc/wireguard/psk/site-b.psk": psk,
	}
	if err := c.LoadKeyFiles(func(p string) ([]byte, error) {
		if s, ok := files[filepath.ToSlash(p)]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}); err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := WriteStrip(&b, c); err != nil {
		t.Fatal(err)
	}
	wantStrip := "[Interface]\nListenPort = 51820\nPrivateKey = " + privA + "\n\n[Peer]\nPublicKey = " + pubB +
		"\nPresharedKey = " + psk + "\nAllowedIPs = 10.1.0.2/32\n"
	if diff := cmp.Diff(wantStrip, b.String()); diff != "" {
		t.Errorf("WriteStrip (-want +got):\n%s", diff)
	}
	// The full formats keep pointing at the files: no secret leaks into them.
	if s := string(writeINI(t, c)) + string(writeTOML(t, c)); strings.Contains(s, privA) || strings.Contains(s, psk) {
		t.Errorf("a loaded key leaked into the written config:\n%s", s)
	}
}

func TestConvert(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "recipes", "hooks.conf"))
	if err != nil {
		t.Fatal(err)
	}
	tml, err := Convert("hooks.conf", src, INI, TOML)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Convert("hooks.toml", tml, TOML, INI)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := ParseINI("a.conf", src)
	b, err := ParseINI("b.conf", back)
	if err != nil || !a.Equal(b) {
		t.Fatalf("Convert round trip differs (%v):\n%s", err, back)
	}
	if strings.Contains(string(back), "# NAT gateway") {
		t.Errorf("comments are documented as lost, but survived")
	}
	if _, err := Convert("bad.conf", []byte("[Interface]\nMTU = x\n"), INI, TOML); errString(err) != `bad.conf:2: [Interface]: MTU: "x" is not a valid MTU (68-65535)` {
		t.Errorf("Convert error = %v", err)
	}
}

func TestWriteRefusesUnreadableValues(t *testing.T) {
	for _, c := range []*Config{
		{Interface: Interface{PostUp: []Value[string]{{V: "a\nb"}}}},
		{Interface: Interface{PostUp: []Value[string]{{V: " padded"}}}},
		{Interface: Interface{DNSSearch: []Value[string]{{V: "1.2.3.4"}}}},
		{Interface: Interface{PrivateKeyFile: &Value[string]{V: "a#b"}}},
		{Interface: Interface{Table: &Value[Table]{V: Table{Mode: TableName, Name: "off"}}}},
		{Peers: []Peer{{}}},
		{Peers: []Peer{{PublicKey: &Value[wgKey]{}, Endpoint: &Value[string]{V: "nope"}}}},
	} {
		var b bytes.Buffer
		if err := WriteINI(&b, c); err == nil {
			t.Errorf("WriteINI(%+v) succeeded:\n%s", c, b.String())
		}
		if err := WriteTOML(&b, c); err == nil {
			t.Errorf("WriteTOML(%+v) succeeded", c)
		}
	}
}

func TestEqualIgnoresPositions(t *testing.T) {
	a, err := ParseINI("a.conf", []byte("[Interface]\nMTU = 1400\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseTOML("b.toml", []byte("\n\n[Interface]\nMTU = 1400\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !a.Equal(b) {
		t.Error("same settings at other lines are not Equal")
	}
	b.Interface.MTU.V = 1401
	if a.Equal(b) {
		t.Error("different MTU is Equal")
	}
	if (&Config{}).Equal(nil) || !(*Config)(nil).Equal(nil) {
		t.Error("nil handling")
	}
}
