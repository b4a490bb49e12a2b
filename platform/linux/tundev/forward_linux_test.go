package tundev

import (
	"net/netip"
	"os"
	"testing"
	"time"
)

// The kernel forwards packets from 10.9.0.2 to 10.9.0.3 back out of wgt0,
// so what Write hands it comes back through Read: a coalesced TCP frame
// returns as a GSO frame to split (GRO'd packets keep their GSO state when
// forwarded).

type forwardRig struct {
	d          *Device
	orig, bufs [][]byte
	rbufs      [][]byte
	sizes      []int
	want       int // packets per round
}

func newForwardRig(t testing.TB, segs int) *forwardRig {
	// Segments of 1360 bytes fit the 1420 MTU with IPv4 and TCP headers
	// (timestamps), else the kernel would refuse to forward them.
	d := setup(t, levelUSO)
	for _, kv := range [][2]string{
		{"/proc/sys/net/ipv4/ip_forward", "1"},
		{"/proc/sys/net/ipv4/conf/all/send_redirects", "0"},
		{"/proc/sys/net/ipv4/conf/wgt0/send_redirects", "0"},
	} {
		if err := os.WriteFile(kv[0], []byte(kv[1]), 0); err != nil {
			t.Fatal(err)
		}
	}
	base := defaultTCP4()
	base.src, base.dst = netip.MustParseAddr("10.9.0.2"), netip.MustParseAddr("10.9.0.3")
	r := &forwardRig{d: d, orig: segments(base, segs, 1360, 0), want: segs}
	for _, p := range r.orig {
		r.bufs = append(r.bufs, append(make([]byte, devOffset, devOffset+len(p)), p...))
	}
	r.rbufs, r.sizes = makeBufs(BatchSize, devOffset+65536)
	// A lost packet would block Read forever; closing fails it instead.
	tm := time.AfterFunc(30*time.Second, func() { d.Close() })
	t.Cleanup(func() { tm.Stop() })
	return r
}

// round writes the segments and reads until as many came back; it
// returns the number of Read calls that returned some of them and the
// payload bytes seen.
func (r *forwardRig) round(t testing.TB) (reads, bytes int) {
	for i, p := range r.orig {
		copy(r.bufs[i][devOffset:], p[:60]) // Write rewrote the head's headers
	}
	if _, err := r.d.Write(r.bufs, devOffset); err != nil {
		t.Fatal(err)
	}
	got := 0
	for got < r.want {
		n, err := r.d.Read(r.rbufs, r.sizes, devOffset)
		if err != nil {
			t.Fatal(err)
		}
		before := got
		for i := range n {
			p := r.rbufs[i][devOffset : devOffset+r.sizes[i]]
			if toff, proto := transport(p); proto == protoTCP && p[19] == 3 {
				got++
				bytes += len(p) - toff - 32
			}
		}
		if got > before {
			reads++
		}
	}
	return reads, bytes
}

func TestDeviceForwardRoundTrip(t *testing.T) {
	r := newForwardRig(t, 40)
	reads, n := r.round(t)
	if n != 40*1360 {
		t.Fatalf("%d payload bytes came back, want %d", n, 40*1360)
	}
	if reads != 1 {
		t.Errorf("the coalesced frame came back in %d reads, want 1", reads)
	}
	for i := range 40 {
		p := r.rbufs[i][devOffset : devOffset+r.sizes[i]]
		checkValid(t, p)
		if p[8] != 63 {
			t.Fatalf("segment %d: TTL %d after forwarding", i, p[8])
		}
	}
	allocs := testing.AllocsPerRun(20, func() { r.round(t) })
	if allocs != 0 {
		t.Fatalf("Write+Read allocate %.1f times per round", allocs)
	}
}

func BenchmarkDeviceForward(b *testing.B) {
	r := newForwardRig(b, 44)
	b.ReportAllocs()
	b.SetBytes(44 * 1360)
	for b.Loop() {
		r.round(b)
	}
}
