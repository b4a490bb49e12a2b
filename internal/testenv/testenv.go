// Package testenv is the rule every test with a prerequisite (root, a
// tool, a kernel feature, an elevated Windows token) follows: run by hand
// on a machine without it, the test skips; under CI=true every
// prerequisite is mandatory and its absence fails the test, so CI never
// passes by skipping.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true).
func InCI() bool { return os.Getenv("CI") == "true" }

// Skip skips t for a missing prerequisite, or fails it under CI=true.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf(format+" (CI=true: prerequisites are mandatory)", args...)
	}
	t.Skipf(format, args...)
}

// RequireRoot skips (or, under CI=true, fails) t unless it runs as root;
// why says what needs it.
func RequireRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Skip(t, "needs root: %s", why)
	}
}

// RequireTool returns the path of the program name, or skips (under
// CI=true, fails) t.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Skip(t, "%s not found: %v", name, err)
	}
	return p
}
