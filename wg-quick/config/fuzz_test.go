package config

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// addRecipes seeds a fuzz target with the recipe files (the corpus in
// testdata/fuzz/<target> is added by the testing package itself).
func addRecipes(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata", "recipes", pattern))
	for _, p := range files {
		src, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
}

// roundTrip checks that c survives both writers: parse -> write -> parse
// gives the same settings.
func roundTrip(t *testing.T, c *Config) {
	var ini, tml bytes.Buffer
	if err := WriteINI(&ini, c); err != nil {
		t.Fatalf("WriteINI of a parsed config: %v", err)
	}
	c2, err := ParseINI("again.conf", ini.Bytes())
	if err != nil {
		t.Fatalf("re-parse INI: %v\n%s", err, ini.Bytes())
	}
	if !c.Equal(c2) {
		t.Fatalf("INI round trip differs:\n%s", ini.Bytes())
	}
	if err := WriteTOML(&tml, c); err != nil {
		t.Fatalf("WriteTOML of a parsed config: %v", err)
	}
	c3, err := ParseTOML("again.toml", tml.Bytes())
	if err != nil {
		t.Fatalf("re-parse TOML: %v\n%s", err, tml.Bytes())
	}
	if !c.Equal(c3) {
		t.Fatalf("TOML round trip differs:\n%s", tml.Bytes())
	}
	if err := WriteStrip(&bytes.Buffer{}, c); err != nil && c.Interface.PrivateKeyFile == nil && !hasPSKFile(c) {
		t.Fatalf("WriteStrip: %v", err)
	}
}

func hasPSKFile(c *Config) bool {
	for _, p := range c.Peers {
		if p.PresharedKeyFile != nil {
			return true
		}
	}
	return false
}

func FuzzParseINI(f *testing.F) {
	addRecipes(f, "*.conf")
	f.Fuzz(func(t *testing.T, src []byte) {
		c, err := ParseINI("fuzz.conf", src)
		if err != nil {
			if _, ok := err.(Errors); !ok || err.Error() == "" {
				t.Fatalf("error %T %q is not a non-empty Errors", err, err)
			}
			return
		}
		roundTrip(t, c)
	})
}

func FuzzParseTOML(f *testing.F) {
	addRecipes(f, "*.toml")
	f.Fuzz(func(t *testing.T, src []byte) {
		c, err := ParseTOML("fuzz.toml", src)
		if err != nil {
			if _, ok := err.(Errors); !ok || err.Error() == "" {
				t.Fatalf("error %T %q is not a non-empty Errors", err, err)
			}
			return
		}
		roundTrip(t, c)
	})
}

func BenchmarkParseINI(b *testing.B) {
	src, err := os.ReadFile(filepath.Join("testdata", "recipes", "hooks.conf"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := ParseINI("hooks.conf", src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseTOML(b *testing.B) {
	src, err := os.ReadFile(filepath.Join("testdata", "recipes", "hooks.toml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := ParseTOML("hooks.toml", src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteTOML(b *testing.B) {
	src, err := os.ReadFile(filepath.Join("testdata", "recipes", "hooks.conf"))
	if err != nil {
		b.Fatal(err)
	}
	c, err := ParseINI("hooks.conf", src)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := WriteTOML(&buf, c); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
