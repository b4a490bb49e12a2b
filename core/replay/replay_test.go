package replay

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

type step struct {
	counter uint64
	want    bool
}

// seq returns steps accepting (or refusing) every counter from first
// towards last inclusive, counting down when last < first.
func seq(first, last uint64, want bool) []step {
	var s []step
	for c := first; ; {
		s = append(s, step{c, want})
		if c == last {
			return s
		}
		if last > first {
			c++
		} else {
			c--
		}
	}
}

func cat(parts ...[]step) []step {
	var s []step
	for _, p := range parts {
		s = append(s, p...)
	}
	return s
}

// TestKernelSequences ports the replay-counter selftest of the Linux driver
// (selftest/counter.c), with this package's window and limit.
func TestKernelSequences(t *testing.T) {
	const (
		W   = WindowSize
		LIM = W + 1
		R   = RejectAfterMessages
	)
	if W != 8128 {
		t.Fatalf("WindowSize = %d, want 8128", W)
	}
	if R != 18446744073709543423 {
		t.Fatalf("RejectAfterMessages = %d, want 18446744073709543423", uint64(R))
	}
	y := func(c uint64) step { return step{c, true} }
	n := func(c uint64) step { return step{c, false} }
	tests := []struct {
		name  string
		steps []step
	}{
		{"conformance", []step{
			y(0), y(1), n(1), y(9), y(8), y(7), n(7), y(LIM), y(LIM - 1), n(LIM - 1),
			y(LIM - 2), y(2), n(2), y(LIM + 16), n(3), n(LIM + 16), y(4 * LIM),
			y(4*LIM - (LIM - 1)), n(10), n(4*LIM - LIM), n(4*LIM - (LIM + 1)),
			y(4*LIM - (LIM - 2)), n(4*LIM + 1 - LIM), n(0), n(R), y(R - 1), n(R),
			n(R - 1), y(R - 2), n(R + 1), n(R + 2), n(R - 2), y(R - 3), n(0),
		}},
		{"1..W then 0", cat(seq(1, W, true), []step{y(0), n(0)})},
		{"2..W+1 then 1", cat(seq(2, W+1, true), []step{y(1), n(0)})},
		{"W down to 0", seq(W, 0, true)},
		{"W+1 down to 1", cat(seq(W+1, 1, true), []step{n(0)})},
		{"W down to 1 then W+1", cat(seq(W, 1, true), []step{y(W + 1), n(0)})},
		{"W down to 1 then 0", cat(seq(W, 1, true), []step{y(0), y(W + 1)})},
		{"max uint64", []step{n(1<<64 - 1), y(0), n(1<<64 - 1), y(5)}},
		{"jump of whole ring clears it", []step{
			y(100), y(100 + 8192), y(100 + 2*8192), n(100 + 2*8192), y(100 + 2*8192 - W),
			n(100 + 2*8192 - W - 1), n(100 + 8192),
		}},
		{"same word slot after exact ring length", []step{
			y(64), y(64 + 8192), n(64 + 8192), y(64 + 8192 - 64), n(64),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Filter
			for i, s := range tt.steps {
				if got := f.ValidateCounter(s.counter, RejectAfterMessages); got != s.want {
					t.Fatalf("step %d: ValidateCounter(%d) = %v, want %v", i, s.counter, got, s.want)
				}
			}
		})
	}
}

func TestLimit(t *testing.T) {
	tests := []struct {
		name  string
		limit uint64
		steps []step
	}{
		{"zero limit refuses all", 0, []step{{0, false}, {1, false}}},
		{"small limit", 3, []step{{3, false}, {2, true}, {0, true}, {1, true}, {2, false}, {4, false}}},
		{"refused counter is not recorded", 10, []step{{10, false}, {9, true}, {8, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Filter
			for i, s := range tt.steps {
				if got := f.ValidateCounter(s.counter, tt.limit); got != s.want {
					t.Fatalf("step %d: ValidateCounter(%d, %d) = %v, want %v", i, s.counter, tt.limit, got, s.want)
				}
			}
		})
	}
}

func TestReset(t *testing.T) {
	var f Filter
	for _, c := range []uint64{0, 1, 5000, 20000} {
		if !f.ValidateCounter(c, RejectAfterMessages) {
			t.Fatalf("fresh counter %d refused", c)
		}
	}
	f.Reset()
	if f != (Filter{}) {
		t.Fatal("Reset did not return the filter to its zero value")
	}
	for _, c := range []uint64{0, 1, 5000, 20000} {
		if !f.ValidateCounter(c, RejectAfterMessages) {
			t.Fatalf("counter %d refused after Reset", c)
		}
	}
}

// model is the obvious replay window: a set of every counter ever accepted
// and the greatest of them.
type model struct {
	seen    map[uint64]bool
	last    uint64
	started bool
}

func (m *model) validate(c, limit uint64) bool {
	if c >= limit {
		return false
	}
	if m.started && c < m.last && m.last-c > WindowSize {
		return false
	}
	if m.seen[c] {
		return false
	}
	if m.seen == nil {
		m.seen = make(map[uint64]bool)
	}
	m.seen[c] = true
	if !m.started || c > m.last {
		m.last = c
	}
	m.started = true
	return true
}

// randomCounters returns n counters around a slowly advancing head, with
// duplicates, stragglers near the window edge, big jumps and values near
// the limit, which is where a ring implementation can go wrong.
func randomCounters(r *rand.Rand, n int) []uint64 {
	out := make([]uint64, 0, n)
	var head uint64
	for range n {
		var c uint64
		switch k := r.IntN(100); {
		case k < 50: // mostly in order
			head += uint64(r.IntN(3))
			c = head
		case k < 75: // reordered, inside the window
			c = head - uint64(r.IntN(WindowSize+1))
		case k < 85: // around the window edge
			c = head - WindowSize - 64 + uint64(r.IntN(129))
		case k < 90: // ahead, possibly by more than a ring
			head += uint64(r.IntN(3 * ringWords * wordBits))
			c = head
		case k < 95: // an exact duplicate of a recent one
			if len(out) > 0 {
				c = out[len(out)-1-r.IntN(min(len(out), 50))]
			}
		default: // near the end of the counter space
			if r.IntN(20) == 0 {
				head = RejectAfterMessages - uint64(r.IntN(3*WindowSize))
			}
			c = head + uint64(r.IntN(64))
		}
		if c > head && c < RejectAfterMessages {
			head = c
		}
		out = append(out, c)
	}
	return out
}

func TestDifferential(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 0x5eed))
			limit := uint64(RejectAfterMessages)
			if seed%4 == 0 {
				limit = uint64(r.IntN(200000))
			}
			var f Filter
			var m model
			accepted := 0
			for i, c := range randomCounters(r, 20000) {
				got, want := f.ValidateCounter(c, limit), m.validate(c, limit)
				if got != want {
					t.Fatalf("op %d: ValidateCounter(%d, %d) = %v, model says %v (last=%d)", i, c, limit, got, want, m.last)
				}
				if got {
					accepted++
				}
			}
			// The generator must exercise both outcomes, or this test
			// proves nothing.
			if accepted == 0 || accepted == 20000 {
				t.Fatalf("accepted %d of 20000: generator is degenerate", accepted)
			}
		})
	}
}

func TestZeroAllocs(t *testing.T) {
	var f Filter
	var c uint64
	allocs := testing.AllocsPerRun(1000, func() {
		c += 3
		f.ValidateCounter(c, RejectAfterMessages)
		f.ValidateCounter(c-2, RejectAfterMessages)
	})
	if allocs != 0 {
		t.Fatalf("ValidateCounter allocates %v times per call", allocs)
	}
}

func FuzzFilter(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("\xc1\x1f\x00\x00\x00\x00\x00\x00\xc0\x1f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("\xff\xdf\xff\xff\xff\xff\xff\xff\xfe\xdf\xff\xff\xff\xff\xff\xff\x00\x20\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var flt Filter
		var m model
		var prev uint64
		for i := 0; len(data) > 0; i++ {
			// Each op is a tag byte then a little-endian delta; small
			// deltas relative to the previous counter keep the fuzzer
			// near the window where the interesting cases are.
			tag := data[0]
			data = data[1:]
			var d uint64
			nb := min(int(tag&7)+1, len(data))
			for j := range nb {
				d |= uint64(data[j]) << (8 * j)
			}
			data = data[nb:]
			var c uint64
			switch tag >> 6 {
			case 0:
				c = d
			case 1:
				c = prev + d
			case 2:
				c = prev - d
			default:
				c = RejectAfterMessages - d
			}
			prev = c
			got, want := flt.ValidateCounter(c, RejectAfterMessages), m.validate(c, RejectAfterMessages)
			if got != want {
				t.Fatalf("op %d: ValidateCounter(%d) = %v, model says %v", i, c, got, want)
			}
		}
	})
}

func BenchmarkValidateCounter(b *testing.B) {
	b.Run("in-order", func(b *testing.B) {
		b.ReportAllocs()
		var f Filter
		for i := range b.N {
			f.ValidateCounter(uint64(i), RejectAfterMessages)
		}
	})
	b.Run("reordered", func(b *testing.B) {
		b.ReportAllocs()
		var f Filter
		for i := range b.N {
			// Swap neighbours in groups of 8: a typical multi-queue
			// reordering.
			c := uint64(i) ^ 7
			f.ValidateCounter(c, RejectAfterMessages)
		}
	})
}
