package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// step is a test step: name is printed, undo reverses it.
type step struct {
	name       string
	undo       *step
	bestEffort bool
	note       bool
}

func (s step) String() string {
	if s.note {
		return s.name
	}
	return "[#] " + s.name
}

// recorder performs steps by writing their names down, failing those in
// fail.
type recorder struct {
	did  []string
	fail map[string]error
}

func (r *recorder) Do(_ context.Context, s step) (*step, error) {
	r.did = append(r.did, s.name)
	if err := r.fail[s.name]; err != nil {
		return nil, err
	}
	return s.undo, nil
}

type failure struct {
	step string
	err  error
}

func (f *failure) Error() string { return f.step + ": " + f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

func newRunner(x Executor[step], out *strings.Builder) *Runner[step] {
	return &Runner[step]{
		Exec: x, Stderr: out,
		Describe: func(s step) Info {
			return Info{Display: s.name, BestEffort: s.bestEffort, PrintOnly: s.note}
		},
		Fail:        func(s step, err error) error { return &failure{step: s.name, err: err} },
		Interrupted: step{name: "interrupted"},
	}
}

func undoable(name string) step { return step{name: name, undo: &step{name: "un" + name}} }

var (
	errA = errors.New("a failed")
	errU = errors.New("undo failed")
)

func TestRun(t *testing.T) {
	plan := []step{
		{name: "[+] note", note: true},
		undoable("create"),
		{name: "hook"},
		{name: "clean", bestEffort: true},
		undoable("route"),
		undoable("dns"),
	}
	for _, tt := range []struct {
		name       string
		fail       map[string]error
		wantDid    []string
		wantUndone []string
		wantOut    string
		wantErr    string
	}{{
		name:    "ok",
		wantDid: []string{"create", "hook", "clean", "route", "dns"},
		wantOut: "[+] note\n[#] create\n[#] hook\n[#] clean\n[#] route\n[#] dns\n",
	}, {
		name:    "best effort",
		fail:    map[string]error{"clean": errA},
		wantDid: []string{"create", "hook", "clean", "route", "dns"},
		wantOut: "[+] note\n[#] create\n[#] hook\n[#] clean\n[!] clean: a failed\n[#] route\n[#] dns\n",
	}, {
		name:       "unwind",
		fail:       map[string]error{"dns": errA},
		wantDid:    []string{"create", "hook", "clean", "route", "dns", "unroute", "uncreate"},
		wantUndone: []string{"unroute", "uncreate"},
		wantOut:    "[+] note\n[#] create\n[#] hook\n[#] clean\n[#] route\n[#] dns\n[#] unroute\n[#] uncreate\n",
		wantErr:    "dns: a failed",
	}, {
		name:       "undo fails",
		fail:       map[string]error{"dns": errA, "unroute": errU},
		wantDid:    []string{"create", "hook", "clean", "route", "dns", "unroute", "uncreate"},
		wantUndone: []string{"unroute", "uncreate"},
		wantOut:    "[+] note\n[#] create\n[#] hook\n[#] clean\n[#] route\n[#] dns\n[#] unroute\n[!] unroute: undo failed\n[#] uncreate\n",
		wantErr:    "dns: a failed\nundo: unroute: undo failed",
	}} {
		t.Run(tt.name, func(t *testing.T) {
			x := &recorder{fail: tt.fail}
			var out strings.Builder
			undone, err := newRunner(x, &out).Run(context.Background(), plan)
			var names []string
			for _, u := range undone {
				names = append(names, u.name)
			}
			if diff := cmp.Diff(tt.wantUndone, names); diff != "" {
				t.Errorf("undone (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantDid, x.did); diff != "" {
				t.Errorf("performed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantOut, out.String()); diff != "" {
				t.Errorf("printed (-want +got):\n%s", diff)
			}
			if got := fmt.Sprint(err); tt.wantErr == "" && err != nil || tt.wantErr != "" && got != tt.wantErr {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
			if tt.wantErr != "" && !errors.Is(err, tt.fail["dns"]) {
				t.Errorf("err %v does not wrap the step's failure", err)
			}
		})
	}
}

func TestRunDry(t *testing.T) {
	var out strings.Builder
	r := newRunner(nil, &out) // a dry run performs nothing, so needs no executor
	r.DryRun = true
	if _, err := r.Run(context.Background(), []step{{name: "[+] note", note: true}, undoable("create")}); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "[+] note\n[#] create\n"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}

// cancelling cancels its context when it performs step at.
type cancelling struct {
	recorder
	at     string
	cancel context.CancelFunc
}

func (c *cancelling) Do(ctx context.Context, s step) (*step, error) {
	if s.name == c.at {
		c.cancel()
	}
	return c.recorder.Do(ctx, s)
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	x := &cancelling{at: "route", cancel: cancel}
	var out strings.Builder
	undone, err := newRunner(x, &out).Run(ctx, []step{undoable("create"), undoable("route"), undoable("dns")})
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "interrupted: ") {
		t.Errorf("err = %v, want interrupted: context canceled", err)
	}
	// The undo steps run although ctx is done.
	if diff := cmp.Diff([]string{"create", "route", "unroute", "uncreate"}, x.did); diff != "" {
		t.Errorf("performed (-want +got):\n%s", diff)
	}
	if len(undone) != 2 {
		t.Errorf("undone %v, want 2 steps", undone)
	}
}
