package allowedips

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

type op struct {
	kind   string // "insert", "remove", "removeByValue"
	prefix string
	value  int
	want   bool // for remove
}

func ins(p string, v int) op           { return op{kind: "insert", prefix: p, value: v} }
func rm(p string, v int, want bool) op { return op{kind: "remove", prefix: p, value: v, want: want} }
func rmValue(v int) op                 { return op{kind: "removeByValue", value: v} }
func mp(ss ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func TestTable(t *testing.T) {
	const none = -1
	tests := []struct {
		name     string
		ops      []op
		lookups  map[string]int // address -> value, or none
		prefixes map[int][]netip.Prefix
		wantLen  int
	}{
		{
			name:    "empty",
			lookups: map[string]int{"0.0.0.0": none, "10.0.0.1": none, "::": none, "2001:db8::1": none},
		},
		{
			name:     "ipv4 default route does not match ipv6",
			ops:      []op{ins("0.0.0.0/0", 1)},
			lookups:  map[string]int{"0.0.0.0": 1, "255.255.255.255": 1, "10.1.2.3": 1, "::": none, "::ffff:10.1.2.3": none},
			prefixes: map[int][]netip.Prefix{1: mp("0.0.0.0/0")},
			wantLen:  1,
		},
		{
			name:    "ipv6 default route does not match ipv4",
			ops:     []op{ins("::/0", 2)},
			lookups: map[string]int{"::": 2, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff": 2, "::ffff:1.2.3.4": 2, "1.2.3.4": none},
			wantLen: 1,
		},
		{
			name: "host routes",
			ops:  []op{ins("192.0.2.1/32", 1), ins("2001:db8::1/128", 2), ins("2001:db8::/127", 3)},
			lookups: map[string]int{
				"192.0.2.1": 1, "192.0.2.0": none, "192.0.2.2": none, "192.0.2.129": none,
				"2001:db8::1": 2, "2001:db8::": 3, "2001:db8::2": none,
			},
			wantLen: 3,
		},
		{
			name: "longest prefix wins",
			ops: []op{
				ins("10.0.0.0/8", 1), ins("10.1.0.0/16", 2), ins("10.1.1.0/24", 3), ins("10.1.1.1/32", 4),
				ins("0.0.0.0/0", 5), ins("10.1.1.128/25", 6),
			},
			lookups: map[string]int{
				"10.200.0.1": 1, "10.1.200.1": 2, "10.1.1.2": 3, "10.1.1.1": 4, "11.0.0.0": 5,
				"10.1.1.200": 6, "10.1.1.127": 3, "9.255.255.255": 5,
			},
			wantLen: 6,
		},
		{
			name:    "insertion order does not matter",
			ops:     []op{ins("10.1.1.1/32", 4), ins("10.1.1.0/24", 3), ins("10.1.0.0/16", 2), ins("10.0.0.0/8", 1)},
			lookups: map[string]int{"10.200.0.1": 1, "10.1.200.1": 2, "10.1.1.2": 3, "10.1.1.1": 4, "11.0.0.0": none},
			wantLen: 4,
		},
		{
			name: "siblings diverging deep",
			ops: []op{
				ins("2001:db8::1/128", 1), ins("2001:db8::/128", 2), ins("2001:db8:0:0:8000::/65", 3),
				ins("a000::/1", 4), ins("2000::/3", 5),
			},
			lookups: map[string]int{
				"2001:db8::1": 1, "2001:db8::": 2, "2001:db8::3": 5, "2001:db8:0:0:8000::1": 3,
				"ffff::": 4, "8000::": 4, "4000::": none, "3fff::": 5,
			},
			wantLen: 5,
		},
		{
			name:     "host bits are masked",
			ops:      []op{ins("10.1.2.3/8", 1), ins("2001:db8::ffff/32", 2)},
			lookups:  map[string]int{"10.9.9.9": 1, "2001:db8:1::": 2},
			prefixes: map[int][]netip.Prefix{1: mp("10.0.0.0/8"), 2: mp("2001:db8::/32")},
			wantLen:  2,
		},
		{
			name:     "re-insert moves ownership",
			ops:      []op{ins("10.0.0.0/8", 1), ins("10.0.0.0/8", 2), rm("10.0.0.0/8", 1, false)},
			lookups:  map[string]int{"10.0.0.1": 2},
			prefixes: map[int][]netip.Prefix{1: nil, 2: mp("10.0.0.0/8")},
			wantLen:  1,
		},
		{
			name:     "re-insert by same owner is a no-op",
			ops:      []op{ins("10.0.0.0/8", 1), ins("10.9.0.0/8", 1)},
			prefixes: map[int][]netip.Prefix{1: mp("10.0.0.0/8")},
			wantLen:  1,
		},
		{
			name: "remove only by owner and exact prefix",
			ops: []op{
				ins("10.0.0.0/8", 1), ins("10.0.0.0/16", 2),
				rm("10.0.0.0/8", 2, false), rm("10.0.0.0/9", 1, false), rm("10.0.0.0/24", 2, false),
				rm("11.0.0.0/8", 1, false), rm("::/0", 1, false), rm("10.0.0.0/8", 1, true), rm("10.0.0.0/8", 1, false),
			},
			lookups: map[string]int{"10.0.0.1": 2, "10.1.0.1": none},
			wantLen: 1,
		},
		{
			name: "remove a prefix with children keeps them",
			ops: []op{
				ins("10.0.0.0/8", 1), ins("10.0.0.0/16", 2), ins("10.128.0.0/16", 3), rm("10.0.0.0/8", 1, true),
			},
			lookups: map[string]int{"10.0.0.1": 2, "10.128.0.1": 3, "10.64.0.1": none},
			wantLen: 2,
		},
		{
			name: "remove a leaf merges its branch point",
			ops: []op{
				ins("10.0.0.0/16", 2), ins("10.128.0.0/16", 3), ins("10.192.0.0/16", 4), rm("10.128.0.0/16", 3, true),
				rm("10.0.0.0/16", 2, true),
			},
			lookups: map[string]int{"10.0.0.1": none, "10.128.0.1": none, "10.192.0.1": 4},
			wantLen: 1,
		},
		{
			name: "remove by value",
			ops: []op{
				ins("10.0.0.0/8", 1), ins("10.1.0.0/16", 2), ins("10.1.1.0/24", 1), ins("::/0", 1), ins("fd00::/8", 2),
				rmValue(1), rmValue(7),
			},
			lookups:  map[string]int{"10.1.1.1": 2, "10.2.0.0": none, "fd00::1": 2, "2001:db8::1": none},
			prefixes: map[int][]netip.Prefix{1: nil, 2: mp("10.1.0.0/16", "fd00::/8")},
			wantLen:  2,
		},
		{
			name: "prefixes sorted by family, address, length",
			ops: []op{
				ins("fd00::/8", 1), ins("10.0.0.0/16", 1), ins("10.0.0.0/8", 1), ins("::ffff:10.0.0.0/104", 1),
				ins("9.0.0.0/8", 1), ins("::/0", 1), ins("0.0.0.0/0", 1), ins("10.0.0.0/24", 2),
			},
			prefixes: map[int][]netip.Prefix{
				1: mp("0.0.0.0/0", "9.0.0.0/8", "10.0.0.0/8", "10.0.0.0/16", "::/0", "::ffff:10.0.0.0/104", "fd00::/8"),
				2: mp("10.0.0.0/24"),
			},
			wantLen: 8,
		},
		{
			name: "ipv4-mapped ipv6 stays ipv6",
			ops:  []op{ins("::ffff:10.0.0.0/104", 1), ins("10.0.0.0/8", 2)},
			lookups: map[string]int{
				"::ffff:10.0.0.1": 1, "10.0.0.1": 2, "::ffff:11.0.0.1": none, "::10.0.0.1": none,
			},
			wantLen: 2,
		},
		{
			name:    "zones are ignored on lookup",
			ops:     []op{ins("fe80::/64", 1)},
			lookups: map[string]int{"fe80::1%eth0": 1, "fe80::1": 1, "fe81::1%eth0": none},
			wantLen: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tbl Table[int]
			m := newModel()
			for i, o := range tt.ops {
				switch o.kind {
				case "insert":
					p := netip.MustParsePrefix(o.prefix)
					if err := tbl.Insert(p, o.value); err != nil {
						t.Fatalf("op %d: Insert(%v): %v", i, p, err)
					}
					m.insert(p, o.value)
				case "remove":
					p := netip.MustParsePrefix(o.prefix)
					if got := tbl.Remove(p, o.value); got != o.want {
						t.Fatalf("op %d: Remove(%v, %d) = %v, want %v", i, p, o.value, got, o.want)
					}
					m.remove(p, o.value)
				case "removeByValue":
					tbl.RemoveByValue(o.value)
					m.removeByValue(o.value)
				}
				mustCheck(t, &tbl, m)
			}
			for a, want := range tt.lookups {
				ip := netip.MustParseAddr(a)
				got, ok := tbl.Lookup(ip)
				if !ok {
					got = none
				}
				if got != want {
					t.Errorf("Lookup(%v) = %d, want %d", ip, got, want)
				}
				// The model must agree with the hand-written answer,
				// or the model is not a trustworthy reference.
				mv, mok := m.lookupScan(ip)
				if !mok {
					mv = none
				}
				if mv != want {
					t.Errorf("model lookup(%v) = %d, want %d", ip, mv, want)
				}
			}
			for v, want := range tt.prefixes {
				if diff := cmp.Diff(want, tbl.Prefixes(v), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
					t.Errorf("Prefixes(%d) (-want +got):\n%s", v, diff)
				}
			}
			if got := tbl.Len(); got != tt.wantLen {
				t.Errorf("Len() = %d, want %d", got, tt.wantLen)
			}
		})
	}
}

func TestInvalidPrefix(t *testing.T) {
	var tbl Table[int]
	for _, p := range []netip.Prefix{
		{},
		netip.PrefixFrom(netip.MustParseAddr("10.0.0.1"), 33),
		netip.PrefixFrom(netip.MustParseAddr("::1"), 129),
		netip.PrefixFrom(netip.MustParseAddr("::1"), -1),
		netip.PrefixFrom(netip.Addr{}, 0),
	} {
		err := tbl.Insert(p, 1)
		if err == nil || !strings.HasPrefix(err.Error(), "allowedips: insert ") {
			t.Errorf("Insert(%#v) error = %v, want an allowedips: insert error", p, err)
		}
		if tbl.Remove(p, 1) {
			t.Errorf("Remove(%#v) = true", p)
		}
	}
	if tbl.Len() != 0 || tbl.root4 != nil || tbl.root6 != nil {
		t.Fatal("invalid prefixes changed the table")
	}
	if _, ok := tbl.Lookup(netip.Addr{}); ok {
		t.Fatal("Lookup of the zero Addr matched")
	}
	// A zero Addr must not match a default route either.
	tbl.Insert(netip.MustParsePrefix("0.0.0.0/0"), 1)
	tbl.Insert(netip.MustParsePrefix("::/0"), 1)
	if _, ok := tbl.Lookup(netip.Addr{}); ok {
		t.Fatal("Lookup of the zero Addr matched a default route")
	}
}

// TestNodeSize pins the node layout: every byte counts at a million
// prefixes.
func TestNodeSize(t *testing.T) {
	if got := unsafe.Sizeof(node[*int]{}); got != 64 {
		t.Fatalf("node[*int] is %d bytes, want 64", got)
	}
}

// genPrefix returns a random prefix biased towards a few shared "sites"
// per family, so that many prefixes share long common leading bits and the
// trie gets deep, with lengths spread over the whole range.
type gen struct {
	r     *rand.Rand
	sites [2][32][16]byte
}

func newGen(seed uint64) *gen {
	g := &gen{r: rand.New(rand.NewPCG(seed, 0xa11dec1))}
	for f := range g.sites {
		for i := range g.sites[f] {
			for j := range g.sites[f][i] {
				g.sites[f][i][j] = byte(g.r.Uint32())
			}
		}
	}
	return g
}

func (g *gen) addr(v6 bool) netip.Addr {
	f, max := 0, 32
	if v6 {
		f, max = 1, 128
	}
	b := g.sites[f][g.r.IntN(len(g.sites[f]))]
	keep := g.r.IntN(max + 1)
	if g.r.IntN(10) == 0 {
		keep = 0 // sometimes fully random
	}
	for i := keep; i < max; i++ {
		if g.r.IntN(2) == 0 {
			b[i/8] ^= 0x80 >> (i % 8)
		}
	}
	if !v6 {
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrFrom16(b)
}

func (g *gen) prefix() netip.Prefix {
	v6 := g.r.IntN(2) == 0
	a := g.addr(v6)
	// Common lengths half the time, else any length, but short prefixes
	// (which cover everything) only rarely, so that lookups also miss.
	common, shortest := []int{32, 24, 16, 8, 31, 30}, 8
	if v6 {
		common, shortest = []int{128, 64, 48, 56, 32, 127}, 16
	}
	var bits int
	switch k := g.r.IntN(1000); {
	case k < 500:
		bits = common[g.r.IntN(len(common))]
	case k < 502:
		bits = g.r.IntN(shortest)
	default:
		bits = shortest + g.r.IntN(a.BitLen()-shortest+1)
	}
	// Host bits are deliberately left set: Insert and Remove mask them.
	return netip.PrefixFrom(a, bits)
}

func TestDifferential(t *testing.T) {
	n := 100000
	if testing.Short() {
		n = 20000
	}
	g := newGen(1)
	r := g.r
	var tbl Table[int]
	m := newModel()
	var inserted []netip.Prefix
	const values = 300
	hits, lookups := 0, 0
	check := func(ip netip.Addr) {
		t.Helper()
		lookups++
		got, ok := tbl.Lookup(ip)
		want, wok := m.lookupProbe(ip)
		if got != want || ok != wok {
			t.Fatalf("Lookup(%v) = %d, %v; model says %d, %v", ip, got, ok, want, wok)
		}
		if ok {
			hits++
		}
	}
	for i := 0; len(inserted) < n; i++ {
		switch k := r.IntN(1000); {
		case k < 60 && len(inserted) > 0: // remove, usually by the owner
			p := inserted[r.IntN(len(inserted))]
			v, _ := m.m[p.Masked()]
			if r.IntN(5) == 0 {
				v = r.IntN(values)
			}
			if got, want := tbl.Remove(p, v), m.remove(p, v); got != want {
				t.Fatalf("op %d: Remove(%v, %d) = %v, model says %v", i, p, v, got, want)
			}
		case k < 61:
			v := r.IntN(values)
			tbl.RemoveByValue(v)
			m.removeByValue(v)
		default:
			p := g.prefix()
			v := r.IntN(values)
			if err := tbl.Insert(p, v); err != nil {
				t.Fatal(err)
			}
			m.insert(p, v)
			inserted = append(inserted, p)
		}
		check(g.addr(r.IntN(2) == 0))
		if i%20000 == 19999 {
			mustCheck(t, &tbl, m)
		}
	}
	mustCheck(t, &tbl, m)
	for range n {
		check(g.addr(r.IntN(2) == 0))
	}
	for v := range values {
		if diff := cmp.Diff(m.prefixes(v), tbl.Prefixes(v), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
			t.Fatalf("Prefixes(%d) (-want +got):\n%s", v, diff)
		}
	}
	// Lookups must have hit and missed in fair measure, or the generator
	// is not exercising the trie.
	if hits < lookups/10 || lookups-hits < lookups/200 {
		t.Fatalf("%d of %d lookups matched: generator is degenerate", hits, lookups)
	}
	t.Logf("%d prefixes, %d of %d lookups matched", tbl.Len(), hits, lookups)

	// Empty it entirely: nothing may be left behind.
	for v := range values {
		tbl.RemoveByValue(v)
		m.removeByValue(v)
	}
	mustCheck(t, &tbl, m)
	if tbl.root4 != nil || tbl.root6 != nil || len(tbl.heads) != 0 {
		t.Fatal("emptied table still holds nodes")
	}
}

// TestChurnMemory inserts and removes prefixes for a long time with a
// bounded live set; the trie must not keep nodes for departed prefixes.
func TestChurnMemory(t *testing.T) {
	g := newGen(2)
	var tbl Table[int]
	m := newModel()
	live := make([]netip.Prefix, 0, 1000)
	for i := range 200000 {
		if len(live) == cap(live) {
			j := g.r.IntN(len(live))
			p := live[j]
			live[j] = live[len(live)-1]
			live = live[:len(live)-1]
			v := m.m[p]
			if !tbl.Remove(p, v) || !m.remove(p, v) {
				t.Fatalf("op %d: could not remove live prefix %v", i, p)
			}
		}
		p := g.prefix().Masked()
		if _, ok := m.m[p]; ok {
			continue
		}
		tbl.Insert(p, i%7)
		m.insert(p, i%7)
		live = append(live, p)
	}
	// checkInvariants bounds the node count by 2*Len-1 per family.
	mustCheck(t, &tbl, m)
	if tbl.Len() != len(live) {
		t.Fatalf("Len() = %d, want %d", tbl.Len(), len(live))
	}
}

func TestConcurrentLookups(t *testing.T) {
	g := newGen(3)
	var tbl Table[int]
	m := newModel()
	for i := range 5000 {
		p := g.prefix()
		tbl.Insert(p, i)
		m.insert(p, i)
	}
	var mu sync.RWMutex
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 9))
			lg := &gen{r: r, sites: g.sites}
			for range 5000 {
				ip := lg.addr(r.IntN(2) == 0)
				mu.RLock()
				got, ok := tbl.Lookup(ip)
				want, wok := m.lookupProbe(ip)
				mu.RUnlock()
				if got != want || ok != wok {
					errs <- fmt.Errorf("Lookup(%v) = %d, %v; model says %d, %v", ip, got, ok, want, wok)
					return
				}
			}
		}()
	}
	// A writer changes the table under the write lock meanwhile.
	wr := rand.New(rand.NewPCG(99, 9))
	wg2 := &gen{r: wr, sites: g.sites}
	for i := range 2000 {
		p := wg2.prefix()
		mu.Lock()
		if i%2 == 0 {
			tbl.Insert(p, i)
			m.insert(p, i)
		} else {
			v := wr.IntN(5000)
			tbl.RemoveByValue(v)
			m.removeByValue(v)
		}
		mu.Unlock()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestLookupAllocs(t *testing.T) {
	g := newGen(4)
	var tbl Table[*int]
	for range 1000 {
		x := new(int)
		tbl.Insert(g.prefix(), x)
	}
	a4, a6 := g.addr(false), g.addr(true)
	if n := testing.AllocsPerRun(1000, func() {
		tbl.Lookup(a4)
		tbl.Lookup(a6)
	}); n != 0 {
		t.Fatalf("Lookup allocates %v times per call", n)
	}
}

// FuzzTable decodes a sequence of table operations from the input and
// compares the trie with the model after each.
//
// Each operation is 4 bytes: op, a, b, c.
//
//	op&3:    0 insert, 1 remove, 2 remove by value, 3 lookup
//	op>>2&1: IPv6 if set
//	op>>3&3: the value
//	op>>5&1: build an IPv4-mapped IPv6 address
//	a, b:    the first two address bytes (IPv6: also the last two, swapped)
//	c:       prefix length, modulo the address length + 1
func FuzzTable(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var tbl Table[int]
		m := newModel()
		for len(data) >= 4 {
			o, a, b, c := data[0], data[1], data[2], data[3]
			data = data[4:]
			var ip netip.Addr
			switch {
			case o>>5&1 == 1:
				ip = netip.AddrFrom16([16]byte{10: 0xff, 11: 0xff, 12: a, 13: b, 15: c})
			case o>>2&1 == 1:
				ip = netip.AddrFrom16([16]byte{0: a, 1: b, 14: b, 15: a})
			default:
				ip = netip.AddrFrom4([4]byte{a, b, c & 0xf0, 0})
			}
			p := netip.PrefixFrom(ip, int(c)%(ip.BitLen()+1))
			v := int(o >> 3 & 3)
			switch o & 3 {
			case 0:
				if err := tbl.Insert(p, v); err != nil {
					t.Fatal(err)
				}
				m.insert(p, v)
			case 1:
				if got, want := tbl.Remove(p, v), m.remove(p, v); got != want {
					t.Fatalf("Remove(%v, %d) = %v, model says %v", p, v, got, want)
				}
			case 2:
				tbl.RemoveByValue(v)
				m.removeByValue(v)
			case 3:
				got, ok := tbl.Lookup(ip)
				want, wok := m.lookupScan(ip)
				if got != want || ok != wok {
					t.Fatalf("Lookup(%v) = %d, %v; model says %d, %v", ip, got, ok, want, wok)
				}
			}
			mustCheck(t, &tbl, m)
		}
		for v := range 4 {
			if got, want := tbl.Prefixes(v), m.prefixes(v); !slicesEqual(got, want) {
				t.Fatalf("Prefixes(%d) = %v, model says %v", v, got, want)
			}
		}
	})
}

func slicesEqual(a, b []netip.Prefix) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type peer struct{ id int }

var benchTables = map[string]*benchTable{}

type benchTable struct {
	t     Table[*peer]
	addrs []netip.Addr
	bytes float64 // heap bytes per prefix
}

// benchTableOf builds (once per process) a table of n random prefixes of
// the given family spread over 1000 peers, and 4096 lookup addresses, half
// of them inside stored prefixes.
func benchTableOf(n int, v6 bool) *benchTable {
	name := fmt.Sprint(n, v6)
	if bt := benchTables[name]; bt != nil {
		return bt
	}
	r := rand.New(rand.NewPCG(uint64(n), 7))
	peers := make([]*peer, 1000)
	for i := range peers {
		peers[i] = &peer{i}
	}
	bt := &benchTable{}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var stored []netip.Prefix
	for bt.t.Len() < n {
		var p netip.Prefix
		if v6 {
			var b [16]byte
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			b[0] = 0x20
			p = netip.PrefixFrom(netip.AddrFrom16(b), 32+r.IntN(97))
		} else {
			var b [4]byte
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			p = netip.PrefixFrom(netip.AddrFrom4(b), 8+r.IntN(25))
		}
		bt.t.Insert(p, peers[r.IntN(len(peers))])
		if len(stored) < 2048 {
			stored = append(stored, p)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	bt.bytes = float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
	for i := range 4096 {
		if i%2 == 0 {
			bt.addrs = append(bt.addrs, stored[r.IntN(len(stored))].Addr())
			continue
		}
		var b [16]byte
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if v6 {
			bt.addrs = append(bt.addrs, netip.AddrFrom16(b))
		} else {
			bt.addrs = append(bt.addrs, netip.AddrFrom4([4]byte(b[:4])))
		}
	}
	benchTables[name] = bt
	return bt
}

func BenchmarkLookup(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"1k", 1000}, {"100k", 100000}, {"1M", 1000000}} {
		for _, fam := range []string{"v4", "v6"} {
			b.Run(fam+"/"+size.name, func(b *testing.B) {
				bt := benchTableOf(size.n, fam == "v6")
				b.ReportAllocs()
				b.ResetTimer()
				found := 0
				for i := range b.N {
					if _, ok := bt.t.Lookup(bt.addrs[i&4095]); ok {
						found++
					}
				}
				if b.N >= 4096 && found == 0 {
					b.Fatal("no lookup matched")
				}
				b.ReportMetric(bt.bytes, "heapB/prefix")
			})
		}
	}
}

func BenchmarkInsert(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	ps := make([]netip.Prefix, 1<<16)
	for i := range ps {
		var a [16]byte
		for j := range a {
			a[j] = byte(r.Uint32())
		}
		if i%2 == 0 {
			ps[i] = netip.PrefixFrom(netip.AddrFrom4([4]byte(a[:4])), 8+r.IntN(25))
		} else {
			ps[i] = netip.PrefixFrom(netip.AddrFrom16(a), 32+r.IntN(97))
		}
	}
	p := &peer{}
	b.ReportAllocs()
	var tbl Table[*peer]
	for i := range b.N {
		if i&(len(ps)-1) == 0 {
			tbl = Table[*peer]{} // keep the table size bounded
		}
		tbl.Insert(ps[i&(len(ps)-1)], p)
	}
}
