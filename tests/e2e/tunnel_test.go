package e2e_test

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wgshim/wgshim/core/wgtypes"
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
				// Full-MTU inner packets (1420 bytes, the daemons' default
				// MTU) with DF set: ICMP payload 1420-28 over IPv4 and
				// 1420-48 over IPv6. They fit the 1500-byte veth even with
				// an IPv6 outer header (1420+32+8+40 = 1500).
				ping(t, p.a.ns, p.b.inner4, "-M", "do", "-s", "1392")
				ping(t, p.b.ns, p.a.inner6, "-M", "do", "-s", "1372")
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
				// 18 echo requests and 18 replies crossed the tunnel each
				// way: at least 18*(84+32) bytes of transport data.
				for _, pr := range []struct {
					name string
					n    uint64
				}{{"a rx", pa.ReceiveBytes}, {"a tx", pa.TransmitBytes}, {"b rx", pb.ReceiveBytes}, {"b tx", pb.TransmitBytes}} {
					if pr.n < 18*(84+32) {
						t.Errorf("%s = %d bytes, want at least %d", pr.name, pr.n, 18*(84+32))
					}
				}
			})
		}
	}
}

// transfer sends size bytes over TCP from one namespace to an address in
// another with the xfer helper and checks that both ends saw the same
// number of bytes with the same SHA-256.
func transfer(t *testing.T, fromNS, toNS string, to netip.Addr, size int64, seed int) {
	t.Helper()
	addr := netip.AddrPortFrom(to, 5201).String()
	type result struct {
		out string
		err error
	}
	rc := make(chan result, 1)
	go func() {
		out, err := nsRunErr(toNS, bins["xfer"], "recv", "-listen", addr, "-timeout", "90s")
		rc <- result{out, err}
	}()
	start := time.Now()
	sent, err := nsRunErr(fromNS, bins["xfer"], "send", "-connect", addr,
		"-bytes", strconv.FormatInt(size, 10), "-seed", strconv.Itoa(seed), "-timeout", "90s")
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	elapsed := time.Since(start)
	r := <-rc
	if r.err != nil {
		t.Fatalf("receive: %v", r.err)
	}
	want := fmt.Sprintf("%d ", size)
	if !strings.HasPrefix(sent, want) {
		t.Fatalf("sender reports %q, want %d bytes", sent, size)
	}
	if r.out != sent {
		t.Fatalf("receiver got %q, sender sent %q", strings.TrimSpace(r.out), strings.TrimSpace(sent))
	}
	t.Logf("%d MiB from %s to %v in %v (%.2f Gbit/s), sha256 %s", size>>20, fromNS, to,
		elapsed.Round(time.Millisecond), float64(size)*8/elapsed.Seconds()/1e9, strings.Fields(sent)[1][:16])
}

// TestBulkTCP moves 100 MiB through the tunnel over TCP and compares the
// SHA-256 of what was sent and received; against wireguard-go it does so in
// both directions.
func TestBulkTCP(t *testing.T) {
	requireEnv(t)
	const size = 100 << 20
	for i, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			p := newPair(t, v.a, v.b, false)
			ping(t, p.a.ns, p.b.inner4)
			rx0 := p.b.peer(t, p.a.pub).ReceiveBytes
			transfer(t, p.a.ns, p.b.ns, p.b.inner4, size, 2*i+1)
			if rx := p.b.peer(t, p.a.pub).ReceiveBytes - rx0; rx < size {
				t.Errorf("b: rx_bytes grew by %d, want at least %d", rx, size)
			}
			if v.a != v.b {
				tx0 := p.b.peer(t, p.a.pub).TransmitBytes
				transfer(t, p.b.ns, p.a.ns, p.a.inner4, size, 2*i+2)
				if tx := p.b.peer(t, p.a.pub).TransmitBytes - tx0; tx < size {
					t.Errorf("b: tx_bytes grew by %d, want at least %d", tx, size)
				}
			}
		})
	}
}

// TestRoaming moves the client's (b's) outer address to another IP on its
// veth: traffic continues both ways and the server (a, wgshim) shows the
// new endpoint in wg show dump.
//
// The client's daemon has been sending from the old address (a sticky
// source); once it is gone the send must fall back to a source the kernel
// picks. Over IPv4 and IPv6 outer transport.
func TestRoaming(t *testing.T) {
	requireEnv(t)
	for _, v := range variants {
		for _, outer := range []struct {
			name           string
			v6             bool
			old, new, want string
		}{
			{"outer4", false, "192.168.241.2/24", "192.168.241.3/24", "192.168.241.3:51821"},
			{"outer6", true, "fdaa::2/64", "fdaa::3/64", "[fdaa::3]:51821"},
		} {
			t.Run(v.name+"/"+outer.name, func(t *testing.T) {
				p := newPair(t, v.a, v.b, outer.v6)
				ping(t, p.b.ns, p.a.inner4)
				if got, want := p.a.dumpEndpoint(t, p.b.pub), p.b.endpoint(outer.v6).String(); got != want {
					t.Fatalf("before: endpoint of b = %s, want %s", got, want)
				}
				// Keep the IPv4 subnet route when the old (primary)
				// address goes.
				nsRun(t, p.b.ns, "sysctl", "-q", "-w", "net.ipv4.conf.all.promote_secondaries=1")
				nsRun(t, p.b.ns, "sysctl", "-q", "-w", "net.ipv4.conf."+p.b.veth+".promote_secondaries=1")
				run(t, "ip", "-n", p.b.ns, "addr", "add", outer.new, "dev", p.b.veth, "nodad")
				run(t, "ip", "-n", p.b.ns, "addr", "del", outer.old, "dev", p.b.veth)
				ping(t, p.b.ns, p.a.inner4)
				ping(t, p.b.ns, p.a.inner6)
				if got := p.a.dumpEndpoint(t, p.b.pub); got != outer.want {
					t.Errorf("after: wg show dump endpoint of b = %s, want %s", got, outer.want)
				}
				if got := p.a.peer(t, p.b.pub).Endpoint.String(); got != outer.want {
					t.Errorf("after: uapi endpoint of b = %s, want %s", got, outer.want)
				}
				ping(t, p.a.ns, p.b.inner4)
			})
		}
	}
}

// TestPersistentKeepalive sets a 1 s keepalive on b's peer and watches
// keepalives (32-byte transport messages) arrive on an idle tunnel at that
// interval; with the keepalive off again, the counters stand still.
func TestPersistentKeepalive(t *testing.T) {
	requireEnv(t)
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel() // mostly sleeping
			p := newPair(t, v.a, v.b, false)
			p.b.set(t, wgtypes.Config{Peers: []wgtypes.PeerConfig{{
				PublicKey: p.a.pub, UpdateOnly: true, PersistentKeepalive: ptr[uint16](1)}}})
			// Turning the keepalive on sends one at once, which needs a
			// handshake first.
			if !waitFor(5*time.Second, func() bool { return !p.a.peer(t, p.b.pub).LastHandshakeTime.IsZero() }) {
				t.Fatal("no handshake within 5s of turning the keepalive on")
			}
			if f := strings.Split(p.b.dump(t)[1], "\t"); f[7] != "1" {
				t.Errorf("b: wg show dump persistent-keepalive = %q, want 1", f[7])
			}
			// Start counting once a retried handshake would be over:
			// wireguard-go sometimes re-initiates after REKEY_TIMEOUT on a
			// link this fast (its retransmit timer is armed after the
			// response was already processed), which adds 148+92 bytes.
			time.Sleep(6 * time.Second)
			rx0, tx0 := p.a.peer(t, p.b.pub).ReceiveBytes, p.b.peer(t, p.a.pub).TransmitBytes
			const window = 5 * time.Second
			time.Sleep(window)
			rx1, tx1 := p.a.peer(t, p.b.pub).ReceiveBytes, p.b.peer(t, p.a.pub).TransmitBytes
			// One keepalive a second: 5 in the window, allow one either
			// way for timer slack and the sampling edges.
			for _, c := range []struct {
				name  string
				delta uint64
			}{{"a rx", rx1 - rx0}, {"b tx", tx1 - tx0}} {
				if c.delta < 4*32 || c.delta > 6*32 {
					t.Errorf("%s moved %d bytes in %v, want %d..%d (4..6 keepalives of 32 bytes)",
						c.name, c.delta, window, 4*32, 6*32)
				}
			}

			p.b.set(t, wgtypes.Config{Peers: []wgtypes.PeerConfig{{
				PublicKey: p.a.pub, UpdateOnly: true, PersistentKeepalive: ptr[uint16](0)}}})
			time.Sleep(1500 * time.Millisecond)
			rx0, tx0 = p.a.peer(t, p.b.pub).ReceiveBytes, p.b.peer(t, p.a.pub).TransmitBytes
			time.Sleep(3 * time.Second)
			rx1, tx1 = p.a.peer(t, p.b.pub).ReceiveBytes, p.b.peer(t, p.a.pub).TransmitBytes
			if rx1 != rx0 || tx1 != tx0 {
				t.Errorf("keepalive off: a rx moved %d bytes, b tx %d, want 0", rx1-rx0, tx1-tx0)
			}
		})
	}
}
