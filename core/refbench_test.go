package core_test

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	wgconn "golang.zx2c4.com/wireguard/conn"
	wgdevice "golang.zx2c4.com/wireguard/device"
	wgtuntest "golang.zx2c4.com/wireguard/tun/tuntest"

	"github.com/wgshim/wgshim/core"
	"github.com/wgshim/wgshim/core/wgtypes"
)

// nullBind is a wireguard-go bind that sends nothing, for benchmarks that
// call its handshake functions directly.
type nullBind struct{}

func (nullBind) Open(uint16) ([]wgconn.ReceiveFunc, uint16, error) { return nil, 1, nil }
func (nullBind) Close() error                                      { return nil }
func (nullBind) SetMark(uint32) error                              { return nil }
func (nullBind) Send([][]byte, wgconn.Endpoint) error              { return nil }
func (nullBind) BatchSize() int                                    { return 1 }
func (nullBind) ParseEndpoint(s string) (wgconn.Endpoint, error) {
	ap, err := netip.ParseAddrPort(s)
	return wgEndpoint(ap), err
}

func init() {
	core.SetReferenceHandshakes(wireguardGoHandshakes)
}

// wireguardGoHandshakes prepares wireguard-go devices arranged like
// BenchmarkHandshake, 512 initiators and one responder so that its 20 ms
// per-peer flood guard (real time here) never fires, and returns a
// function that runs handshakes i..i+n-1 and returns the time taken.
func wireguardGoHandshakes(b *testing.B) func(i, n int) time.Duration {
	const initiators = 512
	newDev := func(k wgtypes.Key) *wgdevice.Device {
		d := wgdevice.NewDevice(wgtuntest.NewChannelTUN().TUN(), nullBind{}, wgdevice.NewLogger(wgdevice.LogLevelSilent, ""))
		b.Cleanup(d.Close)
		if err := d.IpcSet("private_key=" + k.Hex() + "\n"); err != nil {
			b.Fatal(err)
		}
		return d
	}
	resKey, _ := wgtypes.GeneratePrivateKey()
	res := newDev(resKey)
	var inis []*wgdevice.Device
	var iniPeers, resPeers []*wgdevice.Peer
	for range initiators {
		k, _ := wgtypes.GeneratePrivateKey()
		d := newDev(k)
		must(b, d.IpcSet("public_key="+resKey.PublicKey().Hex()+"\n"))
		must(b, res.IpcSet("public_key="+k.PublicKey().Hex()+"\n"))
		must(b, d.Up())
		inis = append(inis, d)
		iniPeers = append(iniPeers, d.LookupPeer(wgdevice.NoisePublicKey(resKey.PublicKey())))
		resPeers = append(resPeers, res.LookupPeer(wgdevice.NoisePublicKey(k.PublicKey())))
	}
	must(b, res.Up())
	return func(first, n int) time.Duration {
		start := time.Now()
		for i := first; i < first+n; i++ {
			k := i % initiators
			d, p := inis[k], iniPeers[k]
			msg, err := d.CreateMessageInitiation(p)
			if err != nil {
				b.Fatal(err)
			}
			if res.ConsumeMessageInitiation(msg) != resPeers[k] {
				b.Fatal(fmt.Sprintf("wireguard-go refused initiation %d", i))
			}
			resp, err := res.CreateMessageResponse(resPeers[k])
			if err != nil {
				b.Fatal(err)
			}
			if d.ConsumeMessageResponse(resp) != p {
				b.Fatal("wireguard-go refused the response")
			}
			must(b, p.BeginSymmetricSession())
			must(b, resPeers[k].BeginSymmetricSession())
		}
		return time.Since(start)
	}
}
