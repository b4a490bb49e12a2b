package wg

import (
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// Keys and outputs from spec wg-cli.md (verified there against the real wg).
const (
	privA = "uB34nMlTO5lB6hs/X7LIysRkRBqIwxBfKM4IyaUFLEY="
	pubA  = "O0GTXPmMfWJxx05r2xMdPuLBW1BFg6OKzFFqrXznnQw="
	peer1 = "P/zhmqcVuvNg92ZOEPLVOyjYeCNA7B9CHvBqwWX3yUQ="
	psk1  = "BzxtCBKK0wLoZKN3c2tNk/3p6HGOUwcpSpPPcLV+qCs="
	peer2 = "XXmq5PyeOkyPfRrB/nUcqHlKgQZ+4wjIxXgqrc5CxW4="
)

func mustKey(s string) wgtypes.Key {
	k, err := wgtypes.ParseKey(s)
	if err != nil {
		panic(err)
	}
	return k
}

func pfxs(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, x := range s {
		out = append(out, netip.MustParsePrefix(x))
	}
	return out
}

const hs = 1795302903

var specNow = time.Unix(hs+63, 0)

// specDevice is the device of wg-cli.md §2.1 and §2.3.
func specDevice() *wgtypes.Device {
	return &wgtypes.Device{
		PrivateKey: mustKey(privA), PublicKey: mustKey(pubA), ListenPort: 51820, FirewallMark: 0xca6c,
		Peers: []wgtypes.Peer{
			{PublicKey: mustKey(peer2)},
			{
				PublicKey: mustKey(peer1), PresharedKey: mustKey(psk1),
				Endpoint:            netip.MustParseAddrPort("[2001:db8::1]:51820"),
				PersistentKeepalive: 25, LastHandshakeTime: time.Unix(hs, 0),
				ReceiveBytes: 1262, TransmitBytes: 4781506,
				AllowedIPs: pfxs("10.0.0.2/32", "fd00::2/128"),
			},
		},
	}
}

func backend(devs map[string]*wgtypes.Device, names ...string) *fakeBackend {
	return &fakeBackend{names: names, devs: devs, getErr: map[string]error{}}
}

const specPretty = `interface: wgtest
  public key: O0GTXPmMfWJxx05r2xMdPuLBW1BFg6OKzFFqrXznnQw=
  private key: (hidden)
  listening port: 51820
  fwmark: 0xca6c

peer: P/zhmqcVuvNg92ZOEPLVOyjYeCNA7B9CHvBqwWX3yUQ=
  preshared key: (hidden)
  endpoint: [2001:db8::1]:51820
  allowed ips: 10.0.0.2/32, fd00::2/128
  latest handshake: 1 minute, 3 seconds ago
  transfer: 1.23 KiB received, 4.56 MiB sent
  persistent keepalive: every 25 seconds

peer: XXmq5PyeOkyPfRrB/nUcqHlKgQZ+4wjIxXgqrc5CxW4=
  allowed ips: (none)
`

const specDump = privA + "\t" + pubA + "\t51820\t0xca6c\n" +
	peer2 + "\t(none)\t(none)\t(none)\t0\t0\t0\toff\n" +
	peer1 + "\t" + psk1 + "\t[2001:db8::1]:51820\t10.0.0.2/32,fd00::2/128\t1795302903\t1262\t4781506\t25\n"

const specShowconf = `[Interface]
ListenPort = 51820
FwMark = 0xca6c
PrivateKey = uB34nMlTO5lB6hs/X7LIysRkRBqIwxBfKM4IyaUFLEY=

[Peer]
PublicKey = XXmq5PyeOkyPfRrB/nUcqHlKgQZ+4wjIxXgqrc5CxW4=

[Peer]
PublicKey = P/zhmqcVuvNg92ZOEPLVOyjYeCNA7B9CHvBqwWX3yUQ=
PresharedKey = BzxtCBKK0wLoZKN3c2tNk/3p6HGOUwcpSpPPcLV+qCs=
AllowedIPs = 10.0.0.2/32, fd00::2/128
Endpoint = [2001:db8::1]:51820
PersistentKeepalive = 25
`

// colourPretty is specPretty with the escape sequences of wg-cli.md §2.2.
func colourPretty() string {
	const (
		R, B, G, Y, C = "\x1b[0m", "\x1b[1m", "\x1b[32m", "\x1b[33m", "\x1b[36m"
	)
	l := func(label, v string) string { return "  " + B + label + R + ": " + v + "\n" }
	return R + G + B + "interface" + R + ": " + G + "wgtest" + R + "\n" +
		l("public key", pubA) + l("private key", privA) + l("listening port", "51820") + l("fwmark", "0xca6c") + "\n" +
		Y + B + "peer" + R + ": " + Y + peer1 + R + "\n" +
		l("preshared key", psk1) + l("endpoint", "[2001:db8::1]:51820") +
		l("allowed ips", "10.0.0.2"+C+"/"+R+"32, fd00::2"+C+"/"+R+"128") +
		l("latest handshake", "1 "+C+"minute"+R+", 3 "+C+"seconds"+R+" ago") +
		l("transfer", "1.23 "+C+"KiB"+R+" received, 4.56 "+C+"MiB"+R+" sent") +
		l("persistent keepalive", "every 25 "+C+"seconds"+R) + "\n" +
		Y + B + "peer" + R + ": " + Y + peer2 + R + "\n" + l("allowed ips", "(none)")
}

const showUsageText = "Usage: wg show { <interface> | all | interfaces } [public-key | private-key | listen-port | fwmark | peers | preshared-keys | endpoints | allowed-ips | latest-handshakes | transfer | persistent-keepalive | dump]\n"

func TestShow(t *testing.T) {
	empty := &wgtypes.Device{}
	port0 := &wgtypes.Device{PrivateKey: mustKey(privA), Peers: []wgtypes.Peer{{PublicKey: mustKey(peer1), Endpoint: netip.MustParseAddrPort("192.0.2.1:0")}}}
	devs := map[string]*wgtypes.Device{"wgtest": specDevice(), "empty": empty, "port0": port0}
	never := map[string]string{"WG_COLOR_MODE": "never"}
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		names    []string
		wantOut  string
		wantErr  string
		wantCode int
	}{
		{name: "pretty", args: []string{"show", "wgtest"}, wantOut: specPretty},
		{name: "pretty colour", args: []string{"show", "wgtest"}, env: map[string]string{"WG_COLOR_MODE": "always", "WG_HIDE_KEYS": "never"}, wantOut: colourPretty()},
		{name: "pretty never", args: []string{"show", "wgtest"}, env: never, wantOut: specPretty},
		{name: "dump", args: []string{"show", "wgtest", "dump"}, wantOut: specDump},
		{name: "public-key", args: []string{"show", "wgtest", "public-key"}, wantOut: pubA + "\n"},
		{name: "private-key", args: []string{"show", "wgtest", "private-key"}, wantOut: privA + "\n"},
		{name: "listen-port", args: []string{"show", "wgtest", "listen-port"}, wantOut: "51820\n"},
		{name: "fwmark", args: []string{"show", "wgtest", "fwmark"}, wantOut: "0xca6c\n"},
		{name: "peers", args: []string{"show", "wgtest", "peers"}, wantOut: peer2 + "\n" + peer1 + "\n"},
		{name: "preshared-keys", args: []string{"show", "wgtest", "preshared-keys"}, wantOut: peer2 + "\t(none)\n" + peer1 + "\t" + psk1 + "\n"},
		{name: "endpoints", args: []string{"show", "wgtest", "endpoints"}, wantOut: peer2 + "\t(none)\n" + peer1 + "\t[2001:db8::1]:51820\n"},
		{name: "allowed-ips", args: []string{"show", "wgtest", "allowed-ips"}, wantOut: peer2 + "\t(none)\n" + peer1 + "\t10.0.0.2/32 fd00::2/128\n"},
		{name: "latest-handshakes", args: []string{"show", "wgtest", "latest-handshakes"}, wantOut: peer2 + "\t0\n" + peer1 + "\t1795302903\n"},
		{name: "transfer", args: []string{"show", "wgtest", "transfer"}, wantOut: peer2 + "\t0\t0\n" + peer1 + "\t1262\t4781506\n"},
		{name: "persistent-keepalive", args: []string{"show", "wgtest", "persistent-keepalive"}, wantOut: peer2 + "\toff\n" + peer1 + "\t25\n"},
		{name: "showconf", args: []string{"showconf", "wgtest"}, wantOut: specShowconf},
		{name: "empty pretty", args: []string{"show", "empty"}, wantOut: "interface: empty\n"},
		{name: "empty dump", args: []string{"show", "empty", "dump"}, wantOut: "(none)\t(none)\t0\toff\n"},
		{name: "empty fields", args: []string{"show", "empty", "fwmark"}, wantOut: "off\n"},
		{name: "empty peers", args: []string{"show", "empty", "peers"}},
		{name: "empty showconf", args: []string{"showconf", "empty"}, wantOut: "[Interface]\n\n"},
		{name: "port0 pretty", args: []string{"show", "port0"}, wantOut: "interface: port0\n  public key: " + pubA + "\n  private key: (hidden)\n\npeer: " + peer1 + "\n  endpoint: 192.0.2.1:0\n  allowed ips: (none)\n"},
		{name: "port0 listen-port", args: []string{"show", "port0", "listen-port"}, wantOut: "0\n"},
		{name: "bad field", args: []string{"show", "wgtest", "bogus"}, wantErr: "Invalid parameter: `bogus'\n" + showUsageText, wantCode: 1},
		{name: "missing", args: []string{"show", "nope"}, wantErr: "Unable to access interface: No such device\n", wantCode: 1},
		{name: "missing field", args: []string{"show", "nope", "bogus"}, wantErr: "Unable to access interface: No such device\n", wantCode: 1},
		{name: "too many", args: []string{"show", "a", "b", "c"}, wantErr: showUsageText, wantCode: 1},
		{name: "help", args: []string{"show", "--help"}, wantErr: showUsageText},
		{name: "interfaces", args: []string{"show", "interfaces"}, names: []string{"wgtest", "empty"}, wantOut: "wgtest empty\n"},
		{name: "no interfaces", args: []string{"show", "interfaces"}},
		{name: "interfaces extra", args: []string{"show", "interfaces", "x"}, wantErr: showUsageText, wantCode: 1},
		{name: "all none", args: []string{"show", "all"}},
		{name: "all bad field none", args: []string{"show", "all", "bogus"}},
		{name: "all", args: []string{"show"}, names: []string{"empty", "wgtest"}, wantOut: "interface: empty\n\n" + specPretty},
		{name: "bare", args: nil, names: []string{"empty", "port0"}, wantOut: "interface: empty\n\ninterface: port0\n  public key: " + pubA + "\n  private key: (hidden)\n\npeer: " + peer1 + "\n  endpoint: 192.0.2.1:0\n  allowed ips: (none)\n"},
		{name: "all dump", args: []string{"show", "all", "dump"}, names: []string{"empty", "wgtest"},
			wantOut: "empty\t(none)\t(none)\t0\toff\n" + strings.ReplaceAll("wgtest\t"+strings.TrimSuffix(specDump, "\n"), "\n", "\nwgtest\t") + "\n"},
		{name: "all one fails", args: []string{"show", "all", "fwmark"}, names: []string{"gone", "empty"},
			wantOut: "empty\toff\n", wantErr: "Unable to access interface gone: No such device\n"},
		{name: "all pretty one fails last", args: []string{"show", "all"}, names: []string{"empty", "gone"},
			wantOut: "interface: empty\n\n", wantErr: "Unable to access interface gone: No such device\n"},
		{name: "all fail", args: []string{"show", "all"}, names: []string{"gone"},
			wantErr: "Unable to access interface gone: No such device\n", wantCode: 1},
		{name: "all bad field", args: []string{"show", "all", "bogus"}, names: []string{"empty", "wgtest"},
			wantErr: "Invalid parameter: `bogus'\n" + showUsageText, wantCode: 1},
		{name: "showconf usage", args: []string{"showconf"}, wantErr: "Usage: wg showconf <interface>\n", wantCode: 1},
		{name: "showconf missing", args: []string{"showconf", "nope"}, wantErr: "Unable to access interface: No such device\n", wantCode: 1},
		{name: "long name", args: []string{"show", "a-very-long-interface-name", "fwmark"}, names: nil, wantErr: "Unable to access interface: No such device\n", wantCode: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := backend(devs, tt.names...)
			out, errOut, code := run{args: tt.args, env: tt.env, now: specNow}.do(b)
			if out != tt.wantOut || errOut != tt.wantErr || code != tt.wantCode {
				t.Errorf("wg %q:\nstdout (-want +got):\n%s\nstderr (-want +got):\n%s\ncode %d, want %d",
					tt.args, cmp.Diff(tt.wantOut, out), cmp.Diff(tt.wantErr, errOut), code, tt.wantCode)
			}
		})
	}
}

func TestShowListError(t *testing.T) {
	b := backend(nil)
	b.listErr = &os.SyscallError{Syscall: "socket", Err: syscall.EACCES}
	for _, args := range [][]string{{"show"}, {"show", "interfaces"}} {
		_, errOut, code := run{args: args}.do(b)
		if errOut != "Unable to list interfaces: Permission denied\n" || code != 1 {
			t.Errorf("wg %q: %q, %d", args, errOut, code)
		}
	}
}

func TestShowTruncatesName(t *testing.T) {
	long := "abcdefghijklmnopqrst"
	b := backend(map[string]*wgtypes.Device{long: {}}, long)
	out, _, _ := run{args: []string{"show", "all", "fwmark"}}.do(b)
	if out != "abcdefghijklmno\toff\n" {
		t.Errorf("got %q", out)
	}
}

func TestShowColourAuto(t *testing.T) {
	for _, tc := range []struct {
		mode string
		tty  bool
		want bool
	}{{"", false, false}, {"", true, true}, {"auto", true, true}, {"never", true, false}, {"always", false, true}} {
		b := backend(map[string]*wgtypes.Device{"e": {}})
		var o strings.Builder
		Main([]string{"wg", "show", "e"}, Env{Stdout: &o, Backend: b,
			LookupEnv:  func(k string) (string, bool) { return tc.mode, k == "WG_COLOR_MODE" && tc.mode != "" },
			IsTerminal: func(w io.Writer) bool { return w == &o && tc.tty }})
		if got := strings.Contains(o.String(), "\x1b["); got != tc.want {
			t.Errorf("mode %q tty %v: colour %v, want %v", tc.mode, tc.tty, got, tc.want)
		}
	}
}

func TestSortPeers(t *testing.T) {
	k := func(i byte) wgtypes.Key { return wgtypes.Key{i} }
	peers := []wgtypes.Peer{
		{PublicKey: k(1)},
		{PublicKey: k(2), LastHandshakeTime: time.Unix(100, 5)},
		{PublicKey: k(3), LastHandshakeTime: time.Unix(200, 0)},
		{PublicKey: k(4)},
		{PublicKey: k(5), LastHandshakeTime: time.Unix(100, 7)},
		{PublicKey: k(6), LastHandshakeTime: time.Unix(100, 5)},
	}
	var got []byte
	for _, p := range sortPeers(peers) {
		got = append(got, p.PublicKey[0])
	}
	if want := []byte{3, 5, 2, 6, 1, 4}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		secs uint64
		want string
	}{
		{1, "1 second"}, {60, "1 minute"}, {25, "25 seconds"}, {3725, "1 hour, 2 minutes, 5 seconds"},
		{86400, "1 day"}, {365*86400 + 2*86400 + 1, "1 year, 2 days, 1 second"}, {2 * 365 * 86400, "2 years"},
		{65535, "18 hours, 12 minutes, 15 seconds"},
	} {
		if got := stripANSI(string(prettyTime(nil, tc.secs))); got != tc.want {
			t.Errorf("prettyTime(%d) = %q, want %q", tc.secs, got, tc.want)
		}
	}
	for _, tc := range []struct {
		now, t int64
		want   string
	}{{5, 5, "Now"}, {5, 6, "(System clock wound backward; connection problems may ensue.)"}, {65, 5, "1 minute ago"}} {
		if got := stripANSI(ago(tc.now, tc.t)); got != tc.want {
			t.Errorf("ago(%d, %d) = %q, want %q", tc.now, tc.t, got, tc.want)
		}
	}
	for _, tc := range []struct {
		n    uint64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.00 KiB"}, {1262, "1.23 KiB"}, {4781506, "4.56 MiB"},
		{1<<30 - 1, "1024.00 MiB"}, {5 << 30, "5.00 GiB"}, {1 << 40, "1.00 TiB"}, {1<<64 - 1, "16777216.00 TiB"},
		{1029, "1.00 KiB"}, {1030, "1.01 KiB"},
	} {
		if got := stripANSI(byteCount(tc.n)); got != tc.want {
			t.Errorf("byteCount(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"::1", "::1"}, {"::2", "::2"}, {"::102:304", "::1.2.3.4"}, {"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
		{"::ffff:0:0", "::ffff:0.0.0.0"}, {"::0.1.0.0", "::0.1.0.0"}, {"::fffe:102:304", "::fffe:102:304"},
		{"1::", "1::"}, {"0:0:0:0:0:1:0:1", "::1:0:1"}, {"fe80::1%eth0", "fe80::1%eth0"}, {"::102:304%lo", "::1.2.3.4%lo"},
		{"10.0.0.1", "10.0.0.1"}, {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
	} {
		if got := formatAddr(netip.MustParseAddr(tc.in)); got != tc.want {
			t.Errorf("formatAddr(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := stripANSI("a\x1b[1;32mb\x1b[0mc\x1b["); got != "abc" {
		t.Errorf("stripANSI = %q", got)
	}
}

func TestTopLevel(t *testing.T) {
	usage := "Usage: wg <cmd> [<args>]\n\nAvailable subcommands:\n" +
		"  show: Shows the current configuration and device information\n" +
		"  showconf: Shows the current configuration of a given WireGuard interface, for use with `setconf'\n" +
		"  set: Change the current configuration, add peers, remove peers, or change peers\n" +
		"  setconf: Applies a configuration file to a WireGuard interface\n" +
		"  addconf: Appends a configuration file to a WireGuard interface\n" +
		"  syncconf: Synchronizes a configuration file to a WireGuard interface\n" +
		"  genkey: Generates a new private key and writes it to stdout\n" +
		"  genpsk: Generates a new preshared key and writes it to stdout\n" +
		"  pubkey: Reads a private key from stdin and writes a public key to stdout\n" +
		"You may pass `--help' to any of these subcommands to view usage.\n"
	version := "wireguard-tools v" + Version + " - https://git.zx2c4.com/wireguard-tools/\n"
	for _, tc := range []struct {
		args             []string
		wantOut, wantErr string
		wantCode         int
	}{
		{[]string{"--help"}, usage, "", 0},
		{[]string{"-h"}, usage, "", 0},
		{[]string{"help"}, usage, "", 0},
		{[]string{"-v"}, version, "", 0},
		{[]string{"--version"}, version, "", 0},
		{[]string{"version"}, version, "", 0},
		{[]string{"--version", "x"}, "", "Invalid subcommand: `--version'\n" + usage, 1},
		{[]string{"bogus"}, "", "Invalid subcommand: `bogus'\n" + usage, 1},
		{[]string{"genkey", "x"}, "", "Usage: wg genkey\n", 1},
		{[]string{"genpsk", "--help"}, "", "Usage: wg genpsk\n", 1},
		{[]string{"pubkey", "x"}, "", "Usage: wg pubkey\n", 1},
		{[]string{"setconf", "x"}, "", "Usage: wg setconf <interface> <configuration filename>\n", 1},
		{[]string{"syncconf"}, "", "Usage: wg syncconf <interface> <configuration filename>\n", 1},
		{[]string{"set", "x"}, "", strings.Replace(setUsage, "%s %s", "wg set", 1), 1},
	} {
		out, errOut, code := run{args: tc.args}.do(backend(nil))
		if out != tc.wantOut || errOut != tc.wantErr || code != tc.wantCode {
			t.Errorf("wg %q = %q, %q, %d; want %q, %q, %d", tc.args, out, errOut, code, tc.wantOut, tc.wantErr, tc.wantCode)
		}
	}
}

var cfgOpts = []cmp.Option{cmpopts.EquateComparable(netip.Addr{}, netip.AddrPort{}, netip.Prefix{}), cmpopts.EquateEmpty()}

func writeTemp(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSet(t *testing.T) {
	privFile := writeTemp(t, privA+"\n")
	pskFile := writeTemp(t, psk1)
	ep := func(s string) *netip.AddrPort { a := netip.MustParseAddrPort(s); return &a }
	tests := []struct {
		name    string
		args    []string
		want    *wgtypes.Config
		wantErr string
	}{
		{
			// The representative command of wg-cli.md §4.
			name: "spec example",
			args: []string{"listen-port", "0", "fwmark", "off", "private-key", privFile,
				"peer", peer1, "endpoint", "[::1]:51820", "allowed-ips", "10.0.0.3/32, +10.9.0.0/16,-fd00::2",
				"persistent-keepalive", "off", "preshared-key", "/dev/null", "peer", peer2, "remove"},
			want: &wgtypes.Config{
				PrivateKey: ptr(mustKey(privA)), ListenPort: ptr(0), FirewallMark: ptr(uint32(0)),
				Peers: []wgtypes.PeerConfig{
					{PublicKey: mustKey(peer1), Endpoint: ep("[::1]:51820"), PersistentKeepalive: ptr(uint16(0)),
						PresharedKey: ptr(wgtypes.Key{}), AllowedIPs: pfxs("10.0.0.3/32", "10.9.0.0/16"), RemoveAllowedIPs: pfxs("fd00::2/128")},
					{PublicKey: mustKey(peer2), Remove: true},
				},
			},
		},
		{name: "replace", args: []string{"peer", peer1, "allowed-ips", "10.0.0.1/32,fd00::/64", "preshared-key", pskFile},
			want: &wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: mustKey(peer1), PresharedKey: ptr(mustKey(psk1)), ReplaceAllowedIPs: true, AllowedIPs: pfxs("10.0.0.1/32", "fd00::/64")}}}},
		{name: "remove all ips", args: []string{"peer", peer1, "allowed-ips", " "},
			want: &wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: mustKey(peer1), ReplaceAllowedIPs: true}}}},
		{name: "last op wins", args: []string{"peer", peer1, "allowed-ips", "-10.0.0.0/8,10.0.0.1/8,+10.1.0.0/16,-10.1.0.0/16"},
			want: &wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: mustKey(peer1), AllowedIPs: pfxs("10.0.0.1/8"), RemoveAllowedIPs: pfxs("10.1.0.0/16")}}}},
		{name: "later list replaces again", args: []string{"peer", peer1, "allowed-ips", "+10.0.0.1", "allowed-ips", "10.0.0.2"},
			want: &wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: mustKey(peer1), ReplaceAllowedIPs: true, AllowedIPs: pfxs("10.0.0.1/32", "10.0.0.2/32")}}}},
		{name: "service port", args: []string{"listen-port", "domain", "fwmark", "0xFFFFFFFF"},
			want: &wgtypes.Config{ListenPort: ptr(53), FirewallMark: ptr(uint32(0xffffffff))}},
		{name: "device after peer", args: []string{"peer", peer1, "fwmark", "1"}, wantErr: "Invalid argument: fwmark\n"},
		{name: "missing value", args: []string{"listen-port"}, wantErr: "Invalid argument: listen-port\n"},
		{name: "big port", args: []string{"listen-port", "70000"}, wantErr: "Servname not supported for ai_socktype: `70000'\n"},
		{name: "empty port", args: []string{"listen-port", ""}, wantErr: "Unable to parse empty port\n"},
		{name: "fwmark 0X", args: []string{"fwmark", "0X10"}, wantErr: "Fwmark is neither 0/off nor 0-0xffffffff: `0X10'\n"},
		{name: "fwmark big", args: []string{"fwmark", "4294967296"}, wantErr: "Fwmark is neither 0/off nor 0-0xffffffff: `4294967296'\n"},
		{name: "bad key", args: []string{"peer", peer1[:43] + "x"}, wantErr: "Key is not the correct length or format: `" + peer1[:43] + "x'\n"},
		{name: "key file missing", args: []string{"private-key", "/nonexistent"}, wantErr: "fopen: No such file or directory\n"},
		{name: "key file short", args: []string{"private-key", writeTemp(t, "abc")}, wantErr: "Invalid length key in key file\n"},
		{name: "key file trailing", args: []string{"private-key", writeTemp(t, privA+"\n z")}, wantErr: "Found trailing character in key file: `z'\n"},
		{name: "ip", args: []string{"peer", peer1, "allowed-ips", "10.0.0.1/32,fe80::1%lo"}, wantErr: "Unable to parse IP address: `fe80::1%lo'\n"},
		{name: "cidr", args: []string{"peer", peer1, "allowed-ips", "-10.0.0.1/33"}, wantErr: "AllowedIP is not in the correct format: `10.0.0.1/33'\n"},
		{name: "keepalive", args: []string{"peer", peer1, "persistent-keepalive", "+5"}, wantErr: "Persistent keepalive interval is neither 0/off nor 1-65535: `+5'\n"},
		{name: "endpoint port", args: []string{"peer", peer1, "endpoint", "1.2.3.4"}, wantErr: "Unable to find port of endpoint: `1.2.3.4'\n"},
		{name: "endpoint brace", args: []string{"peer", peer1, "endpoint", "[::1:5"}, wantErr: "Unable to find matching brace of endpoint: `[::1:5'\n"},
		{name: "endpoint name", args: []string{"peer", peer1, "endpoint", "nx.invalid:5"}, wantErr: "Name or service not known: `nx.invalid:5'\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := backend(map[string]*wgtypes.Device{"wg0": {}})
			_, errOut, code := run{args: append([]string{"set", "wg0"}, tt.args...)}.do(b)
			if tt.wantErr != "" {
				if errOut != tt.wantErr || code != 1 || len(b.sets) != 0 {
					t.Errorf("stderr %q code %d sets %d; want %q, 1, 0", errOut, code, len(b.sets), tt.wantErr)
				}
				return
			}
			if code != 0 || len(b.sets) != 1 {
				t.Fatalf("code %d, stderr %q, %d sets", code, errOut, len(b.sets))
			}
			if diff := cmp.Diff(*tt.want, b.sets[0].cfg, cfgOpts...); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetWarningsAndErrors(t *testing.T) {
	b := backend(map[string]*wgtypes.Device{"wg0": {}})
	_, errOut, code := run{args: []string{"set", "wg0", "peer", peer1, "allowed-ips", "10.21.0.9/24"}}.do(b)
	if errOut != "Warning: AllowedIP has nonzero host part: 10.21.0.9/24\n" || code != 0 {
		t.Errorf("got %q, %d", errOut, code)
	}
	b.setErr = &os.SyscallError{Syscall: "uapi", Err: syscall.EADDRINUSE}
	_, errOut, code = run{args: []string{"set", "wg0", "listen-port", "1"}}.do(b)
	if errOut != "Unable to modify interface: Address already in use\n" || code != 1 {
		t.Errorf("got %q, %d", errOut, code)
	}
	_, errOut, code = run{args: []string{"set", "nope", "listen-port", "1"}}.do(b)
	if errOut != "Unable to modify interface: No such device\n" || code != 1 {
		t.Errorf("got %q, %d", errOut, code)
	}
	// Names are cut to IFNAMSIZ-1 bytes before use.
	b = backend(map[string]*wgtypes.Device{"abcdefghijklmno": {}})
	if _, errOut, code = (run{args: []string{"set", "abcdefghijklmnopqrs", "fwmark", "1"}}).do(b); code != 0 {
		t.Errorf("long name: %q", errOut)
	}
}

func TestEndpointResolution(t *testing.T) {
	calls := 0
	temp := func(ctx context.Context, host string) ([]netip.Addr, error) {
		calls++
		if calls <= 2 {
			return nil, &net.DNSError{Err: "timeout", Name: host, IsTemporary: true}
		}
		return []netip.Addr{netip.MustParseAddr("::ffff:192.0.2.5"), netip.MustParseAddr("2001:db8::5")}, nil
	}
	var sleeps []time.Duration
	b := backend(map[string]*wgtypes.Device{"wg0": {}})
	_, errOut, code := run{args: []string{"set", "wg0", "peer", peer1, "endpoint", "example.test:domain"}, lookup: temp, sleeps: &sleeps}.do(b)
	want := "Temporary failure in name resolution: `example.test:domain'. Trying again in 1.00 seconds...\n" +
		"Temporary failure in name resolution: `example.test:domain'. Trying again in 1.20 seconds...\n"
	if errOut != want || code != 0 {
		t.Fatalf("stderr %q, code %d", errOut, code)
	}
	if !slices.Equal(sleeps, []time.Duration{time.Second, 1200 * time.Millisecond}) {
		t.Errorf("sleeps %v", sleeps)
	}
	if got := *b.sets[0].cfg.Peers[0].Endpoint; got != netip.MustParseAddrPort("192.0.2.5:53") {
		t.Errorf("endpoint %v", got)
	}

	// Retries run out; the timeout grows by 6/5 up to 20 s.
	calls = -1000
	sleeps = nil
	_, errOut, code = run{args: []string{"set", "wg0", "peer", peer1, "endpoint", "h:1"}, lookup: temp, sleeps: &sleeps,
		env: map[string]string{"WG_ENDPOINT_RESOLUTION_RETRIES": "20"}}.do(b)
	if code != 1 || len(sleeps) != 20 || sleeps[17] != 20*time.Second || sleeps[16] != 18488415*time.Microsecond ||
		!strings.HasSuffix(errOut, "Temporary failure in name resolution: `h:1'\n") {
		t.Errorf("code %d, sleeps %v, stderr tail %q", code, sleeps, errOut[max(0, len(errOut)-80):])
	}
	for _, tc := range []struct{ v, wantErr string }{
		{"", "Temporary failure in name resolution: `h:1'\n"},
		{"abc", "Unable to parse WG_ENDPOINT_RESOLUTION_RETRIES: `abc'\n"},
		{"-1", "Unable to parse WG_ENDPOINT_RESOLUTION_RETRIES: `-1'\n"},
		{"2147483648", "Unable to parse WG_ENDPOINT_RESOLUTION_RETRIES: `2147483648'\n"},
	} {
		calls = -1000
		_, errOut, code = run{args: []string{"set", "wg0", "peer", peer1, "endpoint", "h:1"}, lookup: temp,
			env: map[string]string{"WG_ENDPOINT_RESOLUTION_RETRIES": tc.v}}.do(b)
		if errOut != tc.wantErr || code != 1 {
			t.Errorf("retries %q: %q, %d", tc.v, errOut, code)
		}
	}
	// A bad variable stops setconf without "Configuration parsing error".
	f := writeTemp(t, "[Peer]\nEndpoint = h:1\n")
	_, errOut, _ = run{args: []string{"setconf", "wg0", f}, env: map[string]string{"WG_ENDPOINT_RESOLUTION_RETRIES": "x"}}.do(b)
	if errOut != "Unable to parse WG_ENDPOINT_RESOLUTION_RETRIES: `x'\n" {
		t.Errorf("setconf: %q", errOut)
	}
}
