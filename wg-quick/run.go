package wgquick

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Executor performs plan steps.
type Executor interface {
	// Do performs op and returns the step that reverses it (nil if none
	// is needed), normally op.Undo, possibly made more precise with what
	// the executor learnt doing it. When Do fails it must leave no change
	// behind that the caller cannot undo.
	Do(ctx context.Context, op Op) (undo *Op, err error)
}

// Runner prints and performs plans.
type Runner struct {
	Exec Executor
	// Stderr receives "[#] ..." for every step, "[!] ..." warnings.
	Stderr io.Writer
	// DryRun prints the plan without performing it.
	DryRun bool
}

// StepError is a failed step: what was being done, where in the
// configuration it comes from, and why it failed.
type StepError struct {
	Verb  string // "up", "down", "save"
	Iface string
	Op    Op
	Err   error
}

func (e *StepError) Error() string {
	s := e.Verb + " " + e.Iface + ": "
	if e.Op.Pos.Line > 0 {
		s += e.Op.Pos.String() + ": "
		if e.Op.Pos.Key != "" {
			s += e.Op.Pos.Key + ": "
		}
	}
	return s + e.Op.Display + ": " + e.Err.Error()
}

func (e *StepError) Unwrap() error { return e.Err }

// Run performs plan in order, printing each step first. If a step fails
// (other than a BestEffort one, which is reported and skipped) or ctx is
// cancelled between steps, Run performs the undo steps recorded so far in
// reverse order and returns the failure; undo failures are printed as
// warnings and joined to the returned error. Run returns the undo steps
// it performed, in order, so tests can check them.
func (r *Runner) Run(ctx context.Context, verb, iface string, plan []Op) (undone []Op, err error) {
	if r.DryRun {
		for _, op := range plan {
			fmt.Fprintln(r.Stderr, op.String())
		}
		return nil, nil
	}
	var undos []Op
	for _, op := range plan {
		if err := ctx.Err(); err != nil {
			return r.unwind(ctx, undos, &StepError{Verb: verb, Iface: iface, Op: Op{Display: "interrupted"}, Err: err})
		}
		fmt.Fprintln(r.Stderr, op.String())
		undo, err := r.Exec.Do(ctx, op)
		if err != nil {
			if op.BestEffort {
				fmt.Fprintf(r.Stderr, "[!] %s: %v\n", op.Display, err)
				continue
			}
			return r.unwind(ctx, undos, &StepError{Verb: verb, Iface: iface, Op: op, Err: err})
		}
		if undo != nil {
			undos = append(undos, *undo)
		}
	}
	return nil, nil
}

// unwind performs undos in reverse, even if ctx is done (a Ctrl-C must
// still clean up), and returns cause with any undo failures joined.
func (r *Runner) unwind(_ context.Context, undos []Op, cause error) ([]Op, error) {
	errs := []error{cause}
	var done []Op
	for i := len(undos) - 1; i >= 0; i-- {
		u := undos[i]
		fmt.Fprintln(r.Stderr, u.String())
		done = append(done, u)
		if _, err := r.Exec.Do(context.Background(), u); err != nil {
			fmt.Fprintf(r.Stderr, "[!] %s: %v\n", u.Display, err)
			errs = append(errs, fmt.Errorf("undo: %s: %w", u.Display, err))
		}
	}
	if len(errs) == 1 {
		return done, cause
	}
	return done, errors.Join(errs...)
}
