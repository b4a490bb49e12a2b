package nv

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzDecode: Decode never panics, and whatever it accepts encodes, decodes
// again to the same tree, and then re-encodes to the same bytes.
// Seeds are in testdata/fuzz/FuzzDecode plus the fixtures below.
func FuzzDecode(f *testing.F) {
	f.Add(hx(f, specExample1))
	f.Add(hx(f, specExample1BE))
	f.Add(hx(f, specExample2))
	for _, o := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		b, err := everything().Encode(o)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		l, err := Decode(in)
		if err != nil {
			if l != nil {
				t.Fatal("list returned with an error")
			}
			return
		}
		enc, err := l.Encode(l.Order())
		if err != nil {
			t.Fatalf("accepted input does not encode: %v", err)
		}
		if len(enc) != len(in) {
			t.Fatalf("re-encoded length %d, input %d", len(enc), len(in))
		}
		l2, err := Decode(enc)
		if err != nil {
			t.Fatalf("re-encoded bytes rejected: %v", err)
		}
		if l.String() != l2.String() {
			t.Fatalf("tree changed:\n%s\nvs\n%s", l, l2)
		}
		enc2, err := l2.Encode(l2.Order())
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encode not stable: %v", err)
		}
	})
}
