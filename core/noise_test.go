package core

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/wgshim/wgshim/core/clock/clocktest"
	"github.com/wgshim/wgshim/core/conn/conntest"
	"github.com/wgshim/wgshim/core/tun/tuntest"
	"github.com/wgshim/wgshim/core/wgtypes"
)

// The deterministic vectors of protocol.md §14, which wireguard-go's own
// handshake code accepts byte for byte.

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hexKey(t testing.TB, s string) wgtypes.Key {
	t.Helper()
	return wgtypes.Key(unhex(t, s))
}

// scriptedRand returns the bytes queued in it, in order.
type scriptedRand struct{ buf bytes.Buffer }

func (r *scriptedRand) Read(p []byte) (int, error) { return r.buf.Read(p) }

const (
	vecSiPriv = "b81df89cc9533b9941ea1b3f5fb2c8cac464441a88c3105f28ce08c9a5052c46"
	vecSiPub  = "3b41935cf98c7d6271c74e6bdb131d3ee2c15b504583a38acc516aad7ce79d0c"
	vecSrPriv = "a8229b04923c0eaa11be6af24b0e62fd71d03dafd2075ccaaa75f9b0ed6b456f"
	vecSrPub  = "3ffce19aa715baf360f7664e10f2d53b28d8782340ec1f421ef06ac165f7c944"
	vecEiPriv = "0850382ea840e0c3bf0680476be2836d7c6041bfbcebe7d3ccd40e6d9783d95f"
	vecErPriv = "b05ba31b568ca8473654e167d44b21f845a664cee51a047af1435c1055437957"
	vecPSK    = "073c6d08128ad302e864a377736b4d93fde9e8718e5307294a93cf70b57ea82b"

	vecInitiation = "01000000443322115d79aae4fc9e3a4c8f7d1ac1fe751ca8794a81067ee308c8c5782aadce42c56efb82ae6ccaf62565b94bfbcc00a203142baa81735a7fe2ec46c49855a20a525d9036b8bf03ff6593a2e73e95252b3efa3d2192ee82a5494e302f7d13304032b2a803d6ded5d0675619e8c427e6ff8fd699a5b7aac17160a34cdaf73600000000000000000000000000000000"
)

type vectorCase struct {
	name      string
	psk       string
	response  string
	keepalive string
	data      string
}

var vectorCases = []vectorCase{
	{
		name:      "B with psk",
		psk:       vecPSK,
		response:  "0200000088776655443322119119db063f051b39a9dc982c4d2e755668679aa2a3b9cfd44134aa608a4bce1c736213cb74deb4e397274d476ceaa8d53de5aa133af8eb810211b58ac04daf2300000000000000000000000000000000",
		keepalive: "040000008877665500000000000000008acbe62cf357b2ac34f074a0c4f1d500",
		data:      "04000000443322110000000000000000648674033332e3296c7fd3c28493e1bc36f6b2052e23e83f0d5a3b7f2298842bdc36a21e355b47fc0e41fc06e63b3164",
	},
	{
		name:      "A without psk",
		psk:       "",
		response:  "0200000088776655443322119119db063f051b39a9dc982c4d2e755668679aa2a3b9cfd44134aa608a4bce1c39bbe2e95321a8820e8f110eb8009ecf597130f39352968a75cb0ff8502fb88400000000000000000000000000000000",
		keepalive: "04000000887766550000000000000000036a9ccd5dea4bc817046cbe96586e4e",
		data:      "04000000443322110000000000000000ce3cf76de4dc798427b6b92e3b6cd5ad1f8cab206d4b735ecb3b813684719150425fda24e993bae6e35b9c97a35b632e",
	},
}

// vectorPair builds an initiator and a responder device with the vector
// keys, scripted randomness and a clock at Unix 1700000000.
func vectorPair(t *testing.T, psk string) (ini, res *Device, iniPeer, resPeer *Peer, iniRand, resRand *scriptedRand) {
	t.Helper()
	clk := clocktest.New(time.Unix(1700000000, 0))
	iniRand, resRand = &scriptedRand{}, &scriptedRand{}
	net := conntest.NewNetwork()
	mk := func(r *scriptedRand, addr string) *Device {
		d := NewDevice(tuntest.New(1420), net.NewBind(netip.MustParseAddr(addr)), Options{Clock: clk, Rand: r})
		t.Cleanup(func() { d.Close() })
		return d
	}
	ini, res = mk(iniRand, "192.0.2.1"), mk(resRand, "192.0.2.2")
	var pskKey wgtypes.Key
	if psk != "" {
		pskKey = hexKey(t, psk)
	}
	siPriv, srPriv := hexKey(t, vecSiPriv), hexKey(t, vecSrPriv)
	if err := ini.Set(wgtypes.Config{PrivateKey: &siPriv, Peers: []wgtypes.PeerConfig{{PublicKey: hexKey(t, vecSrPub), PresharedKey: &pskKey}}}); err != nil {
		t.Fatal(err)
	}
	if err := res.Set(wgtypes.Config{PrivateKey: &srPriv, Peers: []wgtypes.PeerConfig{{PublicKey: hexKey(t, vecSiPub), PresharedKey: &pskKey}}}); err != nil {
		t.Fatal(err)
	}
	return ini, res, ini.lookupPeer(hexKey(t, vecSrPub)), res.lookupPeer(hexKey(t, vecSiPub)), iniRand, resRand
}

func TestNoiseVectors(t *testing.T) {
	for _, tc := range vectorCases {
		t.Run(tc.name, func(t *testing.T) {
			ini, res, iniPeer, resPeer, iniRand, resRand := vectorPair(t, tc.psk)
			now := ini.now()

			iniRand.buf.Write(unhex(t, vecEiPriv))
			iniRand.buf.Write([]byte{0x44, 0x33, 0x22, 0x11})
			var initiation [initiationSize]byte
			if err := ini.createInitiation(iniPeer, &initiation); err != nil {
				t.Fatal(err)
			}
			iniPeer.cookies.addMACs(initiation[:], now)
			if got := hex.EncodeToString(initiation[:]); got != vecInitiation {
				t.Fatalf("initiation:\n got %s\nwant %s", got, vecInitiation)
			}

			if !res.cookieChecker.checkMAC1(initiation[:]) {
				t.Fatal("responder rejects mac1")
			}
			if p := res.consumeInitiation(initiation[:], now); p != resPeer {
				t.Fatalf("consumeInitiation = %v, want the initiator's peer", p)
			}
			resRand.buf.Write([]byte{0x88, 0x77, 0x66, 0x55})
			resRand.buf.Write(unhex(t, vecErPriv))
			var response [responseSize]byte
			if err := res.createResponse(resPeer, &response); err != nil {
				t.Fatal(err)
			}
			resPeer.cookies.addMACs(response[:], now)
			if got := hex.EncodeToString(response[:]); got != tc.response {
				t.Fatalf("response:\n got %s\nwant %s", got, tc.response)
			}

			if !ini.cookieChecker.checkMAC1(response[:]) {
				t.Fatal("initiator rejects mac1")
			}
			if p := ini.consumeResponse(response[:]); p != iniPeer {
				t.Fatalf("consumeResponse = %v, want the responder's peer", p)
			}
			if err := ini.beginSession(iniPeer, now); err != nil {
				t.Fatal(err)
			}
			if err := res.beginSession(resPeer, now); err != nil {
				t.Fatal(err)
			}

			var nonce [chacha20poly1305.NonceSize]byte
			iniKP := iniPeer.keypairs.Current()
			buf := make([]byte, bufferSize)
			if got := hex.EncodeToString(seal(buf, 0, iniKP, 0, 1420, &nonce)); got != tc.keepalive {
				t.Errorf("keepalive:\n got %s\nwant %s", got, tc.keepalive)
			}
			// The responder's keypair waits in "next" until confirmed.
			resKP := resPeer.keypairs.next
			if resKP == nil || resPeer.keypairs.Current() != nil {
				t.Fatal("responder keypair not staged as next")
			}
			plain := unhex(t, "450000150000000040fd0000c0a80102c0a801012a")
			copy(buf[transportHeaderSize:], plain)
			if got := hex.EncodeToString(seal(buf, len(plain), resKP, 0, 1420, &nonce)); got != tc.data {
				t.Errorf("data:\n got %s\nwant %s", got, tc.data)
			}
		})
	}
}

func TestCookieVector(t *testing.T) {
	_, res, iniPeer, _, _, resRand := vectorPair(t, vecPSK)
	initiation := unhex(t, vecInitiation)
	// The initiator must have sent this initiation to accept a reply to it.
	iniPeer.cookies.addMACs(initiation, res.now())

	resRand.buf.Write(unhex(t, "ee46edcb3626ea0e2c0c108b6a55a34d15f6cfa083a203ff6a26c5ee4b411e82")) // secret
	resRand.buf.Write(unhex(t, "2163d246e502d0bfebf546ecc1b854949ba5573de6bcba25"))                 // nonce
	var reply [cookieReplySize]byte
	src := netip.MustParseAddrPort("192.0.2.1:51820")
	res.cookieChecker.createReply(&reply, initiation, src, res.now(), res.random)
	want := "03000000443322112163d246e502d0bfebf546ecc1b854949ba5573de6bcba2516345a43163f8035a8b03a02de755020a4659cf3893cd3a2699f4628f63782ea"
	if got := hex.EncodeToString(reply[:]); got != want {
		t.Fatalf("cookie reply:\n got %s\nwant %s", got, want)
	}
	if !iniPeer.cookies.consumeReply(reply[:], res.now()) {
		t.Fatal("initiator rejects the cookie reply")
	}
	if iniPeer.cookies.consumeReply(reply[:], res.now()) {
		t.Fatal("a second reply to the same mac1 was accepted")
	}
	iniPeer.cookies.addMACs(initiation, res.now())
	if got, want := hex.EncodeToString(initiation[initiationMAC2:]), "b220542fbd0661388535d41206b4a8fa"; got != want {
		t.Fatalf("mac2 = %s, want %s", got, want)
	}
	if !res.cookieChecker.checkMAC2(initiation, src, res.now()) {
		t.Fatal("responder rejects the mac2 made with its own cookie")
	}
	other := netip.MustParseAddrPort("192.0.2.1:51821")
	if res.cookieChecker.checkMAC2(initiation, other, res.now()) {
		t.Fatal("mac2 accepted from another source port")
	}
}

func TestKDFVectors(t *testing.T) {
	for _, tc := range []struct{ key, input, t1, t2, t3 string }{
		{"746573742d6b6579", "746573742d696e707574",
			"6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633",
			"df1194df20802a4fe594cde27e92991c8cae66c366e8106aaa937a55fa371e8a",
			"fac6e2745a325f5dc5d11a5b165aad08b0ada28e7b4e666b7c077934a4d76c24"},
		{"", "",
			"8387b46bf43eccfcf349552a095d8315c4055beb90208fb1be23b894bc2ed5d0",
			"58a0e5f6faefccf4807bff1f05fa8a9217945762040bcec2f4b4a62bdfe0e86e",
			"0ce6ea98ec548f8e281e93e32db65621c45eb18dc6f0a7ad94178610a2f7338e"},
	} {
		prk := hmacOf(unhex(t, tc.key), unhex(t, tc.input))
		t1 := hmacOf(prk[:], []byte{1})
		t2 := hmacOf(prk[:], t1[:], []byte{2})
		t3 := hmacOf(prk[:], t2[:], []byte{3})
		for i, got := range [][32]byte{t1, t2, t3} {
			if want := []string{tc.t1, tc.t2, tc.t3}[i]; hex.EncodeToString(got[:]) != want {
				t.Errorf("KDF(%q) T%d = %x, want %s", tc.key, i+1, got, want)
			}
		}
	}
	if got := hex.EncodeToString(initialChainKey[:]); got != "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36" {
		t.Errorf("C0 = %s", got)
	}
	if got := hex.EncodeToString(initialHash[:]); got != "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3" {
		t.Errorf("H0 = %s", got)
	}
}

func TestTAI64N(t *testing.T) {
	got := tai64n(time.Unix(1700000000, 0))
	if hex.EncodeToString(got[:]) != "400000006553f10a00000000" {
		t.Fatalf("tai64n = %x", got)
	}
	a := tai64n(time.Unix(1700000000, 1<<24-1)) // rounds down
	if a != got {
		t.Fatalf("nanoseconds below 2^24 not rounded away: %x", a)
	}
	b := tai64n(time.Unix(1700000000, 1<<24))
	if !timestampAfter(b, a) || timestampAfter(a, b) || timestampAfter(a, a) {
		t.Fatal("timestamp ordering wrong")
	}
}
