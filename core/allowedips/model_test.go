package allowedips

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"testing"
)

// model is the obviously correct reference the trie is compared with: a
// plain set of (prefix, value) pairs. lookupScan tries every stored prefix;
// lookupProbe asks the set for each prefix length from the longest down,
// which is just as naive but fast enough for 100k-entry tests.
type model struct {
	m map[netip.Prefix]int
}

func newModel() *model { return &model{m: make(map[netip.Prefix]int)} }

func (m *model) insert(p netip.Prefix, v int) { m.m[p.Masked()] = v }

func (m *model) remove(p netip.Prefix, v int) bool {
	p = p.Masked()
	if old, ok := m.m[p]; ok && old == v {
		delete(m.m, p)
		return true
	}
	return false
}

func (m *model) removeByValue(v int) {
	maps.DeleteFunc(m.m, func(_ netip.Prefix, x int) bool { return x == v })
}

func (m *model) lookupScan(ip netip.Addr) (int, bool) {
	best, bestBits := 0, -1
	for p, v := range m.m {
		if p.Addr().BitLen() == ip.BitLen() && p.Contains(ip.WithZone("")) && p.Bits() > bestBits {
			best, bestBits = v, p.Bits()
		}
	}
	return best, bestBits >= 0
}

func (m *model) lookupProbe(ip netip.Addr) (int, bool) {
	for b := ip.BitLen(); b >= 0; b-- {
		p, _ := ip.WithZone("").Prefix(b)
		if v, ok := m.m[p]; ok {
			return v, true
		}
	}
	return 0, false
}

func (m *model) prefixes(v int) []netip.Prefix {
	var out []netip.Prefix
	for p, x := range m.m {
		if x == v {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, netip.Prefix.Compare)
	return out
}

// contents walks the trie and returns what it stores.
func contents(t *Table[int]) map[netip.Prefix]int {
	out := make(map[netip.Prefix]int)
	var walk func(n *node[int])
	walk = func(n *node[int]) {
		if n == nil {
			return
		}
		if n.has {
			out[n.prefix()] = n.value
		}
		walk(n.child[0])
		walk(n.child[1])
	}
	walk(t.root4)
	walk(t.root6)
	return out
}

// checkInvariants verifies the trie's shape: keys masked, children extend
// their parent on the right side, every node without a prefix is a branch
// point with two children (so there are fewer than 2n nodes), and the
// per-value lists hold exactly the nodes carrying each value.
func checkInvariants[T comparable](t *Table[T]) error {
	var listed int
	for v, head := range t.heads {
		if head == nil || head.prev != nil {
			return fmt.Errorf("list of %v: bad head", v)
		}
		for n := head; n != nil; n = n.next {
			if !n.has || n.value != v {
				return fmt.Errorf("list of %v holds %v (has=%v, value %v)", v, n.prefix(), n.has, n.value)
			}
			if n.next != nil && n.next.prev != n {
				return fmt.Errorf("list of %v: broken back link after %v", v, n.prefix())
			}
			listed++
		}
	}
	if listed != t.n {
		return fmt.Errorf("lists hold %d nodes, Len is %d", listed, t.n)
	}
	var nodes, stored int
	var walk func(n *node[T], is6 bool, depth int) error
	walk = func(n *node[T], is6 bool, depth int) error {
		nodes++
		if n.is6 != is6 {
			return fmt.Errorf("%v in the wrong family's trie", n.prefix())
		}
		max := uint8(32)
		if is6 {
			max = 128
		}
		if n.bits > max || (!is6 && (n.lo != 0 || uint32(n.hi) != 0)) {
			return fmt.Errorf("bad IPv4 node %x:%x/%d", n.hi, n.lo, n.bits)
		}
		if mh, ml := mask(n.bits); n.hi&^mh != 0 || n.lo&^ml != 0 {
			return fmt.Errorf("%v: host bits set", n.prefix())
		}
		if n.has {
			stored++
		} else {
			if n.child[0] == nil || n.child[1] == nil {
				return fmt.Errorf("%v: branch point without two children", n.prefix())
			}
			if n.prev != nil || n.next != nil {
				return fmt.Errorf("%v: empty node still listed", n.prefix())
			}
		}
		for b, c := range n.child {
			if c == nil {
				continue
			}
			if c.bits <= n.bits {
				return fmt.Errorf("child %v not longer than parent %v", c.prefix(), n.prefix())
			}
			if !n.prefix().Contains(c.prefix().Addr()) || bitAt(c.hi, c.lo, n.bits) != b {
				return fmt.Errorf("child %v misplaced under %v side %d", c.prefix(), n.prefix(), b)
			}
			if err := walk(c, is6, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	for _, r := range []struct {
		n   *node[T]
		is6 bool
	}{{t.root4, false}, {t.root6, true}} {
		before, beforeStored := nodes, stored
		if r.n != nil {
			if err := walk(r.n, r.is6, 0); err != nil {
				return err
			}
		}
		if k, s := nodes-before, stored-beforeStored; k > 0 && k > 2*s-1 {
			return fmt.Errorf("IPv6=%v: %d nodes for %d prefixes", r.is6, k, s)
		}
	}
	if stored != t.n {
		return fmt.Errorf("trie stores %d prefixes, Len is %d", stored, t.n)
	}
	return nil
}

func mustCheck(tb testing.TB, t *Table[int], m *model) {
	tb.Helper()
	if err := checkInvariants(t); err != nil {
		tb.Fatal(err)
	}
	if got, want := t.Len(), len(m.m); got != want {
		tb.Fatalf("Len() = %d, model has %d", got, want)
	}
	got := contents(t)
	if !maps.Equal(got, m.m) {
		for p, v := range m.m {
			if g, ok := got[p]; !ok || g != v {
				tb.Fatalf("model has %v=%d, trie has %d (present %v)", p, v, g, ok)
			}
		}
		for p, v := range got {
			if _, ok := m.m[p]; !ok {
				tb.Fatalf("trie has %v=%d, model does not", p, v)
			}
		}
	}
}
