package uapi

import (
	"bufio"
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wgshim/wgshim/core/wgtypes"
)

// specGet is the get reply of spec uapi.md §9.
const specGet = "private_key=" + hexPriv + "\n" +
	"listen_port=51820\n" +
	"public_key=" + hexPub + "\n" +
	"preshared_key=" + hexZero + "\n" +
	"protocol_version=1\n" +
	"endpoint=[2001:db8::1]:51820\n" +
	"last_handshake_time_sec=1700000000\n" +
	"last_handshake_time_nsec=123456789\n" +
	"tx_bytes=4781506\n" +
	"rx_bytes=1262\n" +
	"persistent_keepalive_interval=25\n" +
	"allowed_ip=10.0.0.2/32\n" +
	"allowed_ip=fd00::2/128\n" +
	"errno=0\n" +
	"\n"

func specDevice(t testing.TB) *wgtypes.Device {
	priv := hexKey(t, hexPriv)
	return &wgtypes.Device{
		Type:       wgtypes.Userspace,
		PrivateKey: priv,
		PublicKey:  priv.PublicKey(),
		ListenPort: 51820,
		Peers: []wgtypes.Peer{{
			PublicKey:           hexKey(t, hexPub),
			Endpoint:            netip.MustParseAddrPort("[2001:db8::1]:51820"),
			PersistentKeepalive: 25,
			LastHandshakeTime:   time.Unix(1700000000, 123456789),
			ReceiveBytes:        1262,
			TransmitBytes:       4781506,
			AllowedIPs:          pfxs("10.0.0.2/32", "fd00::2/128"),
			ProtocolVersion:     1,
		}},
	}
}

func TestWriteGetSpecExample(t *testing.T) {
	var b bytes.Buffer
	if err := WriteGet(&b, specDevice(t)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(specGet, b.String()); diff != "" {
		t.Errorf("WriteGet (-want +got):\n%s", diff)
	}
}

func TestWriteGetDefaults(t *testing.T) {
	// No device keys; a bare peer gets a zero PSK, protocol_version 1, no
	// endpoint, a zero handshake time; host bits are not written.
	d := &wgtypes.Device{FirewallMark: 7, Peers: []wgtypes.Peer{{
		PublicKey:  hexKey(t, hexPub),
		AllowedIPs: pfxs("10.1.2.3/8"),
	}}}
	want := "fwmark=7\n" +
		"public_key=" + hexPub + "\n" +
		"preshared_key=" + hexZero + "\n" +
		"protocol_version=1\n" +
		"last_handshake_time_sec=0\n" +
		"last_handshake_time_nsec=0\n" +
		"tx_bytes=0\n" +
		"rx_bytes=0\n" +
		"persistent_keepalive_interval=0\n" +
		"allowed_ip=10.0.0.0/8\n" +
		"errno=0\n\n"
	var b bytes.Buffer
	if err := WriteGet(&b, d); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("WriteGet (-want +got):\n%s", diff)
	}
	b.Reset()
	if err := WriteGet(&b, &wgtypes.Device{}); err != nil || b.String() != "errno=0\n\n" {
		t.Errorf("empty device: %q, %v", b.String(), err)
	}
}

func TestWriteGetErrors(t *testing.T) {
	for name, d := range map[string]*wgtypes.Device{
		"nil":      nil,
		"port":     {ListenPort: 70000},
		"prefix":   {Peers: []wgtypes.Peer{{AllowedIPs: []netip.Prefix{{}}}}},
		"protocol": {Peers: []wgtypes.Peer{{ProtocolVersion: -1}}},
	} {
		var b bytes.Buffer
		if err := WriteGet(&b, d); err == nil || b.Len() != 0 {
			t.Errorf("%s: WriteGet = %v, wrote %q; want an error and nothing written", name, err, b.String())
		}
	}
}

func TestParseGet(t *testing.T) {
	pub := hexKey(t, hexPub)
	tests := []struct {
		name string
		in   string
		want *wgtypes.Device
	}{
		{name: "spec example", in: specGet, want: specDevice(t)},
		{name: "empty device", in: "errno=0\n\n", want: &wgtypes.Device{Type: wgtypes.Userspace}},
		{name: "unknown keys ignored", in: "future_key=x\nfwmark=9\npublic_key=" + hexPub + "\nnew_peer_key=1\nerrno=0\n\n",
			want: &wgtypes.Device{Type: wgtypes.Userspace, FirewallMark: 9, Peers: []wgtypes.Peer{{PublicKey: pub}}}},
		{name: "device keys after a peer ignored", in: "public_key=" + hexPub + "\nlisten_port=x\nprivate_key=" + hexPriv + "\nerrno=0\n\n",
			want: &wgtypes.Device{Type: wgtypes.Userspace, Peers: []wgtypes.Peer{{PublicKey: pub}}}},
		{name: "peer keys before a peer ignored", in: "endpoint=nonsense\nrx_bytes=5\nerrno=0\n\n",
			want: &wgtypes.Device{Type: wgtypes.Userspace}},
		{name: "protocol_version not a number ignored", in: "public_key=" + hexPub + "\nprotocol_version=x\nerrno=0\n\n",
			want: &wgtypes.Device{Type: wgtypes.Userspace, Peers: []wgtypes.Peer{{PublicKey: pub}}}},
		{name: "handshake per peer", in: "public_key=" + hexPub + "\nlast_handshake_time_sec=5\npublic_key=" + hexPub2 + "\nlast_handshake_time_nsec=0\nerrno=0\n\n",
			want: &wgtypes.Device{Type: wgtypes.Userspace, Peers: []wgtypes.Peer{
				{PublicKey: pub, LastHandshakeTime: time.Unix(5, 0)}, {PublicKey: hexKey(t, hexPub2)}}}},
		{name: "max counters", in: "public_key=" + hexPub + "\ntx_bytes=18446744073709551615\nrx_bytes=1\nerrno=0\n\n",
			want: &wgtypes.Device{Type: wgtypes.Userspace, Peers: []wgtypes.Peer{{PublicKey: pub, TransmitBytes: 1<<64 - 1, ReceiveBytes: 1}}}},
		{name: "allowed ip host bits masked", in: "public_key=" + hexPub + "\nallowed_ip=10.1.2.3/8\nerrno=0\n\n",
			want: &wgtypes.Device{Type: wgtypes.Userspace, Peers: []wgtypes.Peer{{PublicKey: pub, AllowedIPs: pfxs("10.0.0.0/8")}}}},
		{name: "errno before keys", in: "errno=0\nfwmark=1\n\n",
			want: &wgtypes.Device{Type: wgtypes.Userspace, FirewallMark: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := reader(tt.in + "next")
			got, err := ParseGet(r)
			if err != nil {
				t.Fatalf("ParseGet: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpOpts...); diff != "" {
				t.Errorf("ParseGet (-want +got):\n%s", diff)
			}
			if rest, _ := r.Peek(4); string(rest) != "next" {
				t.Errorf("ParseGet read past the empty line; left %q", rest)
			}
		})
	}
}

func TestParseGetErrors(t *testing.T) {
	peer := "public_key=" + hexPub + "\n"
	tests := []struct {
		name  string
		in    string
		errno syscall.Errno
	}{
		{"errno 5", "errno=5\n\n", EIO},
		{"errno -22 (wireguard-go)", "private_key=" + hexPriv + "\nerrno=-22\n\n", EINVAL},
		{"no errno", "listen_port=1\n\n", EPROTO},
		{"eof before empty line", "errno=0\n", EPROTO},
		{"eof", "", EPROTO},
		{"line without =", "listen_port\nerrno=0\n\n", EPROTO},
		{"bad errno", "errno=x\n\n", EPROTO},
		{"bad errno sign", "errno=+1\n\n", EPROTO},
		{"bad private key", "private_key=00\nerrno=0\n\n", EPROTO},
		{"bad listen port", "listen_port=65536\nerrno=0\n\n", EPROTO},
		{"bad fwmark", "fwmark=-1\nerrno=0\n\n", EPROTO},
		{"bad public key", "public_key=zz\nerrno=0\n\n", EPROTO},
		{"bad psk", peer + "preshared_key=1\nerrno=0\n\n", EPROTO},
		{"hostname endpoint", peer + "endpoint=example.com:1\nerrno=0\n\n", EPROTO},
		{"bad keepalive", peer + "persistent_keepalive_interval=70000\nerrno=0\n\n", EPROTO},
		{"bad allowed ip", peer + "allowed_ip=10.0.0.0/33\nerrno=0\n\n", EPROTO},
		{"bad handshake", peer + "last_handshake_time_sec=-1\nerrno=0\n\n", EPROTO},
		{"bad tx", peer + "tx_bytes=18446744073709551616\nerrno=0\n\n", EPROTO},
		{"bad rx", peer + "rx_bytes=1.0\nerrno=0\n\n", EPROTO},
		{"long line", strings.Repeat("x", 5000) + "=1\nerrno=0\n\n", EPROTO},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseGet(reader(tt.in))
			var ue *Error
			if !errors.As(err, &ue) || ue.Errno != tt.errno || !errors.Is(err, tt.errno) {
				t.Fatalf("ParseGet = %v, %v; want *Error with errno %d", d, err, tt.errno)
			}
			if d != nil {
				t.Errorf("ParseGet returned a device with an error")
			}
		})
	}
}

func TestParseGetReadError(t *testing.T) {
	cause := errors.New("boom")
	_, err := ParseGet(bufio.NewReader(&errReader{data: "errno=0\n", err: cause}))
	if !errors.Is(err, cause) {
		t.Fatalf("ParseGet error = %v, want the read error", err)
	}
}

func TestGetRoundTrip(t *testing.T) {
	priv, err := wgtypes.GeneratePrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	d := &wgtypes.Device{
		Type: wgtypes.Userspace, PrivateKey: priv, PublicKey: priv.PublicKey(),
		ListenPort: 1, FirewallMark: 1<<32 - 1,
		Peers: []wgtypes.Peer{
			specDevice(t).Peers[0],
			{PublicKey: hexKey(t, hexPub2), PresharedKey: hexKey(t, hexPSK), ProtocolVersion: 1,
				Endpoint: netip.MustParseAddrPort("[fe80::1%eth0]:65535"), LastHandshakeTime: time.Unix(1, 999999999),
				TransmitBytes: 1<<64 - 1, PersistentKeepalive: 65535},
			{PublicKey: hexKey(t, hexPSK), ProtocolVersion: 1, Endpoint: netip.MustParseAddrPort("192.0.2.7:0"),
				AllowedIPs: pfxs("0.0.0.0/0", "::/0", "::ffff:0.0.0.0/96")},
		},
	}
	var b bytes.Buffer
	if err := WriteGet(&b, d); err != nil {
		t.Fatal(err)
	}
	got, err := ParseGet(bufio.NewReader(&b))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(d, got, cmpOpts...); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
