package core

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"
)

// FuzzMessages feeds arbitrary datagrams to a device with an established
// session: every message parser (initiation, response, cookie reply,
// transport) sees them. Nothing may panic, and no datagram may disturb the
// session: the tunnel must still carry data afterwards.
func FuzzMessages(f *testing.F) {
	// Seeds: one real message of every type, captured from a handshake.
	seeds := make(map[byte][]byte)
	tn := newTestNet(f, true)
	tn.net.SetFilter(func(from, to netip.AddrPort, p []byte) bool {
		if len(p) > 0 && seeds[p[0]] == nil {
			seeds[p[0]] = append([]byte(nil), p...)
		}
		return true
	})
	tn.b.dev.forceUnderLoad.Store(true) // yields a cookie reply too
	tn.a.tun.Inject(ipv4Packet(tn.a.inner4, tn.b.inner4, 1, 10))
	tn.settle()
	tn.b.dev.forceUnderLoad.Store(false)
	tn.advance(RekeyTimeout + rekeyJitterMax)
	tn.a.dev.Close()
	tn.b.dev.Close()
	for _, s := range seeds {
		f.Add(s)
	}
	f.Add([]byte{})
	f.Add(make([]byte, 148))

	f.Fuzz(func(t *testing.T, msg []byte) {
		tn := fuzzNet(t)
		atk := tn.attacker(t)
		send(t, atk, tn.b.udp, msg)
		// The same bytes as each message type, to reach every parser.
		if len(msg) >= 4 {
			for typ := uint32(1); typ <= 4; typ++ {
				m := append([]byte(nil), msg...)
				binary.LittleEndian.PutUint32(m, typ)
				send(t, atk, tn.b.udp, m)
			}
		}
		tn.settle()
		tn.ping(t, tn.a, tn.b, 2)
		tn.ping(t, tn.b, tn.a, 3)
	})
}

// fuzzNet is newTestNet with an established session, on virtual time so
// that nothing waits on timers.
func fuzzNet(t testing.TB) *testNet {
	tn := newTestNet(t, true)
	tn.handshake(t)
	tn.advance(time.Millisecond)
	return tn
}
