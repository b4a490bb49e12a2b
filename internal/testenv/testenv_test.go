package testenv

import (
	"testing"
)

// recorder is a testing.TB that records how a helper ended the test.
type recorder struct {
	testing.TB
	fatal, skipped bool
	msg            string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal, r.msg = true, format
	panic(r)
}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, format
	panic(r)
}

func run(f func(testing.TB)) (r *recorder) {
	r = &recorder{}
	defer func() { recover() }()
	f(r)
	return r
}

func TestSkip(t *testing.T) {
	t.Setenv("CI", "true")
	if r := run(func(tb testing.TB) { Skip(tb, "no %s", "ip") }); !r.fatal || r.skipped {
		t.Errorf("CI=true: fatal %v skipped %v, want a failure", r.fatal, r.skipped)
	}
	if r := run(func(tb testing.TB) { RequireTool(tb, "wgshim-no-such-tool") }); !r.fatal {
		t.Error("CI=true: a missing tool did not fail")
	}
	t.Setenv("CI", "")
	if r := run(func(tb testing.TB) { Skip(tb, "no %s", "ip") }); r.fatal || !r.skipped {
		t.Errorf("outside CI: fatal %v skipped %v, want a skip", r.fatal, r.skipped)
	}
	if r := run(func(tb testing.TB) { RequireTool(tb, "sh") }); r.fatal || r.skipped {
		t.Error("a present tool ended the test")
	}
}
