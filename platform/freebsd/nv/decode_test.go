package nv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// mutate copies b and applies f.
func mutate(b []byte, f func([]byte) []byte) []byte {
	return f(append([]byte(nil), b...))
}

func put64(b []byte, off int, v uint64) []byte {
	binary.LittleEndian.PutUint64(b[off:], v)
	return b
}

// TestDecodeRejects applies each rule of spec §1.8 (and our stricter ones)
// to a valid fixture and checks the error names the right place.
func TestDecodeRejects(t *testing.T) {
	ex1 := hx(t, specExample1)
	ex2 := hx(t, specExample2)
	nested, err := New().AddList("child", New().AddNumber("x", 1)).AddBool("after", true).Encode(binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	// nested: 0 header | 19 pair "child" (namesize 6) | 44 child header |
	// 63 pair "x" | 92 UP | 112 pair "after"
	tests := []struct {
		name    string
		in      []byte
		wantOff int
		want    string // substring of the error
	}{
		{"empty", nil, 0, "truncated nvlist header"},
		{"short header", ex1[:18], 0, "truncated nvlist header"},
		{"bad magic", mutate(ex1, func(b []byte) []byte { b[0] = 'n'; return b }), 0, "bad magic 0x6e"},
		{"unknown flag", mutate(ex1, func(b []byte) []byte { b[2] = 0x04; return b }), 2, "unknown header flags 0x04"},
		{"ignore-case flag", mutate(ex1, func(b []byte) []byte { b[2] = 0x01; return b }), 2, "kernel unpacks with flags 0"},
		{"no-unique flag", mutate(ex1, func(b []byte) []byte { b[2] = 0x02; return b }), 2, "public flags 0x02"},
		{"descriptors", mutate(ex1, func(b []byte) []byte { return put64(b, 3, 1) }), 3, "1 descriptors"},
		{"size minus one", mutate(ex1, func(b []byte) []byte { return put64(b, 11, 101) }), 11, "header size 101, but 102 bytes follow"},
		{"size plus one", mutate(ex1, func(b []byte) []byte { return put64(b, 11, 103) }), 11, "header size 103"},
		{"trailing byte", append(append([]byte(nil), ex1...), 0), 11, "header size 102, but 103 bytes follow"},
		{"type 0", mutate(ex1, func(b []byte) []byte { b[0x13] = 0; return b }), 0x13, "invalid pair type 0"},
		{"type 13", mutate(ex1, func(b []byte) []byte { b[0x13] = 13; return b }), 0x13, "invalid pair type 13"},
		{"type 253", mutate(ex1, func(b []byte) []byte { b[0x13] = 253; return b }), 0x13, "invalid pair type 253"},
		{"descriptor", mutate(ex1, func(b []byte) []byte { b[0x13] = 6; return b }), 0x13, "descriptor pairs cannot"},
		{"descriptor array", mutate(ex1, func(b []byte) []byte { b[0x13] = 12; return b }), 0x13, "descriptor-array pairs cannot"},
		{"namesize 0", mutate(ex1, func(b []byte) []byte { b[0x14] = 0; return b }), 0x14, "name size 0 outside"},
		{"namesize 2049", mutate(ex1, func(b []byte) []byte { b[0x14], b[0x15] = 0x01, 0x08; return b }), 0x14, "name size 2049 outside 1..2048"},
		{"namesize past end", mutate(ex1, func(b []byte) []byte { return put64(b[:0x13+19+5], 11, 24) }), 0x14, "name size 12 exceeds the 5 bytes left"},
		{"name NUL early", mutate(ex1, func(b []byte) []byte { b[0x28] = 0; return b }), 0x26, "not NUL-terminated"},
		{"name without NUL", mutate(ex1, func(b []byte) []byte { b[0x31] = 'x'; return b }), 0x26, "not NUL-terminated"},
		{"number datasize 4", mutate(ex1, func(b []byte) []byte { b[0x16] = 4; return b }), 0x16, "listen-port: number with datasize 4, want 8"},
		{"binary datasize 0", mutate(ex1, func(b []byte) []byte { b[0x3d] = 0; return b }), 0x3d, "private-key: binary with datasize 0"},
		{"datasize past end", mutate(ex1, func(b []byte) []byte { b[0x3d] = 33; return b }), 0x3d, "datasize 33 exceeds the 32 bytes left"},
		{"duplicate name", mutate(ex1, func(b []byte) []byte { copy(b[0x4d:], "listen-port\x00"); return b }), 0x3a, "listen-port: duplicate name"},
		{"truncated value", mutate(ex1, func(b []byte) []byte { return put64(b[:120], 11, 101) }), 0x3d, "datasize 32 exceeds the 31 bytes left"},
		{"nvlist datasize 0", mutate(nested, func(b []byte) []byte { return put64(b, 22, 0) }), 19 + 3, "child: nvlist with datasize 0"},
		{"nvlist datasize past end", mutate(nested, func(b []byte) []byte { return put64(b, 22, 200) }), 19 + 3, "datasize 200 exceeds"},
		{"nested size off by one", mutate(nested, func(b []byte) []byte {
			v := binary.LittleEndian.Uint64(b[44+11:])
			return put64(b, 44+11, v-1)
		}), 44 + 11, "child: header size"},
		{"nested public flag", mutate(nested, func(b []byte) []byte { b[44+2] = 0x02; return b }), 46, "nested list are not supported"},
		{"mixed byte order", mutate(nested, func(b []byte) []byte { b[44+2] = 0x80; return b }), 46, "byte-order flag differs"},
		{"up at top level", mutate(ex1, func(b []byte) []byte {
			b = append(b, 0xff, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
			return put64(b, 11, 102+20)
		}), 121, "up marker outside a nested nvlist"},
		{"next at top level", mutate(ex1, func(b []byte) []byte {
			b = append(b, 0xfe, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
			return put64(b, 11, 102+20)
		}), 121, "array-next marker outside an nvlist array"},
		{"next closes nvlist", mutate(nested, func(b []byte) []byte { b[92] = 0xfe; return b }), 92, "child: array-next marker outside"},
		{"marker with data", mutate(nested, func(b []byte) []byte { b[95] = 1; return b }), 92, "up-marker with a name or data"},
		{"missing up marker", func() []byte {
			b, _ := New().AddList("child", New().AddNumber("x", 1)).Encode(binary.LittleEndian)
			b = b[:len(b)-20]
			put64(b, 11, uint64(len(b)-19))
			return put64(b, 44+11, uint64(len(b)-44-19))
		}(), 92, "child: buffer ends inside a nested list (missing up marker)"},
		{"up closes array element", mutate(ex2, func(b []byte) []byte { b[0x121] = 0xff; return b }), 0x121, "peers[0]: up marker outside"},
		{"missing next marker", func() []byte {
			b := hx(t, specExample2)[:0x121]
			put64(b, 11, uint64(len(b)-19))
			put64(b, 0x4e+11, uint64(len(b)-0x4e-19))
			return put64(b, 0xbe+11, uint64(len(b)-0xbe-19))
		}(), 0x121, "peers[0]: buffer ends inside a nested list (missing array-next marker)"},
		{"array nitems 0", mutate(ex2, func(b []byte) []byte { return put64(b, 0x35+11, 0) }), 0x35 + 11, "peers: nvlist array with 0 items"},
		{"array nitems too many", mutate(ex2, func(b []byte) []byte { return put64(b, 0x35+11, 1<<62) }), 0x35 + 11, "nvlist array with 4611686018427387904 items"},
		{"array second element missing", mutate(ex2, func(b []byte) []byte { return put64(b, 0x35+11, 2) }), 0x135, "peers[1]: truncated nvlist header"},
		{"bool value 2", mutate(ex2, func(b []byte) []byte { b[0x34] = 2; return b }), 0x34, "replace-peers: bool value 0x02"},
		{"bool datasize 2", mutate(ex2, func(b []byte) []byte { b[0x16] = 2; return b }), 0x16, "bool with datasize 2"},
		{"deep path", mutate(ex2, func(b []byte) []byte { b[0xed+3] = 7; return b }), 0xed + 3, "peers[0].allowed-ips[0].cidr: number with datasize 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Decode(tt.in)
			if err == nil {
				t.Fatalf("accepted:\n%s", l)
			}
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %T %v is not a DecodeError", err, err)
			}
			if de.Offset != tt.wantOff || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q (offset %d), want offset %d and %q", err, de.Offset, tt.wantOff, tt.want)
			}
		})
	}
}

// TestDecodeAccepts covers what libnv tolerates (spec §1.8, verified
// against libnv): any version byte, nitems on scalars, any in-range NVLIST
// datasize.
func TestDecodeAccepts(t *testing.T) {
	ex1 := hx(t, specExample1)
	nested, _ := New().AddList("child", New().AddNumber("x", 1)).Encode(binary.LittleEndian)
	tests := []struct {
		name string
		in   []byte
	}{
		{"version 7", mutate(ex1, func(b []byte) []byte { b[1] = 7; return b })},
		{"nitems on number", mutate(ex1, func(b []byte) []byte { return put64(b, 0x1e, 5) })},
		{"nvlist datasize 1", mutate(nested, func(b []byte) []byte { return put64(b, 22, 1) })},
		{"nvlist datasize max", mutate(nested, func(b []byte) []byte { return put64(b, 22, uint64(len(b)-19-19-6)) })},
		{"empty top level", hx(t, "6c 00 00 0000000000000000 0000000000000000")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Decode(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			// Re-encoding normalises the tolerated fields.
			out, err := l.Encode(binary.LittleEndian)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Decode(out); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDecodeTruncations decodes every prefix and every single-byte change
// of a rich fixture: never a panic, and a prefix is never accepted.
func TestDecodeTruncations(t *testing.T) {
	full, err := everything().Encode(binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(full) {
		if _, err := Decode(full[:n]); err == nil {
			t.Fatalf("prefix of %d/%d bytes accepted", n, len(full))
		}
	}
	for i := range full {
		for _, x := range []byte{0x00, 0x01, 0xff, full[i] ^ 0x80} {
			b := append([]byte(nil), full...)
			b[i] = x
			if l, err := Decode(b); err == nil {
				if _, err := l.Encode(l.Order()); err != nil {
					t.Fatalf("byte %d = %#x: decoded list does not encode: %v", i, x, err)
				}
			}
		}
	}
}

func TestDecodeDepth(t *testing.T) {
	l := New().AddNumber("leaf", 1)
	for range MaxDepth {
		l = New().AddList("n", l)
	}
	b, err := l.Encode(nil)
	if err != nil {
		t.Fatalf("depth %d: %v", MaxDepth, err)
	}
	if _, err := Decode(b); err != nil {
		t.Fatalf("depth %d: %v", MaxDepth, err)
	}
	l = New().AddList("n", l)
	if _, err := l.Encode(nil); err == nil {
		t.Fatal("encoded past MaxDepth")
	}
	// Hand-build one level more than MaxDepth to reach the decoder's check.
	var pre, post []byte
	depth := MaxDepth + 2
	for range depth {
		pre = append(pre, 5, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'n', 0)
		pre = append(pre, 'l', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
		post = append(post, 0xff, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	}
	b = append(append([]byte{'l', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, pre...), post...)
	fixSizes(b)
	if _, err := Decode(b); err == nil || !strings.Contains(err.Error(), "nesting deeper") {
		t.Fatalf("deep input: %v", err)
	}
}

// fixSizes rewrites every little-endian header size in a buffer made of
// headers, 21-byte NVLIST pairs named "n" and markers, as built above.
func fixSizes(b []byte) {
	for i := 0; i < len(b); {
		switch b[i] {
		case 'l':
			binary.LittleEndian.PutUint64(b[i+11:], uint64(len(b)-i-19))
			i += 19
		case 5:
			i += 21
		default:
			i += 20
		}
	}
}

func TestBigEndianFixtureDecodes(t *testing.T) {
	l, err := Decode(hx(t, specExample1BE))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := l.GetNumber("listen-port"); err != nil || p != 51820 {
		t.Errorf("listen-port = %d, %v", p, err)
	}
	if k, err := l.GetBinary("private-key"); err != nil || !bytes.Equal(k, seq(32)) {
		t.Errorf("private-key = %x, %v", k, err)
	}
	if l.Order() != binary.BigEndian {
		t.Errorf("Order = %v", l.Order())
	}
}
