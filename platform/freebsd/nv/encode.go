package nv

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// HostOrder is the byte order libnv on this machine would pack in.
var HostOrder binary.ByteOrder = binary.NativeEndian

const flagBigEndian = 0x80 // NV_FLAG_BIG_ENDIAN

func isBigEndian(o binary.ByteOrder) bool {
	var b [2]byte
	o.PutUint16(b[:], 1)
	return b[0] == 0
}

// Encode packs l as nvlist_pack does, with integers in the given order
// (nil means HostOrder; the kernel accepts either, libnv writes host
// order). It fails if an Add call failed or the nesting exceeds MaxDepth.
func (l *List) Encode(order binary.ByteOrder) ([]byte, error) {
	if order == nil {
		order = HostOrder
	}
	n, err := l.measure(0)
	if err != nil {
		return nil, err
	}
	e := encoder{buf: make([]byte, 0, headerLen+n), total: uint64(headerLen + n), order: order}
	if isBigEndian(order) {
		e.flags = flagBigEndian
	}
	e.header()
	e.items(l, 0)
	return e.buf, nil
}

// measure returns the packed length of l's items (without its header) and
// the first error recorded in l or any child.
func (l *List) measure(depth int) (int, error) {
	if depth > MaxDepth {
		return 0, fmt.Errorf("nv: encode: nesting deeper than %d lists", MaxDepth)
	}
	if l.err != nil {
		return 0, l.err
	}
	n := 0
	for i := range l.pairs {
		p := &l.pairs[i]
		n += pairHeaderLen + len(p.name) + 1
		switch v := p.v.(type) {
		case nil:
		case bool:
			n++
		case uint64:
			n += 8
		case string:
			n += len(v) + 1
		case []byte:
			n += len(v)
		case []bool:
			n += len(v)
		case []uint64:
			n += 8 * len(v)
		case []string:
			for _, s := range v {
				n += len(s) + 1
			}
		case *List:
			m, err := v.measure(depth + 1)
			if err != nil {
				return 0, err
			}
			n += headerLen + m + markerLen
		case []*List:
			for _, e := range v {
				m, err := e.measure(depth + 1)
				if err != nil {
					return 0, err
				}
				n += headerLen + m + markerLen
			}
		default:
			return 0, errors.New("nv: encode: internal error: unknown value type")
		}
	}
	return n, nil
}

type encoder struct {
	buf   []byte
	total uint64
	order binary.ByteOrder
	flags byte
}

// header writes an nvlist header whose size field counts everything after
// it up to the end of the whole buffer (libnv's in-stream convention).
func (e *encoder) header() {
	rest := e.total - uint64(len(e.buf)) - headerLen
	e.buf = append(e.buf, 'l', 0, e.flags)
	e.u64(0) // descriptors
	e.u64(rest)
}

func (e *encoder) u64(v uint64) {
	var b [8]byte
	e.order.PutUint64(b[:], v)
	e.buf = append(e.buf, b[:]...)
}

func (e *encoder) pairHeader(typ Type, name string, datasize, nitems uint64) {
	e.buf = append(e.buf, byte(typ))
	var n [2]byte
	e.order.PutUint16(n[:], uint16(len(name)+1))
	e.buf = append(e.buf, n[:]...)
	e.u64(datasize)
	e.u64(nitems)
	e.buf = append(e.buf, name...)
	e.buf = append(e.buf, 0)
}

func (e *encoder) marker(typ Type) { e.pairHeader(typ, "", 0, 0) }

// items writes l's pairs. tail is what libnv's nvlist_size walk would count
// after l's own items when started inside l (see nvlistDatasize).
func (e *encoder) items(l *List, tail int) {
	// after[i] is the packed length of the pairs following pair i; only
	// needed when l holds lists.
	var after []int
	for i := range l.pairs {
		if t := l.pairs[i].typ; t == TypeList || t == TypeListArray {
			after = make([]int, len(l.pairs))
			for j := len(l.pairs) - 2; j >= 0; j-- {
				after[j] = after[j+1] + pairLen(&l.pairs[j+1])
			}
			break
		}
	}
	for i := range l.pairs {
		p := &l.pairs[i]
		switch v := p.v.(type) {
		case nil:
			e.pairHeader(p.typ, p.name, 0, 0)
		case bool:
			e.pairHeader(p.typ, p.name, 1, 0)
			if v {
				e.buf = append(e.buf, 1)
			} else {
				e.buf = append(e.buf, 0)
			}
		case uint64:
			e.pairHeader(p.typ, p.name, 8, 0)
			e.u64(v)
		case string:
			e.pairHeader(p.typ, p.name, uint64(len(v)+1), 0)
			e.buf = append(e.buf, v...)
			e.buf = append(e.buf, 0)
		case []byte:
			e.pairHeader(p.typ, p.name, uint64(len(v)), 0)
			e.buf = append(e.buf, v...)
		case []bool:
			e.pairHeader(p.typ, p.name, uint64(len(v)), uint64(len(v)))
			for _, b := range v {
				if b {
					e.buf = append(e.buf, 1)
				} else {
					e.buf = append(e.buf, 0)
				}
			}
		case []uint64:
			e.pairHeader(p.typ, p.name, uint64(8*len(v)), uint64(len(v)))
			for _, x := range v {
				e.u64(x)
			}
		case []string:
			size := 0
			for _, s := range v {
				size += len(s) + 1
			}
			e.pairHeader(p.typ, p.name, uint64(size), uint64(len(v)))
			for _, s := range v {
				e.buf = append(e.buf, s...)
				e.buf = append(e.buf, 0)
			}
		case *List:
			childTail := after[i] + tail
			e.pairHeader(p.typ, p.name, nvlistDatasize(v, childTail), 0)
			e.header()
			e.items(v, childTail)
			e.marker(typeUp)
		case []*List:
			// libnv writes datasize 0 for NVLIST_ARRAY.
			e.pairHeader(p.typ, p.name, 0, uint64(len(v)))
			// elTail[j] = items of the later elements + what follows the array.
			elTail := make([]int, len(v))
			elTail[len(v)-1] = after[i] + tail
			for j := len(v) - 2; j >= 0; j-- {
				elTail[j] = elTail[j+1] + v[j+1].itemsLen()
			}
			for j, el := range v {
				e.header()
				e.items(el, elTail[j])
				e.marker(typeArrayNext)
			}
		}
	}
}

// nvlistDatasize reproduces the datasize libnv stores for an NVLIST pair:
// nvlist_size() run on the child, which (because the child has a parent)
// walks on through the rest of the buffer, counting nested headers and
// markers but not the UP/NEXT markers that close the child and its
// ancestors, nor the headers of later elements of enclosing arrays. An
// empty child stops the walk at once (19). The unpacker only checks
// 1 <= datasize <= remaining, so this matters solely for byte-exact output.
func nvlistDatasize(child *List, tail int) uint64 {
	if len(child.pairs) == 0 {
		return headerLen
	}
	return uint64(headerLen + child.itemsLen() + tail)
}

// itemsLen is the packed length of l's items; l has been measured already,
// so it cannot fail.
func (l *List) itemsLen() int {
	n, _ := l.measure(0)
	return n
}

// pairLen is the packed length of one pair including nested content.
func pairLen(p *pair) int {
	one := List{pairs: []pair{*p}}
	return one.itemsLen()
}
