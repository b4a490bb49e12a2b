package quick

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Executor performs steps.
type Executor interface {
	// Do performs s (never a Note) and returns the step that reverses it,
	// normally s.Undo, possibly adjusted (the real wgN); nil if nothing
	// needs undoing. A failing Do leaves nothing behind it cannot undo.
	Do(ctx context.Context, s Step) (undo *Step, err error)
}

// Runner prints and performs plans, unwinding a failed one.
type Runner struct {
	Exec   Executor
	Stderr io.Writer // "[#] ..." per step, Notes, "[!] ..." failures
	DryRun bool      // print the plan, perform nothing
}

// StepError is a failed step.
type StepError struct {
	Verb, Name string
	Step       Step
	Err        error
}

func (e *StepError) Error() string {
	s := e.Verb + " " + e.Name + ": "
	if e.Step.Pos.Line > 0 {
		s += e.Step.Pos.String() + ": "
	}
	return s + e.Step.Display + ": " + e.Err.Error()
}

func (e *StepError) Unwrap() error { return e.Err }

// Run prints and performs plan in order. When a step fails (other than
// a BestEffort one, which is reported and skipped) or ctx ends between
// steps, Run performs the undo steps collected so far in reverse order
// (even if ctx is done: an interrupted `up` must still clean up) and
// returns the failure joined with any undo failures. It returns the undo
// steps it performed.
func (r *Runner) Run(ctx context.Context, verb, name string, plan []Step) ([]Step, error) {
	if r.DryRun {
		for _, s := range plan {
			fmt.Fprintln(r.Stderr, s.String())
		}
		return nil, nil
	}
	var undos []Step
	for _, s := range plan {
		if err := ctx.Err(); err != nil {
			return r.unwind(undos, &StepError{Verb: verb, Name: name, Step: Step{Display: "interrupted"}, Err: err})
		}
		fmt.Fprintln(r.Stderr, s.String())
		if s.Kind == Note {
			continue
		}
		undo, err := r.Exec.Do(ctx, s)
		if err != nil {
			if s.BestEffort {
				fmt.Fprintf(r.Stderr, "[!] %s: %v\n", s.Display, err)
				continue
			}
			return r.unwind(undos, &StepError{Verb: verb, Name: name, Step: s, Err: err})
		}
		if undo != nil {
			undos = append(undos, *undo)
		}
	}
	return nil, nil
}

func (r *Runner) unwind(undos []Step, cause error) ([]Step, error) {
	errs := []error{cause}
	var done []Step
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
