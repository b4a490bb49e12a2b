package uapi

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Seed corpora live in testdata/fuzz/FuzzParseSet and FuzzParseGet (the
// spec examples, every key, and inputs that once failed); plain go test
// runs them.

// FuzzParseSet checks that ParseSet never panics, and that whatever it
// accepts WriteSet can write and ParseSet reads back equal.
func FuzzParseSet(f *testing.F) {
	f.Add([]byte("listen_port=0\npublic_key=" + hexPub + "\nendpoint=[::1]:51820\nallowed_ip=10.0.0.3/32\nallowed_ip=-fd00::2/128\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		cfg, err := ParseSet(bufio.NewReaderSize(bytes.NewReader(in), 16))
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := WriteSet(&b, cfg); err != nil {
			t.Fatalf("WriteSet of a parsed config: %v", err)
		}
		again, err := ParseSet(bufio.NewReader(bytes.NewReader(b.Bytes())))
		if err != nil {
			t.Fatalf("ParseSet of WriteSet output %q: %v", b.String(), err)
		}
		if diff := cmp.Diff(cfg, again, cmpOpts...); diff != "" {
			t.Fatalf("round trip through %q (-first +second):\n%s", b.String(), diff)
		}
	})
}

// FuzzParseGet checks that ParseGet never panics, and that WriteGet of what
// it accepts is a fixed point: written, parsed and written again gives the
// same text.
func FuzzParseGet(f *testing.F) {
	f.Add([]byte(specGet))
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := ParseGet(bufio.NewReaderSize(bytes.NewReader(in), 16))
		if err != nil {
			return
		}
		var b1, b2 bytes.Buffer
		if err := WriteGet(&b1, d); err != nil {
			t.Fatalf("WriteGet of a parsed device: %v", err)
		}
		d2, err := ParseGet(bufio.NewReader(bytes.NewReader(b1.Bytes())))
		if err != nil {
			t.Fatalf("ParseGet of WriteGet output %q: %v", b1.String(), err)
		}
		if err := WriteGet(&b2, d2); err != nil {
			t.Fatal(err)
		}
		if b1.String() != b2.String() {
			t.Fatalf("WriteGet not stable:\n%q\n%q", b1.String(), b2.String())
		}
	})
}
