package allowedips

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
)

// Table maps IP prefixes to values of type T and finds the value of the
// longest prefix containing an address. The zero value is an empty table
// ready to use.
//
// Concurrency: Lookup, Prefixes and Len only read the table and may run
// concurrently with each other. Insert, Remove and RemoveByValue modify it
// and must not run concurrently with any other method; the engine holds a
// sync.RWMutex, read-locked around lookups and write-locked around changes.
type Table[T comparable] struct {
	root4, root6 *node[T]
	// heads links, for each value, the nodes that carry it, so that
	// Prefixes and RemoveByValue cost the number of prefixes of that value
	// rather than a walk of the whole trie.
	heads map[T]*node[T]
	n     int
}

// node is a trie node: either a stored prefix (has is true) or a branch
// point where two stored prefixes diverge, which always has two children.
// Addresses live in two 64-bit words, big-endian, IPv4 in the top 32 bits
// of hi; bits past the prefix length are zero. With a pointer-sized T a
// node is 64 bytes.
type node[T comparable] struct {
	child      [2]*node[T] // child[b] continues with bit b at position bits
	hi, lo     uint64
	prev, next *node[T] // neighbours in the list of nodes carrying value
	value      T
	bits       uint8 // prefix length
	has        bool  // node stores a prefix and value is meaningful
	is6        bool
}

// key splits an address into the two words nodes use.
func key(a netip.Addr) (hi, lo uint64) {
	if a.Is4() {
		b := a.As4()
		return uint64(binary.BigEndian.Uint32(b[:])) << 32, 0
	}
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

// mask returns the network mask of a prefix length in the two words.
// Shifts of 64 or more yield zero in Go, which covers /0, /64 and /128.
func mask(n uint8) (hi, lo uint64) {
	b := uint(n)
	return ^uint64(0) << (64 - min(b, 64)), ^uint64(0) << (128 - max(b, 64))
}

// bitAt returns the bit of the address at position i, counted from the
// most significant bit; it is 0 past the end of the address.
func bitAt(hi, lo uint64, i uint8) int {
	if i < 64 {
		return int(hi>>(63-i)) & 1
	}
	if i < 128 {
		return int(lo>>(127-i)) & 1
	}
	return 0
}

// commonBits returns how many leading bits two addresses share.
func commonBits(ahi, alo, bhi, blo uint64) uint8 {
	if x := ahi ^ bhi; x != 0 {
		return uint8(bits.LeadingZeros64(x))
	}
	return uint8(64 + bits.LeadingZeros64(alo^blo))
}

func (n *node[T]) prefix() netip.Prefix {
	var a netip.Addr
	if n.is6 {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], n.hi)
		binary.BigEndian.PutUint64(b[8:], n.lo)
		a = netip.AddrFrom16(b)
	} else {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(n.hi>>32))
		a = netip.AddrFrom4(b)
	}
	return netip.PrefixFrom(a, int(n.bits))
}

func (t *Table[T]) root(is6 bool) **node[T] {
	if is6 {
		return &t.root6
	}
	return &t.root4
}

// Len returns the number of prefixes in the table.
func (t *Table[T]) Len() int { return t.n }

// Lookup returns the value of the longest prefix containing ip. Its cost is
// bounded by the number of distinct prefix lengths on the path (at most 33
// nodes for IPv4, 129 for IPv6) and it does not allocate.
func (t *Table[T]) Lookup(ip netip.Addr) (v T, ok bool) {
	var best *node[T]
	switch {
	case ip.Is4():
		best = lookup4(t.root4, ip.As4())
	case ip.Is6():
		best = lookup6(t.root6, ip.As16())
	}
	if best == nil {
		return v, false
	}
	return best.value, true
}

// lookup4 is the IPv4 walk. IPv4 nodes use only hi, and prefix lengths are
// at most 32, so one word and unconditional shifts suffice.
func lookup4[T comparable](n *node[T], a [4]byte) (best *node[T]) {
	hi := uint64(binary.BigEndian.Uint32(a[:])) << 32
	for n != nil {
		b := uint(n.bits)
		if (hi^n.hi)&(^uint64(0)<<(64-b)) != 0 {
			break
		}
		if n.has {
			best = n
		}
		n = n.child[(hi>>(63-b))&1]
	}
	return best
}

func lookup6[T comparable](n *node[T], a [16]byte) (best *node[T]) {
	hi, lo := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(a[8:])
	for n != nil {
		mh, ml := mask(n.bits)
		if (hi^n.hi)&mh|(lo^n.lo)&ml != 0 {
			break
		}
		if n.has {
			best = n
		}
		n = n.child[bitAt(hi, lo, n.bits)]
	}
	return best
}

// Insert stores p, with its host bits cleared, for v. If the table already
// holds the same prefix, v becomes its owner in place of the old value (this
// is how a prefix moves from one peer to another). Insert fails only for an
// invalid prefix; netip never produces a valid prefix with a zone.
func (t *Table[T]) Insert(p netip.Prefix, v T) error {
	if !p.IsValid() {
		return fmt.Errorf("allowedips: insert %v: invalid prefix", p)
	}
	p = p.Masked()
	hi, lo := key(p.Addr())
	plen := uint8(p.Bits())
	is6 := p.Addr().Is6()
	slot := t.root(is6)
	for {
		n := *slot
		if n == nil {
			*slot = t.newLeaf(hi, lo, plen, is6, v)
			return nil
		}
		c := min(commonBits(hi, lo, n.hi, n.lo), plen, n.bits)
		switch {
		case c == n.bits && c == plen: // same prefix
			t.setValue(n, v)
			return nil
		case c == n.bits: // n contains p: descend
			slot = &n.child[bitAt(hi, lo, c)]
		case c == plen: // p contains n: p goes above n
			leaf := t.newLeaf(hi, lo, plen, is6, v)
			leaf.child[bitAt(n.hi, n.lo, c)] = n
			*slot = leaf
			return nil
		default: // they diverge at bit c: a branch node joins them
			mh, ml := mask(c)
			br := &node[T]{hi: hi & mh, lo: lo & ml, bits: c, is6: is6}
			br.child[bitAt(hi, lo, c)] = t.newLeaf(hi, lo, plen, is6, v)
			br.child[bitAt(n.hi, n.lo, c)] = n
			*slot = br
			return nil
		}
	}
}

func (t *Table[T]) newLeaf(hi, lo uint64, plen uint8, is6 bool, v T) *node[T] {
	n := &node[T]{hi: hi, lo: lo, bits: plen, is6: is6}
	t.setValue(n, v)
	return n
}

// setValue makes v the owner of n's prefix.
func (t *Table[T]) setValue(n *node[T], v T) {
	if n.has {
		if n.value == v {
			return
		}
		t.unlink(n)
	} else {
		t.n++
	}
	n.has = true
	n.value = v
	if t.heads == nil {
		t.heads = make(map[T]*node[T])
	}
	head := t.heads[v]
	n.prev, n.next = nil, head
	if head != nil {
		head.prev = n
	}
	t.heads[v] = n
}

// unlink removes n from the list of its value's nodes.
func (t *Table[T]) unlink(n *node[T]) {
	if n.prev != nil {
		n.prev.next = n.next
	} else if n.next != nil {
		t.heads[n.value] = n.next
	} else {
		delete(t.heads, n.value)
	}
	if n.next != nil {
		n.next.prev = n.prev
	}
	n.prev, n.next = nil, nil
}

// Remove deletes p (host bits cleared) if v owns it, and reports whether it
// did. A prefix owned by another value is left alone, so a stale removal
// cannot take away a prefix that has since moved to a different peer.
func (t *Table[T]) Remove(p netip.Prefix, v T) bool {
	if !p.IsValid() {
		return false
	}
	p = p.Masked()
	hi, lo := key(p.Addr())
	plen := uint8(p.Bits())
	var parent **node[T]
	slot := t.root(p.Addr().Is6())
	for {
		n := *slot
		if n == nil || n.bits > plen {
			return false
		}
		mh, ml := mask(n.bits)
		if (hi^n.hi)&mh|(lo^n.lo)&ml != 0 {
			return false
		}
		if n.bits == plen {
			break
		}
		parent, slot = slot, &n.child[bitAt(hi, lo, n.bits)]
	}
	n := *slot
	if !n.has || n.value != v {
		return false
	}
	t.unlink(n)
	var zero T
	n.has, n.value = false, zero
	t.n--

	// Restore the invariant that a node without a prefix has two children.
	switch {
	case n.child[0] != nil && n.child[1] != nil:
		return true // n stays as a branch point
	case n.child[0] != nil:
		*slot = n.child[0]
		return true
	case n.child[1] != nil:
		*slot = n.child[1]
		return true
	}
	*slot = nil
	if parent != nil {
		if p := *parent; !p.has {
			// p was a branch point with n as one of its two children;
			// the other child takes its place.
			if p.child[0] != nil {
				*parent = p.child[0]
			} else {
				*parent = p.child[1]
			}
		}
	}
	return true
}

// RemoveByValue deletes every prefix owned by v.
func (t *Table[T]) RemoveByValue(v T) {
	for n := t.heads[v]; n != nil; n = t.heads[v] {
		if !t.Remove(n.prefix(), v) {
			panic("allowedips: listed prefix " + n.prefix().String() + " not in trie")
		}
	}
}

// Prefixes returns the prefixes owned by v, IPv4 before IPv6, then by
// address, then by length (netip.Prefix.Compare order). It returns nil if v
// owns none.
func (t *Table[T]) Prefixes(v T) []netip.Prefix {
	var out []netip.Prefix
	for n := t.heads[v]; n != nil; n = n.next {
		out = append(out, n.prefix())
	}
	slices.SortFunc(out, netip.Prefix.Compare)
	return out
}
