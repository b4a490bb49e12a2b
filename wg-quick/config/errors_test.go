package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseINIErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // every error, in order
	}{
		{"typo with suggestion", "[Interface]\nTabel = off\n",
			[]string{`wg0.conf:2: [Interface]: unknown key "Tabel" (did you mean "Table"?)`}},
		{"bad prefix", "[Peer]\nPublicKey = " + pubB + "\n[Peer]\nPublicKey = " + pubC + "\nAllowedIPs = 10.0.0.300/32\n",
			[]string{`wg0.conf:5: peer 2: AllowedIPs: "10.0.0.300/32" is not a valid prefix`}},
		{"all errors reported", strings.Join([]string{
			"ListenPort = 1",                 // 1
			"[Interface]",                    // 2
			"PrivateKey = nope",              // 3
			"ListenPort = 70000",             // 4
			"FwMark = 0X10",                  // 5
			"Address = 10.0.0.1/24, 10.0.0.", // 6
			"DNS = 1.2.3",                    // 7
			"MTU = 9",                        // 8
			"Table = my table",               // 9
			"SaveConfig = yes",               // 10
			"PublicKey = " + pubB,            // 11
			"[Peer]",                         // 12
			"Endpoint = 1.2.3.4",             // 13
			"PersistentKeepalive = 70000",    // 14
			"AllowedIPs = 10.0.0.0/8,",       // 15
			"AllowedIPs = +10.1.0.0/16",      // 16
			"Address = 10.0.0.2/32",          // 17
			"Endpiont = 1.2.3.4:5",           // 18
			"just some words",                // 19
			"[Peers]",                        // 20
			"Whatever = 1",                   // 21
		}, "\n"), []string{
			`wg0.conf:1: key "ListenPort" is outside of a section; add [Interface] or [Peer] above it`,
			`wg0.conf:3: [Interface]: PrivateKey: key "nope": key must be 32 bytes (44 base64 characters)`,
			`wg0.conf:4: [Interface]: ListenPort: "70000" is not a valid port (0-65535)`,
			`wg0.conf:5: [Interface]: FwMark: "0X10" is neither 0/off nor 0-0xffffffff`,
			`wg0.conf:6: [Interface]: Address: "10.0.0." is not a valid prefix`,
			`wg0.conf:7: [Interface]: DNS: "1.2.3" is not a valid IP address for a name server`,
			`wg0.conf:8: [Interface]: MTU: "9" is not a valid MTU (68-65535)`,
			`wg0.conf:9: [Interface]: Table: "my table" is not a valid table (auto, off, a number or a name of letters, digits, '_', '-', '.')`,
			`wg0.conf:10: [Interface]: SaveConfig: "yes" is neither true nor false`,
			`wg0.conf:11: [Interface]: unknown key "PublicKey": it belongs in [Peer]`,
			`wg0.conf:12: peer 1: missing PublicKey`,
			`wg0.conf:13: peer 1: Endpoint: "1.2.3.4": endpoint has no port`,
			`wg0.conf:14: peer 1: PersistentKeepalive: "70000" is neither 0/off nor 1-65535`,
			`wg0.conf:15: peer 1: AllowedIPs: "" is not a valid prefix`,
			`wg0.conf:16: peer 1: AllowedIPs: "+10.1.0.0/16": incremental changes (+/-) are only supported by "wg set", not in configuration files`,
			`wg0.conf:17: peer 1: unknown key "Address": it belongs in [Interface]`,
			`wg0.conf:18: peer 1: unknown key "Endpiont" (did you mean "Endpoint"?)`,
			`wg0.conf:19: peer 1: "just some words" is not a "Key = value" line`,
			`wg0.conf:20: unknown section "[Peers]" (did you mean "[Peer]"?)`,
		}},
		{"empty wg value", "[Peer]\nPublicKey = " + pubB + "\nAllowedIPs =\n",
			[]string{`wg0.conf:3: peer 1: AllowedIPs: empty value`}},
		{"both key sources", "[Interface]\nPrivateKey = " + privA + "\nPrivateKeyFile = k\n",
			[]string{`wg0.conf:3: [Interface]: PrivateKey and PrivateKeyFile are mutually exclusive; keep one`}},
		{"both psk sources", "[Peer]\nPublicKey = " + pubB + "\nPresharedKeyFile = k\nPresharedKey = " + psk + "\n",
			[]string{`wg0.conf:4: peer 1: PresharedKey and PresharedKeyFile are mutually exclusive; keep one`}},
		{"unknown key no suggestion", "[Interface]\nColour = blue\n",
			[]string{`wg0.conf:2: [Interface]: unknown key "Colour"`}},
		{"unknown section", "[Foo]\nBar = 1\n[Interface]\nMTU = 1400\n",
			[]string{`wg0.conf:1: unknown section "[Foo]"; only [Interface] and [Peer] exist`}},
		{"invalid utf-8", "[Interface]\nPostUp = echo \xff\n",
			[]string{`wg0.conf:2: [Interface]: line is not valid UTF-8 text`}},
		{"no key", "[Interface]\n = 1.2.3.4\n",
			[]string{`wg0.conf:2: [Interface]: missing key before '='`}},
		{"empty SaveConfig", "[Interface]\nSaveConfig =\n",
			[]string{`wg0.conf:2: [Interface]: SaveConfig: "" is neither true nor false`}},
		{"KillSwitch on", "[Interface]\nKillSwitch = on\n",
			[]string{`wg0.conf:2: [Interface]: KillSwitch: "on" is neither true nor false`}},
		{"empty key file", "[Interface]\nPrivateKeyFile =\n",
			[]string{`wg0.conf:2: [Interface]: PrivateKeyFile: empty path`}},
		{"missing public key at header", "[Interface]\n\n[Peer]\nAllowedIPs = 10.0.0.0/8\n",
			[]string{`wg0.conf:3: peer 1: missing PublicKey`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseINI("wg0.conf", []byte(tt.in))
			if err == nil {
				t.Fatalf("ParseINI succeeded (%+v), want errors", c)
			}
			var list Errors
			if !errors.As(err, &list) {
				t.Fatalf("error %T is not Errors", err)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if err.Error() != strings.Join(tt.want, "\n") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestParseTOMLErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"syntax", "[Interface]\nMTU = = 1\n",
			[]string{`wg0.toml:2: invalid TOML: expected value but found '=' instead`}},
		{"typo and case", "[Interface]\nTabel = \"off\"\nprivatekey = \"x\"\n",
			[]string{
				`wg0.toml:2: [Interface]: unknown key "Tabel" (did you mean "Table"?)`,
				`wg0.toml:3: [Interface]: unknown key "privatekey" (did you mean "PrivateKey"?)`,
			}},
		{"semantic errors located per peer", strings.Join([]string{
			`[Interface]`,                    // 1
			`MTU = 1.5`,                      // 2
			`Address = ["10.0.0.1/24", 7]`,   // 3
			`SaveConfig = "maybe"`,           // 4
			`PostUp = ["a\nb"]`,              // 5
			``,                               // 6
			`[[Peer]]`,                       // 7
			`PublicKey = "` + pubB + `"`,     // 8
			`AllowedIPs = [`,                 // 9
			`  "10.0.0.0/8",`,                // 10
			`]`,                              // 11
			``,                               // 12
			`[[Peer]]`,                       // 13
			`PublicKey = "` + pubC + `"`,     // 14
			`PresharedKeyFile = """`,         // 15
			`x`,                              // 16
			`AllowedIPs = "bad"`,             // 17
			`"""`,                            // 18
			`AllowedIPs = ["10.0.0.300/32"]`, // 19
			`Endpoint = "host#1:5"`,          // 20
			`PersistentKeepalive = true`,     // 21
			`ListenPort = 1`,                 // 22
			``,                               // 23
			`[[Peer]]`,                       // 24
			`AllowedIPs = {a = 1}`,           // 25
			``,                               // 26
			`[Extra]`,                        // 27
		}, "\n"), []string{
			`wg0.toml:2: [Interface]: MTU: must be a string or an integer, not a float`,
			`wg0.toml:3: [Interface]: Address: array items must be strings, not an integer`,
			`wg0.toml:4: [Interface]: SaveConfig: "maybe" is neither true nor false`,
			`wg0.toml:5: [Interface]: PostUp: "a\nb": line breaks and NUL bytes are not allowed`,
			`wg0.toml:15: peer 2: PresharedKeyFile: "x\nAllowedIPs = \"bad\"": line breaks and NUL bytes are not allowed`,
			`wg0.toml:19: peer 2: AllowedIPs: "10.0.0.300/32" is not a valid prefix`,
			`wg0.toml:20: peer 2: Endpoint: "host#1:5": '#' starts a comment in INI files and is not allowed here`,
			`wg0.toml:21: peer 2: PersistentKeepalive: must be a string or an integer, not a boolean`,
			`wg0.toml:22: peer 2: unknown key "ListenPort": it belongs in [Interface]`,
			`wg0.toml:24: peer 3: missing PublicKey`,
			`wg0.toml:25: peer 3: AllowedIPs: must be an array of strings, not a table`,
			`wg0.toml:27: unknown key "Extra"; the top level holds only [Interface] and [[Peer]]`,
		}},
		{"interface as array", "[[Interface]]\nMTU = 1400\n",
			[]string{`wg0.toml:1: Interface must be a table ([Interface]), not an array`}},
		{"top-level typo", "[Peers]\n",
			[]string{`wg0.toml:1: unknown key "Peers" (did you mean "Peer"?)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTOML("wg0.toml", []byte(tt.in))
			var list Errors
			if !errors.As(err, &list) {
				t.Fatalf("error %v (%T) is not Errors", err, err)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnknownKeyIsMatchable(t *testing.T) {
	_, err := ParseINI("wg0.conf", []byte("[Interface]\nMTUU = 1\n"))
	if !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("errors.Is(%v, ErrUnknownKey) = false", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Pos.Line != 2 || e.Section != "[Interface]" {
		t.Fatalf("errors.As gave %+v", e)
	}
}
