//go:build linux

package wgquick_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wgshim/wgshim/tests/internal/snapshot"
)

// Components that hooks and one-way settings change, which rollback and
// down do not restore (wg-quick.md §10): left out of before/after checks.
var notRestored = []string{"marks.txt", "sysctl.txt"}

// readSnapshot reads and normalises the files of one snapshot directory.
func readSnapshot(t *testing.T, dir string, randomPort bool) snapshot.Snapshot {
	t.Helper()
	s := snapshot.Snapshot{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		switch {
		case e.Name() == "wg.txt":
			text = snapshot.NormaliseDump(text, randomPort)
		case strings.HasSuffix(e.Name(), ".json"):
			text, err = snapshot.NormaliseJSON(e.Name(), b)
			if err != nil {
				t.Fatalf("%s: %v\n%s", filepath.Join(dir, e.Name()), err, b)
			}
		}
		s[e.Name()] = text
	}
	if len(s) != 11 {
		t.Fatalf("%s: %d components, want 11", dir, len(s))
	}
	return s
}
