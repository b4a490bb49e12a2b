package core

import (
	"fmt"
	"os"
	"testing"
)

// TestMain runs every test twice: with crypto done inline by the readers
// and with parallel workers, whatever this machine's CPU count would pick.
func TestMain(m *testing.M) {
	for _, mode := range []struct {
		name    string
		workers int
	}{{"inline crypto", -1}, {"two crypto workers", 2}} {
		fmt.Printf("core: tests with %s\n", mode.name)
		autoWorkers = func() int { return mode.workers }
		if code := m.Run(); code != 0 {
			fmt.Fprintf(os.Stderr, "FAIL with %s\n", mode.name)
			os.Exit(code)
		}
	}
	os.Exit(0)
}
