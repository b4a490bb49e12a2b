package nv

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// hx parses annotated hex: everything after '#' on a line is a comment,
// whitespace is ignored. Fixtures stay readable field by field.
func hx(t testing.TB, s string) []byte {
	t.Helper()
	var clean strings.Builder
	for line := range strings.SplitSeq(s, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		clean.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(clean.String())
	if err != nil {
		t.Fatalf("bad fixture: %v", err)
	}
	return b
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// specExample1 is the byte-annotated example of spec §1.11, packed by
// libnv on amd64.
const specExample1 = `
6c                        # 00 header magic 'l'
00                        # 01 version
00                        # 02 flags: little-endian, no public flags
00 00 00 00 00 00 00 00   # 03 descriptors 0
66 00 00 00 00 00 00 00   # 0b size 102 = 121 - 19
03                        # 13 pair 1 type NUMBER
0c 00                     # 14 namesize 12
08 00 00 00 00 00 00 00   # 16 datasize 8
00 00 00 00 00 00 00 00   # 1e nitems 0
6c 69 73 74 65 6e 2d 70 6f 72 74 00   # 26 "listen-port" NUL
6c ca 00 00 00 00 00 00   # 32 51820
07                        # 3a pair 2 type BINARY
0c 00                     # 3b namesize 12
20 00 00 00 00 00 00 00   # 3d datasize 32
00 00 00 00 00 00 00 00   # 45 nitems 0
70 72 69 76 61 74 65 2d 6b 65 79 00   # 4d "private-key" NUL
000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f  # 59 value
`

// specExample1BE is the same list as packed on a big-endian host: flag
// 0x80 and every integer reversed.
const specExample1BE = `
6c 00 80                  # header: magic, version, flags BIG_ENDIAN
00 00 00 00 00 00 00 00   # descriptors
00 00 00 00 00 00 00 66   # size 102
03 00 0c                  # NUMBER, namesize 12
00 00 00 00 00 00 00 08   # datasize 8
00 00 00 00 00 00 00 00   # nitems
6c 69 73 74 65 6e 2d 70 6f 72 74 00   # "listen-port"
00 00 00 00 00 00 ca 6c   # 51820
07 00 0c                  # BINARY, namesize 12
00 00 00 00 00 00 00 20   # datasize 32
00 00 00 00 00 00 00 00   # nitems
70 72 69 76 61 74 65 2d 6b 65 79 00   # "private-key"
000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
`

// specExample2 is the second example of spec §1.11: the shape of a SIOCSWG
// request with one peer and one allowed IP, 309 bytes.
const specExample2 = `
6c 00 00 0000000000000000 2201000000000000  # 000 top header, size 290
02 0e00 0100000000000000 0000000000000000   # 013 BOOL namesize 14 datasize 1
7265706c6163652d706565727300 01             #     "replace-peers" = true
0b 0600 0000000000000000 0100000000000000   # 035 NVLIST_ARRAY namesize 6, datasize 0, nitems 1
706565727300                                #     "peers"
6c 00 00 0000000000000000 d400000000000000  # 04e element 0 header, size 212
07 0b00 2000000000000000 0000000000000000   # 061 BINARY namesize 11 datasize 32
7075626c69632d6b657900                      #     "public-key"
000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
0b 0c00 0000000000000000 0100000000000000   # 09f NVLIST_ARRAY namesize 12, nitems 1
616c6c6f7765642d69707300                    #     "allowed-ips"
6c 00 00 0000000000000000 6400000000000000  # 0be element 0 header, size 100
07 0500 0400000000000000 0000000000000000   # 0d1 BINARY namesize 5 datasize 4
6970763400 0a000002                         #     "ipv4" = 10.0.0.2
03 0500 0800000000000000 0000000000000000   # 0ed NUMBER namesize 5 datasize 8
6369647200 2000000000000000                 #     "cidr" = 32
fe 0100 0000000000000000 0000000000000000 00  # 10d NEXT (closes the allowed-ip element)
fe 0100 0000000000000000 0000000000000000 00  # 121 NEXT (closes the peer element)
`

func example1() *List {
	return New().AddNumber("listen-port", 51820).AddBinary("private-key", seq(32))
}

func example2() *List {
	aip := New().AddBinary("ipv4", []byte{10, 0, 0, 2}).AddNumber("cidr", 32)
	peer := New().AddBinary("public-key", seq(32)).AddListArray("allowed-ips", []*List{aip})
	return New().AddBool("replace-peers", true).AddListArray("peers", []*List{peer})
}

func TestSpecExamples(t *testing.T) {
	tests := []struct {
		name  string
		list  *List
		order binary.ByteOrder
		want  string
		len   int
	}{
		{"example1", example1(), binary.LittleEndian, specExample1, 121},
		{"example1-big-endian", example1(), binary.BigEndian, specExample1BE, 121},
		{"example2", example2(), binary.LittleEndian, specExample2, 309},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := hx(t, tt.want)
			if len(want) != tt.len {
				t.Fatalf("fixture is %d bytes, spec says %d", len(want), tt.len)
			}
			got, err := tt.list.Encode(tt.order)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("encode mismatch\n got %x\nwant %x", got, want)
			}
			dec, err := Decode(want)
			if err != nil {
				t.Fatal(err)
			}
			if dec.String() != tt.list.String() {
				t.Errorf("decode:\n%s\nwant:\n%s", dec, tt.list)
			}
			if isBigEndian(dec.Order()) != isBigEndian(tt.order) {
				t.Errorf("decoded order %v, want %v", dec.Order(), tt.order)
			}
			again, err := dec.Encode(dec.Order())
			if err != nil || !bytes.Equal(again, want) {
				t.Errorf("re-encode differs (%v)\n got %x\nwant %x", err, again, want)
			}
		})
	}
}

func TestGetters(t *testing.T) {
	l, err := Decode(hx(t, specExample2))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := l.GetBool("replace-peers"); err != nil || !v {
		t.Errorf("replace-peers = %v, %v", v, err)
	}
	peers, err := l.GetListArray("peers")
	if err != nil || len(peers) != 1 {
		t.Fatalf("peers = %v, %v", peers, err)
	}
	aips, err := peers[0].GetListArray("allowed-ips")
	if err != nil || len(aips) != 1 {
		t.Fatalf("allowed-ips = %v, %v", aips, err)
	}
	if ip, err := aips[0].GetBinary("ipv4"); err != nil || !bytes.Equal(ip, []byte{10, 0, 0, 2}) {
		t.Errorf("ipv4 = %x, %v", ip, err)
	}
	if c, err := aips[0].GetNumber("cidr"); err != nil || c != 32 {
		t.Errorf("cidr = %d, %v", c, err)
	}
	if _, err := l.GetNumber("replace-peers"); !errors.Is(err, ErrType) ||
		err.Error() != `nv: "replace-peers": is bool, want number: wrong type` {
		t.Errorf("mistyped get: %v", err)
	}
	if _, err := l.GetBool("listen-port"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing get: %v", err)
	}
	if typ, ok := l.TypeOf("peers"); !ok || typ != TypeListArray {
		t.Errorf("TypeOf(peers) = %v, %v", typ, ok)
	}
	if got := strings.Join(l.Names(), ","); got != "replace-peers,peers" {
		t.Errorf("Names = %s", got)
	}
}

func TestAddErrors(t *testing.T) {
	tests := []struct {
		name  string
		build func(*List)
		want  string
	}{
		{"duplicate", func(l *List) { l.AddNumber("a", 1).AddBool("a", true) }, `nv: add bool "a": duplicate name`},
		{"empty binary", func(l *List) { l.AddBinary("k", nil) }, `nv: add binary "k": empty binary`},
		{"empty array", func(l *List) { l.AddListArray("peers", nil) }, `nv: add nvlist-array "peers": empty array`},
		{"nul in name", func(l *List) { l.AddNull("a\x00b") }, `nv: add null "a\x00b": name contains a NUL byte`},
		{"nul in string", func(l *List) { l.AddString("s", "x\x00") }, `nv: add string "s": string contains a NUL byte`},
		{"long name", func(l *List) { l.AddBool(strings.Repeat("n", 2048), true) }, "name is 2048 bytes, longer than 2047"},
		{"self", func(l *List) { l.AddList("me", l) }, "list added to itself"},
		{"first error sticks", func(l *List) { l.AddBinary("k", nil).AddNumber("ok", 1) }, `nv: add binary "k": empty binary`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New()
			tt.build(l)
			if l.Err() == nil || !strings.Contains(l.Err().Error(), tt.want) {
				t.Fatalf("Err() = %v, want %q", l.Err(), tt.want)
			}
			if _, err := l.Encode(nil); err == nil {
				t.Fatal("Encode succeeded on a list with an error")
			}
		})
	}
	// A nested error surfaces at the top.
	bad := New().AddBinary("x", nil)
	if _, err := New().AddList("child", bad).Encode(nil); err == nil {
		t.Error("nested error not reported")
	}
	// Cycles through a third list are stopped by MaxDepth.
	a, b := New(), New()
	a.AddList("b", b)
	b.AddList("a", a)
	if _, err := a.Encode(nil); err == nil || !strings.Contains(err.Error(), "deeper than") {
		t.Errorf("cycle: %v", err)
	}
	if !strings.Contains(a.String(), "…") {
		t.Error("String of a cycle does not stop")
	}
}

// everything holds every supported type, nested lists and arrays included.
func everything() *List {
	inner := New().AddNumber("x", 1)
	e0 := New().AddString("s", "first").AddList("deep", New().AddNull("n"))
	e1 := New() // empty element
	e2 := New().AddBoolArray("b", []bool{true, false, true})
	return New().
		AddNull("null").
		AddBool("yes", true).
		AddBool("no", false).
		AddNumber("max", ^uint64(0)).
		AddString("str", "héllo").
		AddString("empty-string", "").
		AddBinary("bin", []byte{0xde, 0xad}).
		AddList("child", inner).
		AddList("empty", New()).
		AddListArray("arr", []*List{e0, e1, e2}).
		AddBoolArray("bools", []bool{true, false}).
		AddNumberArray("nums", []uint64{1, 2, 1 << 40}).
		AddStringArray("strs", []string{"a", "", "bc"}).
		AddNumber("", 7) // libnv allows the empty name
}

func TestRoundTrip(t *testing.T) {
	want := `null: null
yes: bool true
no: bool false
max: number 18446744073709551615
str: string "héllo"
empty-string: string ""
bin: binary[2] dead
child: nvlist
  x: number 1
empty: nvlist
arr: nvlist-array[3]
  [0]
    s: string "first"
    deep: nvlist
      n: null
  [1]
  [2]
    b: bool-array [true false true]
bools: bool-array [true false]
nums: number-array [1 2 1099511627776]
strs: string-array ["a" "" "bc"]
: number 7
`
	l := everything()
	if l.String() != want {
		t.Fatalf("String:\n%s\nwant:\n%s", l, want)
	}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		b, err := l.Encode(order)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Decode(b)
		if err != nil {
			t.Fatalf("%v: %v", order, err)
		}
		if d.String() != want {
			t.Errorf("%v: decoded:\n%s", order, d)
		}
		b2, _ := d.Encode(order)
		if !bytes.Equal(b, b2) {
			t.Errorf("%v: re-encode differs", order)
		}
	}
}

// TestNvlistDatasize checks the libnv quirks of spec §1.6 on our output:
// a non-empty child's datasize is everything after its name except its UP
// marker when it is followed only by top-level pairs, and an empty nested
// list has datasize 19.
func TestNvlistDatasize(t *testing.T) {
	l := New().
		AddList("child", New().AddNumber("x", 1)).
		AddList("empty", New()).
		AddString("s", "hi").
		AddNull("n")
	b, err := l.Encode(binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	// pair "child" at 19: datasize at 19+3, name 6 bytes.
	afterName := len(b) - (19 + 19 + 6)
	if ds := binary.LittleEndian.Uint64(b[19+3:]); ds != uint64(afterName-20) {
		t.Errorf("child datasize %d, want %d (remaining %d - UP marker)", ds, afterName-20, afterName)
	}
	// The spec's run: 177 remaining, datasize 157.
	if afterName != 177 {
		t.Errorf("remaining after name %d, spec example had 177", afterName)
	}
	emptyAt := 19 + 19 + 6 + 19 + 29 + 20
	if b[emptyAt] != byte(TypeList) {
		t.Fatalf("no nvlist pair at %d", emptyAt)
	}
	if ds := binary.LittleEndian.Uint64(b[emptyAt+3:]); ds != 19 {
		t.Errorf("empty nested list datasize %d, want 19", ds)
	}
	// An empty nested list packs as pair + header + UP marker.
	if n := len(b) - emptyAt; n < 19+6+19+20 {
		t.Errorf("empty list too short")
	}
}

func TestLongListUsesIndex(t *testing.T) {
	l := New()
	for i := range 100 {
		l.AddNumber(strings.Repeat("k", i+1), uint64(i))
	}
	l.AddNumber("kkk", 0)
	if l.Err() == nil {
		t.Fatal("duplicate not detected in indexed list")
	}
	if v, err := l.GetNumber(strings.Repeat("k", 50)); err != nil || v != 49 {
		t.Errorf("get = %d, %v", v, err)
	}
}

func BenchmarkEncode(b *testing.B) {
	l := example2()
	buf, _ := l.Encode(nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := l.Encode(nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	buf, _ := example2().Encode(nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := Decode(buf); err != nil {
			b.Fatal(err)
		}
	}
}
