package config

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// Test keys from protocol.md §14 / wg-cli.md.
const (
	privA = "uB34nMlTO5lB6hs/X7LIysRkRBqIwxBfKM4IyaUFLEY="
	pubB  = "P/zhmqcVuvNg92ZOEPLVOyjYeCNA7B9CHvBqwWX3yUQ="
	pubC  = "XXmq5PyeOkyPfRrB/nUcqHlKgQZ+4wjIxXgqrc5CxW4="
	psk   = "BzxtCBKK0wLoZKN3c2tNk/3p6HGOUwcpSpPPcLV+qCs="
)

func mustKey(t testing.TB, s string) wgtypes.Key {
	t.Helper()
	k, err := wgtypes.ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type wgKey = wgtypes.Key

var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// keyCase is one key in both formats with the same expected section. The
// value sits on line 2 (INI) and line 2 (TOML) of its section.
type keyCase struct {
	name string
	ini  string // one line under the header
	toml string // one line under the header
	want func(p func(key string) Pos) any
}

func TestInterfaceKeys(t *testing.T) {
	kA := mustKey(t, privA)
	tests := []keyCase{
		{"PrivateKey", "PrivateKey = " + privA, `PrivateKey = "` + privA + `"`,
			func(p func(string) Pos) any { return Interface{PrivateKey: &Value[wgtypes.Key]{kA, p("PrivateKey")}} }},
		{"PrivateKeyFile", "PrivateKeyFile = /etc/wireguard/wg0.key", `PrivateKeyFile = "/etc/wireguard/wg0.key"`,
			func(p func(string) Pos) any {
				return Interface{PrivateKeyFile: &Value[string]{"/etc/wireguard/wg0.key", p("PrivateKeyFile")}}
			}},
		{"ListenPort", "listenport=51820", "ListenPort = 51820",
			func(p func(string) Pos) any { return Interface{ListenPort: &Value[uint16]{51820, p("ListenPort")}} }},
		{"ListenPort string", "ListenPort = 0", `ListenPort = "0"`,
			func(p func(string) Pos) any { return Interface{ListenPort: &Value[uint16]{0, p("ListenPort")}} }},
		{"FwMark hex", "FwMark = 0xca6c", "FwMark = 0xca6c",
			func(p func(string) Pos) any { return Interface{FwMark: &Value[uint32]{0xca6c, p("FwMark")}} }},
		{"FwMark off", "FWMARK = Off", `FwMark = "off"`,
			func(p func(string) Pos) any { return Interface{FwMark: &Value[uint32]{0, p("FwMark")}} }},
		{"FwMark decimal", "FwMark = 4294967295", `FwMark = "4294967295"`,
			func(p func(string) Pos) any { return Interface{FwMark: &Value[uint32]{0xffffffff, p("FwMark")}} }},
		{"Address list", "Address = 10.0.0.1/24,fd00::1/64  10.1.0.1", `Address = ["10.0.0.1/24", "fd00::1/64", "10.1.0.1"]`,
			func(p func(string) Pos) any {
				return Interface{Address: []Value[netip.Prefix]{
					{pfx("10.0.0.1/24"), p("Address")}, {pfx("fd00::1/64"), p("Address")}, {pfx("10.1.0.1/32"), p("Address")}}}
			}},
		{"Address string in toml", "Address = 10.0.0.1/24", `Address = "10.0.0.1/24"`,
			func(p func(string) Pos) any {
				return Interface{Address: []Value[netip.Prefix]{{pfx("10.0.0.1/24"), p("Address")}}}
			}},
		{"DNS servers and domains", "DNS = 1.1.1.1, 2606:4700::1111 example.com,lan", `DNS = ["1.1.1.1", "2606:4700::1111", "example.com", "lan"]`,
			func(p func(string) Pos) any {
				return Interface{
					DNS:       []Value[netip.Addr]{{netip.MustParseAddr("1.1.1.1"), p("DNS")}, {netip.MustParseAddr("2606:4700::1111"), p("DNS")}},
					DNSSearch: []Value[string]{{"example.com", p("DNS")}, {"lan", p("DNS")}},
				}
			}},
		{"MTU", "MTU = 1420", "MTU = 1420",
			func(p func(string) Pos) any { return Interface{MTU: &Value[int]{1420, p("MTU")}} }},
		{"MTU empty is auto", "MTU =", `MTU = ""`,
			func(p func(string) Pos) any { return Interface{} }},
		{"Table off", "Table = off", `Table = "off"`,
			func(p func(string) Pos) any {
				return Interface{Table: &Value[Table]{Table{Mode: TableOff}, p("Table")}}
			}},
		{"Table auto", "Table = AUTO", `Table = "auto"`,
			func(p func(string) Pos) any {
				return Interface{Table: &Value[Table]{Table{Mode: TableAuto}, p("Table")}}
			}},
		{"Table number", "Table = 51820", "Table = 51820",
			func(p func(string) Pos) any {
				return Interface{Table: &Value[Table]{Table{Mode: TableNumber, ID: 51820}, p("Table")}}
			}},
		{"Table name", "Table = main", `Table = "main"`,
			func(p func(string) Pos) any {
				return Interface{Table: &Value[Table]{Table{Mode: TableName, Name: "main"}, p("Table")}}
			}},
		{"PreUp", "PreUp = echo a=b # kept", `PreUp = "echo a=b # kept"`,
			func(p func(string) Pos) any {
				return Interface{PreUp: []Value[string]{{"echo a=b # kept", p("PreUp")}}}
			}},
		{"PostUp", "postup=  iptables -A FORWARD -i %i -j ACCEPT  ", `PostUp = ["iptables -A FORWARD -i %i -j ACCEPT"]`,
			func(p func(string) Pos) any {
				return Interface{PostUp: []Value[string]{{"iptables -A FORWARD -i %i -j ACCEPT", p("PostUp")}}}
			}},
		{"PreDown", "PreDown = a, b", `PreDown = "a, b"`,
			func(p func(string) Pos) any { return Interface{PreDown: []Value[string]{{"a, b", p("PreDown")}}} }},
		{"PostDown", "PostDown = true", `PostDown = ["true"]`,
			func(p func(string) Pos) any { return Interface{PostDown: []Value[string]{{"true", p("PostDown")}}} }},
		{"SaveConfig", "SaveConfig = True", "SaveConfig = true",
			func(p func(string) Pos) any { return Interface{SaveConfig: &Value[bool]{true, p("SaveConfig")}} }},
		{"SaveConfig false", "SaveConfig = false", "SaveConfig = false",
			func(p func(string) Pos) any { return Interface{SaveConfig: &Value[bool]{false, p("SaveConfig")}} }},
		{"KillSwitch", "killswitch = TRUE", `KillSwitch = "true"`,
			func(p func(string) Pos) any { return Interface{KillSwitch: &Value[bool]{true, p("KillSwitch")}} }},
	}
	for _, tt := range tests {
		for _, f := range []struct {
			name, file, src string
		}{
			{"ini", "wg0.conf", "[Interface]\n" + tt.ini + "\n"},
			{"toml", "wg0.toml", "[Interface]\n" + tt.toml + "\n"},
		} {
			t.Run(tt.name+"/"+f.name, func(t *testing.T) {
				c, err := Parse(f.file, []byte(f.src))
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				want := tt.want(func(key string) Pos { return Pos{File: f.file, Line: 2, Key: key} }).(Interface)
				want.Pos = Pos{File: f.file, Line: 1}
				if diff := cmp.Diff(want, c.Interface, cmpOpts); diff != "" {
					t.Errorf("Interface (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestPeerKeys(t *testing.T) {
	kB, kC, kP := mustKey(t, pubB), mustKey(t, pubC), mustKey(t, psk)
	_ = kC
	tests := []keyCase{
		{"PresharedKey", "PresharedKey = " + psk, `PresharedKey = "` + psk + `"`,
			func(p func(string) Pos) any { return Peer{PresharedKey: &Value[wgtypes.Key]{kP, p("PresharedKey")}} }},
		{"PresharedKeyFile", "PresharedKeyFile = psk/b.psk", `PresharedKeyFile = "psk/b.psk"`,
			func(p func(string) Pos) any {
				return Peer{PresharedKeyFile: &Value[string]{"psk/b.psk", p("PresharedKeyFile")}}
			}},
		{"AllowedIPs", "Allowed IPs = 10.0.0.0/8, fd00::/8,192.168.1.7", `AllowedIPs = ["10.0.0.0/8", "fd00::/8", "192.168.1.7"]`,
			func(p func(string) Pos) any {
				return Peer{AllowedIPs: []Value[netip.Prefix]{
					{pfx("10.0.0.0/8"), p("AllowedIPs")}, {pfx("fd00::/8"), p("AllowedIPs")}, {pfx("192.168.1.7/32"), p("AllowedIPs")}}}
			}},
		{"AllowedIPs host bits kept", "AllowedIPs = 10.21.0.9/24", `AllowedIPs = "10.21.0.9/24"`,
			func(p func(string) Pos) any {
				return Peer{AllowedIPs: []Value[netip.Prefix]{{pfx("10.21.0.9/24"), p("AllowedIPs")}}}
			}},
		{"Endpoint name", "Endpoint = vpn.example.com:51820", `Endpoint = "vpn.example.com:51820"`,
			func(p func(string) Pos) any {
				return Peer{Endpoint: &Value[string]{"vpn.example.com:51820", p("Endpoint")}}
			}},
		{"Endpoint v6", "Endpoint = [2001:db8::7]:51820", `Endpoint = "[2001:db8::7]:51820"`,
			func(p func(string) Pos) any {
				return Peer{Endpoint: &Value[string]{"[2001:db8::7]:51820", p("Endpoint")}}
			}},
		{"PersistentKeepalive", "PersistentKeepalive = 25", "PersistentKeepalive = 25",
			func(p func(string) Pos) any {
				return Peer{PersistentKeepalive: &Value[uint16]{25, p("PersistentKeepalive")}}
			}},
		{"PersistentKeepalive off", "PersistentKeepalive = OFF", `PersistentKeepalive = "off"`,
			func(p func(string) Pos) any {
				return Peer{PersistentKeepalive: &Value[uint16]{0, p("PersistentKeepalive")}}
			}},
	}
	for _, tt := range tests {
		for _, f := range []struct {
			name, file, src string
		}{
			{"ini", "wg0.conf", "[Peer]\n" + tt.ini + "\nPublicKey = " + pubB + "\n"},
			{"toml", "wg0.toml", "[[Peer]]\n" + tt.toml + "\nPublicKey = \"" + pubB + "\"\n"},
		} {
			t.Run(tt.name+"/"+f.name, func(t *testing.T) {
				c, err := Parse(f.file, []byte(f.src))
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				p := func(key string) Pos { return Pos{File: f.file, Line: 2, Key: key} }
				want := tt.want(p).(Peer)
				want.Pos = Pos{File: f.file, Line: 1}
				want.PublicKey = &Value[wgtypes.Key]{kB, Pos{File: f.file, Line: 3, Key: "PublicKey"}}
				if len(c.Peers) != 1 {
					t.Fatalf("got %d peers, want 1", len(c.Peers))
				}
				if diff := cmp.Diff(want, c.Peers[0], cmpOpts); diff != "" {
					t.Errorf("Peer (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestParseValues(t *testing.T) {
	lookupPort = func(name string) (int, error) {
		if name == "domain" {
			return 53, nil
		}
		return 0, errServiceUnknown
	}
	t.Cleanup(func() { lookupPort = defaultLookupPort })
	ports := []struct {
		in      string
		want    uint16
		wantErr string
	}{
		{"51820", 51820, ""}, {"0", 0, ""}, {"00080", 80, ""}, {"domain", 53, ""},
		{"65536", 0, `"65536" is not a valid port (0-65535)`},
		{"-1", 0, `"-1" is not a valid port (0-65535 or a known service name)`},
		{"a b", 0, `"a b" is not a valid port (0-65535 or a service name)`},
		{"nosuch", 0, `"nosuch" is not a valid port (0-65535 or a known service name)`},
	}
	for _, tt := range ports {
		got, err := parsePort(tt.in)
		if errString(err) != tt.wantErr || got != tt.want {
			t.Errorf("parsePort(%q) = %d, %v; want %d, %q", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	marks := []struct {
		in   string
		want uint32
		ok   bool
	}{
		{"off", 0, true}, {"OFF", 0, true}, {"0", 0, true}, {"1234", 1234, true}, {"0x10", 16, true},
		{"0xFFFFFFFF", 0xffffffff, true}, {"0x100000000", 0, false}, {"0X10", 0, false}, {"x10", 0, false},
		{"0x", 0, false}, {"", 0, false}, {"1e3", 0, false}, {"0x+5", 0, false}, {"4294967296", 0, false},
	}
	for _, tt := range marks {
		got, err := parseFwMark(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseFwMark(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	prefixes := []struct {
		in   string
		want string // "" = error
	}{
		{"10.0.0.1/24", "10.0.0.1/24"}, {"10.0.0.1", "10.0.0.1/32"}, {"fd00::1", "fd00::1/128"},
		{"::ffff:1.2.3.4/96", "::ffff:1.2.3.4/96"}, {"10.0.0.0/024", "10.0.0.0/24"},
		{"10.0.0.300/32", ""}, {"10.0.0.1/33", ""}, {"fd00::/129", ""}, {"10.0.0.1/", ""},
		{"10.0.0.1/+8", ""}, {"fe80::1%eth0/64", ""}, {"010.0.0.1/8", ""}, {"", ""}, {"example.com/8", ""},
	}
	for _, tt := range prefixes {
		got, err := parsePrefix(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("parsePrefix(%q) = %v, want error", tt.in, got)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("parsePrefix(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	endpoints := []struct {
		in, host, port, wantErr string
	}{
		{"1.2.3.4:51820", "1.2.3.4", "51820", ""},
		{"[2001:db8::1]:51820", "2001:db8::1", "51820", ""},
		{"fd00::1:51820", "fd00::1", "51820", ""}, // wg(8) splits at the last ':'
		{"vpn.example.com:wireguard", "vpn.example.com", "wireguard", ""},
		{"[fe80::1%eth0]:1", "fe80::1%eth0", "1", ""},
		{"", "", "", "empty endpoint"},
		{"1.2.3.4", "", "", `"1.2.3.4": endpoint has no port`},
		{"1.2.3.4:", "", "", `"1.2.3.4:": endpoint has no port`},
		{"[::1:51820", "", "", `"[::1:51820": no matching ']' in endpoint`},
		{"[::1]51820", "", "", `"[::1]51820": endpoint has no port`},
		{":51820", "", "", `":51820": endpoint has no host`},
		{"h:0", "", "", `"h:0": endpoint port must be 1-65535`},
		{"h:65536", "", "", `"h:65536": endpoint port must be 1-65535`},
		{"h:p*rt", "", "", `"h:p*rt": endpoint port is neither a number nor a service name`},
	}
	for _, tt := range endpoints {
		h, p, err := SplitEndpoint(tt.in)
		if errString(err) != tt.wantErr || h != tt.host || p != tt.port {
			t.Errorf("SplitEndpoint(%q) = %q, %q, %v; want %q, %q, %q", tt.in, h, p, err, tt.host, tt.port, tt.wantErr)
		}
	}
	tables := []struct {
		in   string
		want Table
		ok   bool
	}{
		{"auto", Table{Mode: TableAuto}, true}, {"Off", Table{Mode: TableOff}, true},
		{"0", Table{Mode: TableNumber}, true}, {"4294967295", Table{Mode: TableNumber, ID: 4294967295}, true},
		{"4294967296", Table{}, false}, {"vpn_1.x-y", Table{Mode: TableName, Name: "vpn_1.x-y"}, true},
		{"my table", Table{}, false}, {"tab/le", Table{}, false},
	}
	for _, tt := range tables {
		got, err := parseTable(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseTable(%q) = %+v, %v; want %+v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok && got.String() != strings.ToLower(tt.in) && got.Mode != TableName {
			t.Errorf("Table(%q).String() = %q", tt.in, got.String())
		}
	}
}

var errServiceUnknown = errors.New("unknown service")

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"Tabel", "Table", 1}, {"table", "table", 0}, {"", "abc", 3}, {"Endpiont", "Endpoint", 1},
		{"AllowedIP", "AllowedIPs", 1}, {"kitten", "sitting", 3},
	} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
