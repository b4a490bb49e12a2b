package uapi

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wgshim/wgshim/core/wgtypes"
)

func TestParseSet(t *testing.T) {
	pub := hexKey(t, hexPub)
	pub2 := hexKey(t, hexPub2)
	tests := []struct {
		name string
		in   string // body after set=1
		want wgtypes.Config
	}{
		{name: "empty", in: "\n", want: wgtypes.Config{}},
		{name: "eof without empty line", in: "", want: wgtypes.Config{}},
		{name: "private key", in: "private_key=" + hexPriv + "\n\n",
			want: wgtypes.Config{PrivateKey: keyPtr(t, hexPriv)}},
		{name: "private key upper case", in: "private_key=" + strings.ToUpper(hexPriv) + "\n\n",
			want: wgtypes.Config{PrivateKey: keyPtr(t, hexPriv)}},
		{name: "zero private key removes", in: "private_key=" + hexZero + "\n\n",
			want: wgtypes.Config{PrivateKey: &wgtypes.Key{}}},
		{name: "listen port", in: "listen_port=51820\n\n", want: wgtypes.Config{ListenPort: ptr(51820)}},
		{name: "listen port 0", in: "listen_port=0\n\n", want: wgtypes.Config{ListenPort: ptr(0)}},
		{name: "listen port max, leading zeros", in: "listen_port=065535\n\n", want: wgtypes.Config{ListenPort: ptr(65535)}},
		{name: "fwmark max", in: "fwmark=4294967295\n\n", want: wgtypes.Config{FirewallMark: ptr(uint32(4294967295))}},
		{name: "fwmark 0", in: "fwmark=0\n\n", want: wgtypes.Config{FirewallMark: ptr(uint32(0))}},
		{name: "replace peers, no peers", in: "replace_peers=true\n\n", want: wgtypes.Config{ReplacePeers: true}},
		{name: "device keys any order, last wins", in: "fwmark=1\nlisten_port=2\nprivate_key=" + hexZero + "\nlisten_port=3\n\n",
			want: wgtypes.Config{FirewallMark: ptr(uint32(1)), ListenPort: ptr(3), PrivateKey: &wgtypes.Key{}}},
		{name: "final line without newline", in: "listen_port=7", want: wgtypes.Config{ListenPort: ptr(7)}},
		{name: "peer only", in: "public_key=" + hexPub + "\n\n",
			want: wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: pub}}}},
		{name: "peer every key", in: "public_key=" + hexPub + "\npreshared_key=" + hexPSK +
			"\nendpoint=[fe80::1%eth0]:51820\npersistent_keepalive_interval=25\nreplace_allowed_ips=true\nallowed_ip=10.0.0.2/32\nallowed_ip=-fd00::2/128\nprotocol_version=1\n\n",
			want: wgtypes.Config{Peers: []wgtypes.PeerConfig{{
				PublicKey: pub, PresharedKey: keyPtr(t, hexPSK),
				Endpoint:            ptr(netip.MustParseAddrPort("[fe80::1%eth0]:51820")),
				PersistentKeepalive: ptr(uint16(25)), ReplaceAllowedIPs: true,
				AllowedIPs: pfxs("10.0.0.2/32"), RemoveAllowedIPs: pfxs("fd00::2/128"),
			}}}},
		{name: "zero preshared key removes", in: "public_key=" + hexPub + "\npreshared_key=" + hexZero + "\n\n",
			want: wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: pub, PresharedKey: &wgtypes.Key{}}}}},
		{name: "ipv4 endpoint", in: "public_key=" + hexPub + "\nendpoint=192.0.2.1:1\n\n",
			want: wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: pub, Endpoint: ptr(netip.MustParseAddrPort("192.0.2.1:1"))}}}},
		{name: "keepalive off", in: "public_key=" + hexPub + "\npersistent_keepalive_interval=0\n\n",
			want: wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: pub, PersistentKeepalive: ptr(uint16(0))}}}},
		{name: "allowed ip host bits masked", in: "public_key=" + hexPub + "\nallowed_ip=10.1.2.3/8\nallowed_ip=-fd00::1:2/64\n\n",
			want: wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: pub, AllowedIPs: pfxs("10.0.0.0/8"), RemoveAllowedIPs: pfxs("fd00::/64")}}}},
		{name: "removal cancels an earlier add", in: "public_key=" + hexPub + "\nallowed_ip=10.0.0.3/32\nallowed_ip=10.9.0.0/16\nallowed_ip=-10.0.0.3/32\n\n",
			want: wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: pub, AllowedIPs: pfxs("10.9.0.0/16"), RemoveAllowedIPs: pfxs("10.0.0.3/32")}}}},
		{name: "add after removal keeps both", in: "public_key=" + hexPub + "\nallowed_ip=-10.0.0.3/32\nallowed_ip=10.0.0.3/32\n\n",
			want: wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: pub, AllowedIPs: pfxs("10.0.0.3/32"), RemoveAllowedIPs: pfxs("10.0.0.3/32")}}}},
		{name: "replace_allowed_ips drops earlier lines", in: "public_key=" + hexPub + "\nallowed_ip=10.0.0.1/32\nallowed_ip=-10.0.0.2/32\nreplace_allowed_ips=true\nallowed_ip=10.0.0.4/32\n\n",
			want: wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: pub, ReplaceAllowedIPs: true, AllowedIPs: pfxs("10.0.0.4/32")}}}},
		{name: "remove drops the rest of the section", in: "public_key=" + hexPub + "\nendpoint=1.2.3.4:5\nremove=true\nallowed_ip=10.0.0.1/32\npreshared_key=" + hexPSK + "\n\n",
			want: wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: pub, Remove: true}}}},
		{name: "update only", in: "public_key=" + hexPub + "\nupdate_only=true\npersistent_keepalive_interval=5\n\n",
			want: wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: pub, UpdateOnly: true, PersistentKeepalive: ptr(uint16(5))}}}},
		{name: "update only after other keys", in: "public_key=" + hexPub + "\npersistent_keepalive_interval=5\nupdate_only=true\n\n",
			want: wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: pub, UpdateOnly: true, PersistentKeepalive: ptr(uint16(5))}}}},
		{name: "two peers", in: "replace_peers=true\npublic_key=" + hexPub + "\nallowed_ip=10.0.0.1/32\npublic_key=" + hexPub2 + "\nremove=true\n\n",
			want: wgtypes.Config{ReplacePeers: true, Peers: []wgtypes.PeerConfig{
				{PublicKey: pub, AllowedIPs: pfxs("10.0.0.1/32")}, {PublicKey: pub2, Remove: true}}}},
		{name: "repeated public key merges", in: "public_key=" + hexPub + "\nendpoint=1.2.3.4:5\nallowed_ip=10.0.0.1/32\npublic_key=" + hexPub2 +
			"\npublic_key=" + hexPub + "\nendpoint=1.2.3.4:6\nallowed_ip=10.0.0.2/32\n\n",
			want: wgtypes.Config{Peers: []wgtypes.PeerConfig{
				{PublicKey: pub, Endpoint: ptr(netip.MustParseAddrPort("1.2.3.4:6")), AllowedIPs: pfxs("10.0.0.1/32", "10.0.0.2/32")},
				{PublicKey: pub2}}}},
		{name: "repeated public key then remove", in: "public_key=" + hexPub + "\nallowed_ip=10.0.0.1/32\npublic_key=" + hexPub + "\nremove=true\n\n",
			want: wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: pub, Remove: true}}}},
		{name: "repeated: update_only in the second section only", in: "public_key=" + hexPub + "\nallowed_ip=10.0.0.1/32\npublic_key=" + hexPub + "\nupdate_only=true\n\n",
			want: wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: pub, AllowedIPs: pfxs("10.0.0.1/32")}}}},
		{name: "repeated: update_only in both sections", in: "public_key=" + hexPub + "\nupdate_only=true\npublic_key=" + hexPub + "\nupdate_only=true\nendpoint=1.2.3.4:5\n\n",
			want: wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: pub, UpdateOnly: true, Endpoint: ptr(netip.MustParseAddrPort("1.2.3.4:5"))}}}},
		{name: "own keys are not special to the parser", in: "private_key=" + hexPriv + "\npublic_key=" + hexPriv + "\n\n",
			want: wgtypes.Config{PrivateKey: keyPtr(t, hexPriv), Peers: []wgtypes.PeerConfig{{PublicKey: hexKey(t, hexPriv)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The next request must still be readable after ParseSet,
			// unless this one ends at the end of the stream.
			terminated := strings.HasSuffix(tt.in, "\n\n") || tt.in == "\n"
			next := ""
			if terminated {
				next = "get=1\n"
			}
			r := reader(tt.in + next)
			got, err := ParseSet(r)
			if err != nil {
				t.Fatalf("ParseSet: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpOpts...); diff != "" {
				t.Errorf("ParseSet (-want +got):\n%s", diff)
			}
			if rest, _ := io.ReadAll(r); string(rest) != next {
				t.Errorf("left in the stream: %q, want %q", rest, next)
			}
		})
	}
}

func TestParseSetErrors(t *testing.T) {
	peer := "public_key=" + hexPub + "\n"
	tests := []struct {
		name    string
		in      string
		errno   syscall.Errno
		wantMsg string
	}{
		{"line without =", "listen_port\n\n", EPROTO, "line 1: no '='"},
		{"peer line without =", peer + "endpoint\n\n", EPROTO, "line 2: no '='"},
		{"unknown device key", "listen-port=1\n\n", EINVAL, `unknown device key "listen-port"`},
		{"device key after public_key", peer + "listen_port=1\n\n", EINVAL, `line 2: unknown peer key "listen_port"`},
		{"unknown peer key", peer + "endpoints=1.2.3.4:5\n\n", EINVAL, "unknown peer key"},
		{"upper-case key", "LISTEN_PORT=1\n\n", EINVAL, "unknown device key"},
		{"private key short", "private_key=" + hexPriv[:63] + "\n\n", EINVAL, "private_key: not a 64-digit hex key"},
		{"private key not hex", "private_key=" + hexPriv[:63] + "g\n\n", EINVAL, "private_key"},
		{"private key base64", "private_key=yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n\n", EINVAL, "private_key"},
		{"listen port too big", "listen_port=65536\n\n", EINVAL, "listen_port"},
		{"listen port negative", "listen_port=-1\n\n", EINVAL, "listen_port"},
		{"listen port plus", "listen_port=+1\n\n", EINVAL, "listen_port"},
		{"listen port empty", "listen_port=\n\n", EINVAL, "listen_port"},
		{"listen port space", "listen_port= 1\n\n", EINVAL, "listen_port"},
		{"listen port hex", "listen_port=0x10\n\n", EINVAL, "listen_port"},
		{"fwmark too big", "fwmark=4294967296\n\n", EINVAL, "fwmark"},
		{"fwmark huge", "fwmark=99999999999999999999999\n\n", EINVAL, "fwmark"},
		{"replace_peers false", "replace_peers=false\n\n", EINVAL, "replace_peers"},
		{"public key bad", "public_key=xyz\n\n", EINVAL, "public_key"},
		{"remove false", peer + "remove=false\n\n", EINVAL, "remove"},
		{"update_only 1", peer + "update_only=1\n\n", EINVAL, "update_only"},
		{"preshared key bad", peer + "preshared_key=00\n\n", EINVAL, "preshared_key"},
		{"endpoint hostname", peer + "endpoint=example.com:51820\n\n", EINVAL, "endpoint"},
		{"endpoint no port", peer + "endpoint=1.2.3.4\n\n", EINVAL, "endpoint"},
		{"endpoint v6 without brackets", peer + "endpoint=::1:51820\n\n", EINVAL, "endpoint"},
		{"endpoint port too big", peer + "endpoint=1.2.3.4:65536\n\n", EINVAL, "endpoint"},
		{"endpoint empty", peer + "endpoint=\n\n", EINVAL, "endpoint"},
		{"keepalive too big", peer + "persistent_keepalive_interval=65536\n\n", EINVAL, "persistent_keepalive_interval"},
		{"keepalive off", peer + "persistent_keepalive_interval=off\n\n", EINVAL, "persistent_keepalive_interval"},
		{"replace_allowed_ips yes", peer + "replace_allowed_ips=yes\n\n", EINVAL, "replace_allowed_ips"},
		{"allowed ip cidr too big", peer + "allowed_ip=10.0.0.0/33\n\n", EINVAL, "allowed_ip"},
		{"allowed ip v6 cidr too big", peer + "allowed_ip=-fd00::/129\n\n", EINVAL, "allowed_ip"},
		{"allowed ip no cidr", peer + "allowed_ip=10.0.0.1\n\n", EINVAL, "allowed_ip"},
		{"allowed ip plus", peer + "allowed_ip=+10.0.0.1/32\n\n", EINVAL, "allowed_ip"},
		{"allowed ip lone minus", peer + "allowed_ip=-\n\n", EINVAL, "allowed_ip"},
		{"allowed ip zone", peer + "allowed_ip=fe80::%eth0/64\n\n", EINVAL, "allowed_ip"},
		{"protocol version 2", peer + "protocol_version=2\n\n", EINVAL, "protocol_version"},
		{"protocol version at device level", "protocol_version=1\n\n", EINVAL, "unknown device key"},
		{"peer repeated after remove", peer + "remove=true\n" + peer + "\n", EINVAL, "repeats after remove=true"},
		{"peer repeated without update_only", peer + "update_only=true\n" + peer + "endpoint=1.2.3.4:5\n\n", EINVAL, "repeats without the update_only=true"},
		{"last section repeated without update_only", peer + "update_only=true\n" + peer + "\n", EINVAL, "repeats without"},
		{"bad value in removed section is still an error", peer + "remove=true\npreshared_key=zz\n\n", EINVAL, "preshared_key"},
		{"line too long", "listen_port=" + strings.Repeat("1", 5000) + "\n\n", EINVAL, "longer than 4096 bytes"},
		{"first error wins", "fwmark=x\nlisten_port\n\n", EINVAL, "line 1: fwmark"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := reader(tt.in + "get=1\n")
			_, err := ParseSet(r)
			var ue *Error
			if !errors.As(err, &ue) {
				t.Fatalf("ParseSet error = %v, want *Error", err)
			}
			if ue.Errno != tt.errno || !errors.Is(err, tt.errno) {
				t.Errorf("errno = %d, want %d", ue.Errno, tt.errno)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) || !strings.HasPrefix(err.Error(), "uapi set: ") {
				t.Errorf("error %q, want it to start with \"uapi set: \" and contain %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), hexPriv[:8]) {
				t.Errorf("error %q echoes a private key", err)
			}
			// The request is drained up to its empty line.
			if rest, _ := io.ReadAll(r); string(rest) != "get=1\n" {
				t.Errorf("left in the stream: %q", rest)
			}
		})
	}
}

// errReader fails after its data.
type errReader struct {
	data string
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestParseSetReadError(t *testing.T) {
	cause := errors.New("boom")
	_, err := ParseSet(bufio.NewReader(&errReader{data: "listen_port=1\n", err: cause}))
	if !errors.Is(err, EIO) || !errors.Is(err, cause) {
		t.Fatalf("ParseSet error = %v, want EIO wrapping the cause", err)
	}
}

func TestParseSetSmallReaderLongLine(t *testing.T) {
	// A 16-byte bufio.Reader must still assemble ordinary lines.
	in := "public_key=" + hexPub + "\nendpoint=[fe80::1%eth0]:51820\nallowed_ip=10.0.0.0/8\n\n"
	got, err := ParseSet(bufio.NewReaderSize(strings.NewReader(in), 16))
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParseSet(reader(in))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmpOpts...); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// fullConfig exercises every key WriteSet can emit.
func fullConfig(t testing.TB) wgtypes.Config {
	return wgtypes.Config{
		PrivateKey:   keyPtr(t, hexPriv),
		ListenPort:   ptr(0),
		FirewallMark: ptr(uint32(0x1234)),
		ReplacePeers: true,
		Peers: []wgtypes.PeerConfig{
			{
				PublicKey:           hexKey(t, hexPub),
				PresharedKey:        &wgtypes.Key{},
				Endpoint:            ptr(netip.MustParseAddrPort("[::1]:51820")),
				PersistentKeepalive: ptr(uint16(0)),
				ReplaceAllowedIPs:   true,
				RemoveAllowedIPs:    pfxs("fd00::2/128"),
				AllowedIPs:          pfxs("10.0.0.3/32", "10.9.0.0/16"),
			},
			{PublicKey: hexKey(t, hexPub2), Remove: true},
			{
				PublicKey:    hexKey(t, hexPSK),
				UpdateOnly:   true,
				PresharedKey: keyPtr(t, hexPSK),
				Endpoint:     ptr(netip.MustParseAddrPort("[fe80::1%eth0]:1")),
			},
		},
	}
}

func TestWriteSetExact(t *testing.T) {
	want := "private_key=" + hexPriv + "\n" +
		"listen_port=0\n" +
		"fwmark=4660\n" +
		"replace_peers=true\n" +
		"public_key=" + hexPub + "\n" +
		"preshared_key=" + hexZero + "\n" +
		"endpoint=[::1]:51820\n" +
		"persistent_keepalive_interval=0\n" +
		"replace_allowed_ips=true\n" +
		"allowed_ip=-fd00::2/128\n" +
		"allowed_ip=10.0.0.3/32\n" +
		"allowed_ip=10.9.0.0/16\n" +
		"public_key=" + hexPub2 + "\n" +
		"remove=true\n" +
		"public_key=" + hexPSK + "\n" +
		"update_only=true\n" +
		"preshared_key=" + hexPSK + "\n" +
		"endpoint=[fe80::1%eth0]:1\n" +
		"\n"
	var b bytes.Buffer
	if err := WriteSet(&b, fullConfig(t)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("WriteSet (-want +got):\n%s", diff)
	}
}

// TestWriteSetSpecExample reproduces the set request of spec uapi.md §9,
// whose body ParseSet must also read back to the same Config.
func TestWriteSetSpecExample(t *testing.T) {
	body := "listen_port=0\n" +
		"public_key=" + hexPub + "\n" +
		"endpoint=[::1]:51820\n" +
		"allowed_ip=10.0.0.3/32\n" +
		"allowed_ip=-fd00::2/128\n\n"
	cfg := wgtypes.Config{ListenPort: ptr(0), Peers: []wgtypes.PeerConfig{{
		PublicKey: hexKey(t, hexPub), Endpoint: ptr(netip.MustParseAddrPort("[::1]:51820")),
		AllowedIPs: pfxs("10.0.0.3/32"), RemoveAllowedIPs: pfxs("fd00::2/128"),
	}}}
	got, err := ParseSet(reader(body))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cfg, got, cmpOpts...); diff != "" {
		t.Errorf("ParseSet (-want +got):\n%s", diff)
	}
	var b bytes.Buffer
	if err := WriteSet(&b, cfg); err != nil {
		t.Fatal(err)
	}
	// Our order puts removals first; otherwise the text is the spec's.
	wantText := strings.Replace(body, "allowed_ip=10.0.0.3/32\nallowed_ip=-fd00::2/128\n", "allowed_ip=-fd00::2/128\nallowed_ip=10.0.0.3/32\n", 1)
	if diff := cmp.Diff(wantText, b.String()); diff != "" {
		t.Errorf("WriteSet (-want +got):\n%s", diff)
	}
}

func TestWriteSetErrors(t *testing.T) {
	pub := hexKey(t, hexPub)
	tests := []struct {
		name string
		cfg  wgtypes.Config
	}{
		{"negative port", wgtypes.Config{ListenPort: ptr(-1)}},
		{"port too big", wgtypes.Config{ListenPort: ptr(65536)}},
		{"zero endpoint", wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: pub, Endpoint: &netip.AddrPort{}}}}},
		{"zero prefix", wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: pub, AllowedIPs: []netip.Prefix{{}}}}}},
		{"zero removal prefix", wgtypes.Config{Peers: []wgtypes.PeerConfig{{PublicKey: pub, RemoveAllowedIPs: []netip.Prefix{{}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := WriteSet(&b, tt.cfg)
			if !errors.Is(err, EINVAL) {
				t.Errorf("WriteSet error = %v, want EINVAL", err)
			}
			if b.Len() != 0 {
				t.Errorf("WriteSet wrote %q before failing", b.String())
			}
		})
	}
}

func TestSetRoundTrip(t *testing.T) {
	cfgs := map[string]wgtypes.Config{
		"empty": {},
		"full":  fullConfig(t),
		"4in6 endpoint and prefix": {Peers: []wgtypes.PeerConfig{{
			PublicKey: hexKey(t, hexPub), Endpoint: ptr(netip.MustParseAddrPort("[::ffff:192.0.2.1]:9")),
			AllowedIPs: pfxs("::ffff:10.0.0.0/104", "0.0.0.0/0", "::/0"),
		}}},
	}
	for name, cfg := range cfgs {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteSet(&b, cfg); err != nil {
				t.Fatal(err)
			}
			got, err := ParseSet(bufio.NewReader(&b))
			if err != nil {
				t.Fatalf("ParseSet: %v", err)
			}
			if diff := cmp.Diff(cfg, got, cmpOpts...); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}
