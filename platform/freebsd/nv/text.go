package nv

import (
	"encoding/hex"
	"strconv"
	"strings"
)

// String renders l as indented text, one pair per line, in order:
//
//	listen-port: number 51820
//	peers: nvlist-array[1]
//	  [0]
//	    public-key: binary[32] 0001…
//
// Binary values are printed in full hex; it is meant for tests and
// debugging, so do not print lists holding secrets.
func (l *List) String() string {
	var b strings.Builder
	l.write(&b, 0)
	return b.String()
}

func (l *List) write(b *strings.Builder, depth int) {
	indent := strings.Repeat("  ", depth)
	if depth > MaxDepth {
		b.WriteString(indent + "…\n")
		return
	}
	for _, p := range l.pairs {
		b.WriteString(indent)
		b.WriteString(p.name)
		b.WriteString(": ")
		b.WriteString(p.typ.String())
		switch v := p.v.(type) {
		case bool:
			b.WriteString(" " + strconv.FormatBool(v))
		case uint64:
			b.WriteString(" " + strconv.FormatUint(v, 10))
		case string:
			b.WriteString(" " + strconv.Quote(v))
		case []byte:
			b.WriteString("[" + strconv.Itoa(len(v)) + "] " + hex.EncodeToString(v))
		case []bool:
			b.WriteString(" [")
			for i, x := range v {
				if i > 0 {
					b.WriteString(" ")
				}
				b.WriteString(strconv.FormatBool(x))
			}
			b.WriteString("]")
		case []uint64:
			b.WriteString(" [")
			for i, x := range v {
				if i > 0 {
					b.WriteString(" ")
				}
				b.WriteString(strconv.FormatUint(x, 10))
			}
			b.WriteString("]")
		case []string:
			b.WriteString(" [")
			for i, x := range v {
				if i > 0 {
					b.WriteString(" ")
				}
				b.WriteString(strconv.Quote(x))
			}
			b.WriteString("]")
		case *List:
			b.WriteString("\n")
			v.write(b, depth+1)
			continue
		case []*List:
			b.WriteString("[" + strconv.Itoa(len(v)) + "]\n")
			for i, e := range v {
				b.WriteString(indent + "  [" + strconv.Itoa(i) + "]\n")
				e.write(b, depth+2)
			}
			continue
		}
		b.WriteString("\n")
	}
}
