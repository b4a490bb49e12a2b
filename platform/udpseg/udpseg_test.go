package udpseg

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// Limits of the Linux UDP GSO path, which the tests use as realistic
// defaults: 64 segments, and an IPv4 packet's length field.
const (
	testMaxSegs  = 64
	testMaxBytes = 0xffff - 20 - 8
)

func bufsOfSizes(offset int, sizes ...int) [][]byte {
	out := make([][]byte, len(sizes))
	for i, n := range sizes {
		out[i] = make([]byte, offset+n)
	}
	return out
}

func TestPlanSends(t *testing.T) {
	tests := []struct {
		name     string
		sizes    []int
		seg      bool
		maxSegs  int
		maxBytes int
		want     []Span
	}{
		{
			name:  "segmentation off: one send each",
			sizes: []int{100, 100, 100},
			want:  []Span{{0, 1, 100}, {1, 2, 100}, {2, 3, 100}},
		},
		{
			name:  "equal sizes coalesce",
			sizes: []int{100, 100, 100},
			seg:   true,
			want:  []Span{{0, 3, 100}},
		},
		{
			name:  "shorter last ends the group",
			sizes: []int{100, 100, 60, 100, 100},
			seg:   true,
			want:  []Span{{0, 3, 100}, {3, 5, 100}},
		},
		{
			name:  "longer one starts a new group",
			sizes: []int{100, 100, 150, 150},
			seg:   true,
			want:  []Span{{0, 2, 100}, {2, 4, 150}},
		},
		{
			name:    "segment limit",
			sizes:   []int{10, 10, 10, 10, 10},
			seg:     true,
			maxSegs: 2,
			want:    []Span{{0, 2, 10}, {2, 4, 10}, {4, 5, 10}},
		},
		{
			name:     "byte limit",
			sizes:    []int{40, 40, 40, 40},
			seg:      true,
			maxBytes: 100,
			want:     []Span{{0, 2, 40}, {2, 4, 40}},
		},
		{
			name:     "short tail must fit the byte limit too",
			sizes:    []int{40, 40, 30},
			seg:      true,
			maxBytes: 100,
			want:     []Span{{0, 2, 40}, {2, 3, 30}},
		},
		{
			name:  "empty datagrams go alone",
			sizes: []int{100, 0, 0, 100},
			seg:   true,
			want:  []Span{{0, 1, 100}, {1, 2, 0}, {2, 3, 0}, {3, 4, 100}},
		},
		{
			name:  "nothing",
			sizes: nil,
			seg:   true,
			want:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.maxSegs == 0 {
				tt.maxSegs = testMaxSegs
			}
			if tt.maxBytes == 0 {
				tt.maxBytes = testMaxBytes
			}
			const offset = 16
			got := PlanSends(bufsOfSizes(offset, tt.sizes...), offset, tt.seg, tt.maxSegs, tt.maxBytes, nil)
			if !slices.Equal(got, tt.want) {
				t.Errorf("PlanSends(%v) =\n%v\nwant\n%v", tt.sizes, got, tt.want)
			}
		})
	}
}

// checkPlan verifies the invariants a plan must satisfy for the kernel to
// accept it and for every datagram to go out exactly once, in order.
func checkPlan(t *testing.T, sizes []int, seg bool, maxSegs, maxBytes int, plan []Span) {
	t.Helper()
	next := 0
	for _, sp := range plan {
		if sp.Start != next || sp.End <= sp.Start {
			t.Fatalf("span %v does not continue at %d", sp, next)
		}
		next = sp.End
		n := sp.End - sp.Start
		if n == 1 {
			continue
		}
		if !seg {
			t.Fatalf("span %v coalesces with segmentation off", sp)
		}
		if n > maxSegs {
			t.Fatalf("span %v has %d > %d segments", sp, n, maxSegs)
		}
		total := 0
		for i := sp.Start; i < sp.End; i++ {
			total += sizes[i]
			last := i == sp.End-1
			if !last && sizes[i] != sp.Seg {
				t.Fatalf("span %v: datagram %d is %d bytes, want %d", sp, i, sizes[i], sp.Seg)
			}
			if last && (sizes[i] > sp.Seg || sizes[i] == 0) {
				t.Fatalf("span %v: last datagram %d is %d bytes", sp, i, sizes[i])
			}
		}
		if total > maxBytes {
			t.Fatalf("span %v carries %d > %d bytes", sp, total, maxBytes)
		}
	}
	if next != len(sizes) {
		t.Fatalf("plan covers %d of %d datagrams", next, len(sizes))
	}
}

func FuzzPlanSends(f *testing.F) {
	f.Add([]byte{100, 100, 100, 50, 0, 7}, true, uint8(3), uint16(300))
	f.Add([]byte{1, 1, 1, 1}, false, uint8(64), uint16(65000))
	f.Fuzz(func(t *testing.T, in []byte, seg bool, maxSegs uint8, maxBytes uint16) {
		if maxSegs == 0 || maxBytes == 0 {
			return
		}
		sizes := make([]int, len(in))
		for i, v := range in {
			sizes[i] = int(v) * 7
		}
		plan := PlanSends(bufsOfSizes(0, sizes...), 0, seg, int(maxSegs), int(maxBytes), nil)
		checkPlan(t, sizes, seg, int(maxSegs), int(maxBytes), plan)
	})
}

func TestPlanSendsRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var sizes []int
		for len(sizes) < 300 {
			run, size := 1+rng.IntN(80), rng.IntN(1500)
			for range run {
				sizes = append(sizes, size)
			}
		}
		plan := PlanSends(bufsOfSizes(0, sizes...), 0, true, testMaxSegs, testMaxBytes, nil)
		checkPlan(t, sizes, true, testMaxSegs, testMaxBytes, plan)
		if len(plan) >= len(sizes) {
			t.Fatalf("no coalescing for runs of equal sizes: %d sends for %d datagrams", len(plan), len(sizes))
		}
	}
}

func TestSplitSegments(t *testing.T) {
	data := make([]byte, 0, 3500)
	for i := range 3500 {
		data = append(data, byte(i/1000+1))
	}
	tests := []struct {
		name      string
		data      []byte
		seg, off  int
		nbufs     int
		bufSize   int
		wantSizes []int
		wantNext  int
	}{
		{name: "plain datagram", data: data[:700], nbufs: 4, bufSize: 2000, wantSizes: []int{700}, wantNext: 700},
		{name: "coalesced", data: data, seg: 1000, nbufs: 8, bufSize: 2000, wantSizes: []int{1000, 1000, 1000, 500}, wantNext: 3500},
		{name: "not enough buffers", data: data, seg: 1000, nbufs: 2, bufSize: 2000, wantSizes: []int{1000, 1000}, wantNext: 2000},
		{name: "resume", data: data, seg: 1000, off: 2000, nbufs: 8, bufSize: 2000, wantSizes: []int{1000, 500}, wantNext: 3500},
		{name: "small buffers truncate", data: data[:2000], seg: 1000, nbufs: 8, bufSize: 600, wantSizes: []int{600, 600}, wantNext: 2000},
		{name: "empty datagram", data: nil, nbufs: 1, bufSize: 10, wantSizes: []int{0}, wantNext: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			packets := make([][]byte, tt.nbufs)
			for i := range packets {
				packets[i] = make([]byte, tt.bufSize)
			}
			sizes := make([]int, tt.nbufs)
			n, next := SplitSegments(tt.data, tt.seg, tt.off, packets, sizes)
			if !slices.Equal(sizes[:n], tt.wantSizes) || next != tt.wantNext {
				t.Fatalf("splitSegments = sizes %v next %d, want %v next %d", sizes[:n], next, tt.wantSizes, tt.wantNext)
			}
			seg := tt.seg
			if seg == 0 {
				seg = len(tt.data)
			}
			for i := range n {
				start := tt.off + i*seg
				if want := tt.data[start : start+sizes[i]]; !bytes.Equal(packets[i][:sizes[i]], want) {
					t.Errorf("packet %d content differs from data[%d:]", i, start)
				}
			}
		})
	}
}

// FuzzSplitSegments checks that splitting a concatenation of segments
// gives the segments back.
func FuzzSplitSegments(f *testing.F) {
	f.Add(uint16(100), uint8(5), uint16(37))
	f.Add(uint16(1), uint8(1), uint16(0))
	f.Fuzz(func(t *testing.T, seg uint16, count uint8, last uint16) {
		if seg == 0 || count == 0 || int(count) > testMaxSegs {
			return
		}
		last = last % (seg + 1)
		var segs [][]byte
		for i := range int(count) {
			n := int(seg)
			if i == int(count)-1 && last > 0 {
				n = int(last)
			}
			s := make([]byte, n)
			s[0] = byte(i)
			s[n-1] = byte(i >> 8)
			segs = append(segs, s)
		}
		data := bytes.Join(segs, nil)
		packets := make([][]byte, testMaxSegs)
		for i := range packets {
			packets[i] = make([]byte, int(seg))
		}
		sizes := make([]int, len(packets))
		n, next := SplitSegments(data, int(seg), 0, packets, sizes)
		if n != len(segs) || next != len(data) {
			t.Fatalf("got %d packets, next %d; want %d, %d", n, next, len(segs), len(data))
		}
		for i := range n {
			if !bytes.Equal(packets[i][:sizes[i]], segs[i]) {
				t.Fatalf("segment %d differs", i)
			}
		}
	})
}
