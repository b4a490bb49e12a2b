package core_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The engine is OS-independent: it must not depend on the platform
// adapters, run programs, or use wireguard-go (tests may use wireguard-go
// as a peer; product code never does).
func TestCoreImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/wgshim/wgshim/core/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(pkg, "github.com/wgshim/wgshim/platform"),
			strings.HasPrefix(pkg, "github.com/wgshim/wgshim/daemon"),
			pkg == "os/exec",
			pkg == "golang.zx2c4.com/wireguard" || strings.HasPrefix(pkg, "golang.zx2c4.com/wireguard/"):
			t.Errorf("core depends on %s", pkg)
		}
	}
}
