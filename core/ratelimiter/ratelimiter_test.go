package ratelimiter

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wgshim/wgshim/core/clock"
)

// fakeClock is a manually stepped clock. The limiter must never schedule a
// timer, so AfterFunc fails the test that reaches it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
	t   testing.TB
}

func newFakeClock(t testing.TB) *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), t: t}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) AfterFunc(time.Duration, func()) clock.Timer {
	c.t.Errorf("ratelimiter scheduled a timer; it must sweep lazily instead")
	return nil
}

func (l *Limiter) entries() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size()
}

const cost = time.Second / packetsPerSecond

// kernelSchedule is expected_results of the Linux driver's ratelimiter
// self-test (selftest/ratelimiter.c): a wait before each packet, and whether
// the packet from one source must be allowed.
var kernelSchedule = []struct {
	wait time.Duration
	want bool
}{
	{0, true}, {0, true}, {0, true}, {0, true}, {0, true}, // the burst
	{0, false},
	{cost, true},
	{0, false},
	{2 * cost, true},
	{0, true},
	{0, false},
}

// TestKernelSchedule runs the kernel's timing test on a fake clock: the
// tracked IPv4 source, and an IPv6 source whose low 64 bits change at every
// step (same /64, so same bucket), follow the schedule; a different IPv4
// address and a different /64 tried at each step are always allowed.
func TestKernelSchedule(t *testing.T) {
	c := newFakeClock(t)
	l := New(c)
	defer l.Close()

	v4 := netip.AddrFrom4([4]byte{0, 0, 0x1f, 0xf6}) // 8182, as in the kernel
	var v6base [16]byte
	binary.BigEndian.PutUint32(v6base[0:], 1212)
	binary.BigEndian.PutUint32(v6base[4:], 289188)

	for i, s := range kernelSchedule {
		c.Advance(s.wait)

		if got := l.Allow(v4); got != s.want {
			t.Fatalf("step %d: Allow(%v) = %v, want %v", i, v4, got, s.want)
		}
		other4 := netip.AddrFrom4([4]byte{0, 0, 0x1f, byte(0xf6 + i + 1)})
		if !l.Allow(other4) {
			t.Fatalf("step %d: fresh source %v refused", i, other4)
		}

		b := v6base
		binary.BigEndian.PutUint32(b[8:], uint32(i))
		binary.BigEndian.PutUint32(b[12:], uint32(i))
		v6 := netip.AddrFrom16(b)
		if got := l.Allow(v6); got != s.want {
			t.Fatalf("step %d: Allow(%v) = %v, want %v", i, v6, got, s.want)
		}
		binary.BigEndian.PutUint32(b[0:], 1212+uint32(i)+1)
		other6 := netip.AddrFrom16(b)
		if !l.Allow(other6) {
			t.Fatalf("step %d: fresh /64 %v refused", i, other6)
		}
	}
}

// TestBucket checks the arithmetic at its edges with one source.
func TestBucket(t *testing.T) {
	type op struct {
		wait time.Duration
		want bool
	}
	burst := []op{{0, true}, {0, true}, {0, true}, {0, true}, {0, true}, {0, false}}
	tests := []struct {
		name string
		ops  []op
	}{
		{"burst then refuse", burst},
		{"exactly one cost refills one packet", append(burst[:6:6], op{cost, true}, op{0, false})},
		{"one nanosecond short is refused", append(burst[:6:6], op{cost - 1, false}, op{1, true}, op{0, false})},
		{"refused packets do not consume", append(burst[:6:6], op{0, false}, op{0, false}, op{cost, true})},
		{"steady 20 per second is sustained", append(burst[:6:6],
			op{cost, true}, op{cost, true}, op{cost, true}, op{cost, true}, op{cost, true},
			op{cost, true}, op{cost, true}, op{cost, true}, op{cost, true}, op{cost, true})},
		{"faster than 20 per second is not", append(burst[:6:6],
			op{cost / 2, false}, op{cost / 2, true}, op{cost / 2, false}, op{cost / 2, true})},
		{"long idle refills to the burst only", append(burst[:6:6],
			op{time.Hour, true}, op{0, true}, op{0, true}, op{0, true}, op{0, true}, op{0, false})},
		{"idle longer than the sweep age behaves as new", append(burst[:6:6],
			op{3 * time.Second, true}, op{0, true}, op{0, true}, op{0, true}, op{0, true}, op{0, false})},
		{"partial refill", append(burst[:6:6],
			op{3 * cost, true}, op{0, true}, op{0, true}, op{0, false})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newFakeClock(t)
			l := New(c)
			defer l.Close()
			ip := netip.MustParseAddr("192.0.2.1")
			for i, o := range tt.ops {
				c.Advance(o.wait)
				if got := l.Allow(ip); got != o.want {
					t.Fatalf("op %d (after %v): Allow = %v, want %v", i, o.wait, got, o.want)
				}
			}
		})
	}
}

// TestGrouping checks which addresses share a bucket: each IPv4 address
// has its own, IPv6 addresses share per /64, an IPv4-mapped address is its
// IPv4 address, and zones do not matter.
func TestGrouping(t *testing.T) {
	tests := []struct {
		name   string
		a, b   string
		shared bool
	}{
		{"v4 neighbours", "192.0.2.1", "192.0.2.2", false},
		{"v4 same", "192.0.2.1", "192.0.2.1", true},
		{"v6 same /64", "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true},
		{"v6 next /64", "2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{"v6 differs in bit 63", "2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{"v4-mapped is v4", "::ffff:192.0.2.1", "192.0.2.1", true},
		{"v4 vs v6 with the same low bits", "0.0.0.0", "::", false},
		{"v4 vs v4-compatible v6", "192.0.2.1", "::c000:201", false},
		{"zone ignored", "fe80::1%eth0", "fe80::2%eth1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newFakeClock(t)
			l := New(c)
			defer l.Close()
			a, b := netip.MustParseAddr(tt.a), netip.MustParseAddr(tt.b)
			for i := 0; i < packetsBurstable; i++ {
				if !l.Allow(a) {
					t.Fatalf("burst packet %d from %v refused", i, a)
				}
			}
			if got := l.Allow(b); got == tt.shared {
				t.Fatalf("after exhausting %v, Allow(%v) = %v; want shared bucket = %v", a, b, got, tt.shared)
			}
		})
	}
}

func TestInvalidAddr(t *testing.T) {
	l := New(newFakeClock(t))
	defer l.Close()
	if l.Allow(netip.Addr{}) {
		t.Fatal("zero Addr allowed")
	}
	if n := l.entries(); n != 0 {
		t.Fatalf("zero Addr created %d entries", n)
	}
}

func TestGC(t *testing.T) {
	c := newFakeClock(t)
	l := New(c)
	defer l.Close()

	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}) }
	for i := 0; i < 100; i++ {
		l.Allow(addr(i))
	}
	if n := l.entries(); n != 100 {
		t.Fatalf("table has %d entries, want 100", n)
	}

	// Keep the first ten busy; the rest go idle.
	c.Advance(600 * time.Millisecond)
	for i := 0; i < 10; i++ {
		l.Allow(addr(i))
	}
	// 1 s after their last packet: exactly 1 s idle is kept (the kernel
	// drops entries idle for more than a second).
	c.Advance(400 * time.Millisecond)
	l.Allow(addr(1000))
	if n := l.entries(); n != 101 {
		t.Fatalf("after exactly 1 s idle: %d entries, want 101", n)
	}
	// Sweeps happen at most once a second, so nothing is dropped yet even
	// though 90 entries are now past the idle limit.
	c.Advance(time.Millisecond)
	l.Allow(addr(1000))
	if n := l.entries(); n != 101 {
		t.Fatalf("sweep ran early: %d entries, want 101", n)
	}
	c.Advance(999 * time.Millisecond)
	l.Allow(addr(1001))
	// Now 2 s since the idle ones were seen, 1.4 s since the busy ones:
	// only addr(1000) (seen 1 s ago) survives, plus the new addr(1001).
	if n := l.entries(); n != 2 {
		t.Fatalf("after sweep: %d entries, want 2", n)
	}
}

func TestCapacity(t *testing.T) {
	c := newFakeClock(t)
	l := New(c)
	defer l.Close()

	addr := func(i int) netip.Addr {
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], uint32(i))
		return netip.AddrFrom4(a)
	}
	// The kernel's capacity test: max_entries new sources are allowed, the
	// next one is refused.
	for i := 0; i <= MaxEntries; i++ {
		if got, want := l.Allow(addr(i)), i != MaxEntries; got != want {
			t.Fatalf("source %d: Allow = %v, want %v", i, got, want)
		}
	}
	// Known sources keep their buckets while the table is full.
	if !l.Allow(addr(7)) {
		t.Fatal("known source refused while table full")
	}
	// Once they idle out, room is made again.
	c.Advance(1500 * time.Millisecond)
	if !l.Allow(addr(MaxEntries + 1)) {
		t.Fatal("new source refused after the table went idle")
	}
	if n := l.entries(); n != 1 {
		t.Fatalf("table has %d entries after sweep, want 1", n)
	}
}

func TestClose(t *testing.T) {
	l := New(newFakeClock(t))
	ip := netip.MustParseAddr("192.0.2.1")
	if !l.Allow(ip) {
		t.Fatal("first packet refused")
	}
	l.Close()
	if l.Allow(ip) || l.Allow(netip.MustParseAddr("2001:db8::1")) {
		t.Fatal("Allow returned true after Close")
	}
	l.Close() // idempotent
}

// TestConcurrent hammers one limiter from many goroutines. With the clock
// stopped, each source gets exactly its burst no matter how calls
// interleave; run with -race to check the locking.
func TestConcurrent(t *testing.T) {
	c := newFakeClock(t)
	l := New(c)
	defer l.Close()

	const (
		goroutines = 8
		sources    = 50
		perSource  = 20 // attempts per goroutine per source
	)
	var allowed [sources]atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perSource; i++ {
				for s := 0; s < sources; s++ {
					var ip netip.Addr
					if s%2 == 0 {
						ip = netip.AddrFrom4([4]byte{198, 51, 100, byte(s)})
					} else {
						// Vary the interface identifier: same /64.
						ip = netip.MustParseAddr(fmt.Sprintf("2001:db8:0:%x::%x", s, g*1000+i))
					}
					if l.Allow(ip) {
						allowed[s].Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	for s := range allowed {
		if n := allowed[s].Load(); n != packetsBurstable {
			t.Errorf("source %d: %d packets allowed, want the burst of %d", s, n, packetsBurstable)
		}
	}

	// And with time moving concurrently: no more than burst + elapsed/cost
	// packets may pass for one source.
	ip := netip.MustParseAddr("203.0.113.9")
	var n atomic.Int64
	start := c.Now()
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if g == 0 {
					c.Advance(cost / 4)
				}
				if l.Allow(ip) {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := c.Now().Sub(start)
	limit := int64(packetsBurstable) + int64(elapsed/cost)
	if got := n.Load(); got > limit || got < int64(packetsBurstable) {
		t.Fatalf("%d packets allowed over %v, want between %d and %d", got, elapsed, packetsBurstable, limit)
	}
}

func TestNoAllocs(t *testing.T) {
	c := newFakeClock(t)
	l := New(c)
	defer l.Close()
	v4 := netip.MustParseAddr("192.0.2.1")
	v6 := netip.MustParseAddr("2001:db8::1")
	l.Allow(v4)
	l.Allow(v6)
	if n := testing.AllocsPerRun(1000, func() {
		c.Advance(cost)
		l.Allow(v4)
		l.Allow(v6)
	}); n != 0 {
		t.Fatalf("Allow of known sources allocates %v times per call", n)
	}
}

func BenchmarkAllow(b *testing.B) {
	b.Run("known", func(b *testing.B) {
		b.ReportAllocs()
		l := New(clock.Real)
		defer l.Close()
		ip := netip.MustParseAddr("2001:db8::1")
		for i := 0; i < b.N; i++ {
			l.Allow(ip)
		}
	})
	b.Run("parallel-many", func(b *testing.B) {
		b.ReportAllocs()
		l := New(clock.Real)
		defer l.Close()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				l.Allow(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}))
				i++
			}
		})
	})
}
