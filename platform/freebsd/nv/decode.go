package nv

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
)

// DecodeError locates a rejected byte in a packed nvlist.
type DecodeError struct {
	Offset int    // byte offset of the offending header or field
	Path   string // e.g. `peers[0].allowed-ips[1].cidr`; empty at top level
	Reason string
}

func (e *DecodeError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("nv decode: offset %d: %s", e.Offset, e.Reason)
	}
	return fmt.Sprintf("nv decode: offset %d: %s: %s", e.Offset, e.Path, e.Reason)
}

// Unwrap makes every DecodeError match ErrMalformed.
func (e *DecodeError) Unwrap() error { return ErrMalformed }

// Flags bits of a list header (sys/sys/nv.h, nvlist.c).
const (
	flagIgnoreCase = 0x01
	flagNoUnique   = 0x02
	flagAllMask    = flagIgnoreCase | flagNoUnique | flagBigEndian
)

type frameKind uint8

const (
	frameTop  frameKind = iota
	frameList           // nested NVLIST, closed by UP
	frameElem           // NVLIST_ARRAY element, closed by NEXT
)

type frame struct {
	kind  frameKind
	list  *List
	path  string
	elems []*List // frameElem: the whole array
	elem  int     // frameElem: index of this element
}

type decoder struct {
	b     []byte
	pos   int
	order binary.ByteOrder
	stack []frame
}

// Decode unpacks a packed nvlist. It accepts exactly what the FreeBSD
// kernel's nvlist_unpack(buf, size, 0) accepts (spec §1.8), in either byte
// order, except that it is stricter in ways libnv never produces:
//
//   - the byte-order flag must be the same in every header (libnv honours
//     a per-header flag, with odd effects after the nested list ends);
//   - nested headers carry no public flags (libnv would apply
//     IGNORE_CASE/NO_UNIQUE to that sub-list);
//   - markers have an empty name and datasize 0, UP closes only a nested
//     list and NEXT only an array element (libnv lets either close
//     either);
//   - the buffer must close every nested list and array element (libnv
//     returns success if the buffer ends inside one);
//   - BOOL_ARRAY bytes must be 0 or 1, every STRING_ARRAY string must be
//     NUL-terminated (libnv's check lets the last one run to the end);
//   - nesting deeper than MaxDepth is refused.
//
// Unlike libnv, which does not byte-swap nitems, nitems is read in the
// buffer's byte order, so big-endian arrays decode correctly.
func Decode(b []byte) (*List, error) {
	d := decoder{b: b}
	if len(b) >= 3 && b[2]&flagBigEndian != 0 {
		d.order = binary.BigEndian
	} else {
		d.order = binary.LittleEndian
	}
	root := &List{order: d.order}
	if err := d.header(true); err != nil {
		return nil, err
	}
	d.stack = append(d.stack, frame{kind: frameTop, list: root})
	for d.pos < len(d.b) {
		if err := d.item(); err != nil {
			return nil, err
		}
	}
	if top := d.stack[len(d.stack)-1]; top.kind != frameTop {
		return nil, d.errf(len(d.b), top.path, "buffer ends inside a nested list (missing %s)",
			map[frameKind]string{frameList: "up marker", frameElem: "array-next marker"}[top.kind])
	}
	return root, nil
}

func (d *decoder) errf(off int, path, format string, args ...any) error {
	return &DecodeError{Offset: off, Path: path, Reason: fmt.Sprintf(format, args...)}
}

func (d *decoder) curPath() string {
	if len(d.stack) == 0 {
		return ""
	}
	return d.stack[len(d.stack)-1].path
}

// header checks an nvlist header at d.pos (nvlist_unpack_header).
func (d *decoder) header(top bool) error {
	off := d.pos
	path := d.curPath()
	rest := len(d.b) - off
	if rest < headerLen {
		return d.errf(off, path, "truncated nvlist header: %d bytes left, need %d", rest, headerLen)
	}
	h := d.b[off : off+headerLen]
	if h[0] != 'l' {
		return d.errf(off, path, "bad magic 0x%02x, want 0x6c", h[0])
	}
	// h[1] is the version; libnv does not check it.
	flags := h[2]
	if flags&^flagAllMask != 0 {
		return d.errf(off+2, path, "unknown header flags 0x%02x", flags)
	}
	if (flags&flagBigEndian != 0) != isBigEndian(d.order) {
		return d.errf(off+2, path, "byte-order flag differs from the top-level header")
	}
	if pub := flags &^ flagBigEndian; pub != 0 {
		if top {
			return d.errf(off+2, path, "public flags 0x%02x set; the kernel unpacks with flags 0", pub)
		}
		return d.errf(off+2, path, "public flags 0x%02x on a nested list are not supported", pub)
	}
	if n := d.order.Uint64(h[3:11]); n != 0 {
		return d.errf(off+3, path, "%d descriptors; none may be passed to the kernel", n)
	}
	size := d.order.Uint64(h[11:19])
	if want := uint64(rest - headerLen); size != want {
		return d.errf(off+11, path, "header size %d, but %d bytes follow the header", size, want)
	}
	d.pos += headerLen
	return nil
}

// item decodes one pair or marker at d.pos.
func (d *decoder) item() error {
	off := d.pos
	cur := &d.stack[len(d.stack)-1]
	rest := len(d.b) - off
	if rest < pairHeaderLen {
		return d.errf(off, cur.path, "truncated pair header: %d bytes left, need %d", rest, pairHeaderLen)
	}
	h := d.b[off : off+pairHeaderLen]
	typ := Type(h[0])
	namesize := int(d.order.Uint16(h[1:3]))
	datasize := d.order.Uint64(h[3:11])
	nitems := d.order.Uint64(h[11:19])
	d.pos += pairHeaderLen

	switch {
	case typ == 0 || (typ > TypeDescriptorArray && typ != typeUp && typ != typeArrayNext):
		return d.errf(off, cur.path, "invalid pair type %d", uint8(typ))
	case typ == TypeDescriptor || typ == TypeDescriptorArray:
		return d.errf(off, cur.path, "%s pairs cannot be passed to the kernel", typ)
	}
	if namesize < 1 || namesize > MaxNameLen+1 {
		return d.errf(off+1, cur.path, "name size %d outside 1..%d", namesize, MaxNameLen+1)
	}
	if namesize > len(d.b)-d.pos {
		return d.errf(off+1, cur.path, "name size %d exceeds the %d bytes left", namesize, len(d.b)-d.pos)
	}
	raw := d.b[d.pos : d.pos+namesize]
	if i := bytes.IndexByte(raw, 0); i != namesize-1 {
		return d.errf(d.pos, cur.path, "name is not NUL-terminated at its last byte")
	}
	name := string(raw[:namesize-1])
	path := joinPath(cur.path, name)
	d.pos += namesize
	left := uint64(len(d.b) - d.pos)
	if datasize > left {
		return d.errf(off+3, path, "datasize %d exceeds the %d bytes left", datasize, left)
	}

	if typ == typeUp || typ == typeArrayNext {
		return d.marker(off, typ, namesize, datasize)
	}
	var v any
	switch typ {
	case TypeNull:
		if datasize != 0 {
			return d.errf(off+3, path, "null with datasize %d", datasize)
		}
	case TypeBool:
		if datasize != 1 {
			return d.errf(off+3, path, "bool with datasize %d, want 1", datasize)
		}
		switch d.b[d.pos] {
		case 0:
			v = false
		case 1:
			v = true
		default:
			return d.errf(d.pos, path, "bool value 0x%02x, want 0 or 1", d.b[d.pos])
		}
	case TypeNumber:
		if datasize != 8 {
			return d.errf(off+3, path, "number with datasize %d, want 8", datasize)
		}
		v = d.order.Uint64(d.b[d.pos:])
	case TypeString:
		if datasize == 0 {
			return d.errf(off+3, path, "string with datasize 0")
		}
		s := d.b[d.pos : d.pos+int(datasize)]
		if bytes.IndexByte(s, 0) != len(s)-1 {
			return d.errf(d.pos, path, "string is not NUL-terminated at its last byte")
		}
		v = string(s[:len(s)-1])
	case TypeBinary:
		if datasize == 0 {
			return d.errf(off+3, path, "binary with datasize 0")
		}
		v = append([]byte(nil), d.b[d.pos:d.pos+int(datasize)]...)
	case TypeBoolArray:
		if nitems == 0 || datasize != nitems {
			return d.errf(off+3, path, "bool array with datasize %d and %d items", datasize, nitems)
		}
		a := make([]bool, nitems)
		for i := range a {
			switch c := d.b[d.pos+i]; c {
			case 0:
			case 1:
				a[i] = true
			default:
				return d.errf(d.pos+i, path, "bool array item %d is 0x%02x, want 0 or 1", i, c)
			}
		}
		v = a
	case TypeNumberArray:
		if nitems == 0 || nitems > left/8 || datasize != 8*nitems {
			return d.errf(off+3, path, "number array with datasize %d and %d items", datasize, nitems)
		}
		a := make([]uint64, nitems)
		for i := range a {
			a[i] = d.order.Uint64(d.b[d.pos+8*i:])
		}
		v = a
	case TypeStringArray:
		if nitems == 0 || datasize == 0 || nitems > datasize {
			return d.errf(off+3, path, "string array with datasize %d and %d items", datasize, nitems)
		}
		s := d.b[d.pos : d.pos+int(datasize)]
		a := make([]string, 0, nitems)
		for i := uint64(0); i < nitems; i++ {
			j := bytes.IndexByte(s, 0)
			if j < 0 {
				return d.errf(d.pos+int(datasize)-len(s), path, "string array item %d is not NUL-terminated", i)
			}
			a = append(a, string(s[:j]))
			s = s[j+1:]
		}
		if len(s) != 0 {
			return d.errf(off+3, path, "string array has %d bytes after its %d items", len(s), nitems)
		}
		v = a
	case TypeList:
		// datasize is informational (see nvlistDatasize); libnv only
		// bounds it.
		if datasize == 0 {
			return d.errf(off+3, path, "nvlist with datasize 0")
		}
		if len(d.stack) > MaxDepth {
			return d.errf(off, path, "nesting deeper than %d lists", MaxDepth)
		}
		child := &List{order: d.order}
		if err := d.addPair(off, cur, path, name, typ, child); err != nil {
			return err
		}
		d.stack = append(d.stack, frame{kind: frameList, list: child, path: path})
		return d.header(false)
	case TypeListArray:
		if nitems == 0 || nitems > left/headerLen {
			return d.errf(off+11, path, "nvlist array with %d items in %d bytes", nitems, left)
		}
		if len(d.stack) > MaxDepth {
			return d.errf(off, path, "nesting deeper than %d lists", MaxDepth)
		}
		elems := make([]*List, nitems)
		for i := range elems {
			elems[i] = &List{order: d.order}
		}
		if err := d.addPair(off, cur, path, name, typ, elems); err != nil {
			return err
		}
		d.stack = append(d.stack, frame{kind: frameElem, list: elems[0], path: path + "[0]", elems: elems})
		return d.header(false)
	}
	d.pos += int(datasize)
	return d.addPair(off, cur, path, name, typ, v)
}

func (d *decoder) addPair(off int, cur *frame, path, name string, typ Type, v any) error {
	if err := cur.list.add(name, typ, v); err != nil {
		return d.errf(off, path, "%v", err)
	}
	return nil
}

func (d *decoder) marker(off int, typ Type, namesize int, datasize uint64) error {
	cur := d.stack[len(d.stack)-1]
	if namesize != 1 || datasize != 0 {
		return d.errf(off, cur.path, "%s with a name or data", typ)
	}
	switch {
	case typ == typeUp && cur.kind != frameList:
		return d.errf(off, cur.path, "up marker outside a nested nvlist")
	case typ == typeArrayNext && cur.kind != frameElem:
		return d.errf(off, cur.path, "array-next marker outside an nvlist array")
	}
	d.stack = d.stack[:len(d.stack)-1]
	if typ == typeArrayNext && cur.elem+1 < len(cur.elems) {
		i := cur.elem + 1
		base := cur.path[:len(cur.path)-len("["+strconv.Itoa(cur.elem)+"]")]
		d.stack = append(d.stack, frame{kind: frameElem, list: cur.elems[i], path: base + "[" + strconv.Itoa(i) + "]", elems: cur.elems, elem: i})
		return d.header(false)
	}
	return nil
}

func joinPath(parent, name string) string {
	if name == "" {
		name = `""`
	}
	if parent == "" {
		return name
	}
	return parent + "." + name
}
