//go:build windows

package bind

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/wgshim/wgshim/core/conn"
)

// TestLoopback sends a batch through the real bind to itself over
// 127.0.0.1 and ::1 and checks that every datagram comes back intact and
// in order, whether or not this Windows segments and coalesces.
func TestLoopback(t *testing.T) {
	b := New().(*Bind)
	fns, port, err := b.Open(0)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	socks := b.socks.Load()
	type family struct {
		name string
		s    *socket
		addr netip.Addr
		fn   conn.ReceiveFunc
	}
	var fams []family
	i := 0
	if socks.v4 != nil {
		fams = append(fams, family{"ipv4", socks.v4, netip.MustParseAddr("127.0.0.1"), fns[i]})
		i++
	}
	if socks.v6 != nil {
		fams = append(fams, family{"ipv6", socks.v6, netip.IPv6Loopback(), fns[i]})
	}
	for _, f := range fams {
		t.Run(f.name, func(t *testing.T) {
			// 20 equal datagrams, a shorter one, then three of another size.
			sizes := append(repeat(20, 1200), 700, 900, 900, 900)
			bufs := datagrams(sizes...)
			ep := b.Endpoint(netip.AddrPortFrom(f.addr, port))
			if err := b.Send(bufs, testOffset, ep); err != nil {
				t.Fatal(err)
			}
			got := make(chan [][]byte, 1)
			errc := make(chan error, 1)
			go func() {
				var out [][]byte
				packets, rsizes, eps := recvBufs(batchSize, 2000)
				for len(out) < len(sizes) {
					n, err := f.fn(packets, rsizes, eps)
					if err != nil {
						errc <- err
						return
					}
					for k := range n {
						if eps[k].Dst().Port() != port {
							errc <- errors.New("datagram from " + eps[k].Dst().String())
							return
						}
						out = append(out, bytes.Clone(packets[k][:rsizes[k]]))
					}
				}
				got <- out
			}()
			select {
			case out := <-got:
				for k, buf := range bufs {
					if !bytes.Equal(out[k], buf[testOffset:]) {
						t.Fatalf("datagram %d: %d bytes, want %d", k, len(out[k]), len(buf)-testOffset)
					}
				}
			case err := <-errc:
				t.Fatal(err)
			case <-time.After(5 * time.Second):
				t.Fatal("timed out waiting for the datagrams")
			}
			t.Logf("USO %v (segmented writes %d, fallbacks %d), URO %v (coalesced reads %d, without info %d)",
				f.s.uso.Load(), f.s.usoSends.Load(), f.s.usoFallbacks.Load(),
				f.s.uro, f.s.uroReads.Load(), f.s.uroBroken.Load())
		})
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := fns[0](make([][]byte, 1), make([]int, 1), make([]conn.Endpoint, 1)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("receive after Close = %v, want net.ErrClosed", err)
	}
}
