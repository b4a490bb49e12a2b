package e2e_test

import (
	"testing"
)

// TestPing pings both inner families in both directions, over IPv4 and
// IPv6 outer transport, and checks that each daemon reports the other's
// endpoint in the transport family used.
func TestPing(t *testing.T) {
	requireEnv(t)
	for _, v := range variants {
		for _, outer := range []struct {
			name string
			v6   bool
		}{{"outer4", false}, {"outer6", true}} {
			t.Run(v.name+"/"+outer.name, func(t *testing.T) {
				p := newPair(t, v.a, v.b, outer.v6)
				ping(t, p.a.ns, p.b.inner4)
				ping(t, p.a.ns, p.b.inner6)
				ping(t, p.b.ns, p.a.inner4)
				ping(t, p.b.ns, p.a.inner6)
				if got, want := p.a.dumpEndpoint(t, p.b.pub), p.b.endpoint(outer.v6).String(); got != want {
					t.Errorf("a: wg show dump endpoint of b = %s, want %s", got, want)
				}
				if got, want := p.b.dumpEndpoint(t, p.a.pub), p.a.endpoint(outer.v6).String(); got != want {
					t.Errorf("b: wg show dump endpoint of a = %s, want %s", got, want)
				}
				pa, pb := p.a.peer(t, p.b.pub), p.b.peer(t, p.a.pub)
				if pa.LastHandshakeTime.IsZero() || pb.LastHandshakeTime.IsZero() {
					t.Errorf("no handshake recorded: a %v, b %v", pa.LastHandshakeTime, pb.LastHandshakeTime)
				}
				// 12 echo requests and 12 replies crossed the tunnel each
				// way: at least 12*(84+32) bytes of transport data.
				for _, pr := range []struct {
					name string
					n    uint64
				}{{"a rx", pa.ReceiveBytes}, {"a tx", pa.TransmitBytes}, {"b rx", pb.ReceiveBytes}, {"b tx", pb.TransmitBytes}} {
					if pr.n < 12*(84+32) {
						t.Errorf("%s = %d bytes, want at least %d", pr.name, pr.n, 12*(84+32))
					}
				}
			})
		}
	}
}
