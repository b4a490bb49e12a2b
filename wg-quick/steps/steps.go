package steps

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Executor performs steps of type S.
type Executor[S any] interface {
	// Do performs s and returns the step that reverses it, nil if none is
	// needed. A failing Do leaves nothing behind that the caller cannot
	// undo.
	Do(ctx context.Context, s S) (undo *S, err error)
}

// Info is what a Runner needs to know about a step besides performing it
// and printing it (its String method).
type Info struct {
	// Display names the step in "[!] DISPLAY: ERROR" warnings and in
	// undo errors.
	Display string
	// BestEffort steps report a failure as a warning and the plan goes
	// on (down's clean-up, as upstream's `|| true`).
	BestEffort bool
	// PrintOnly steps are printed, never performed (notes).
	PrintOnly bool
}

// Runner prints and performs plans of steps of type S.
type Runner[S fmt.Stringer] struct {
	Exec Executor[S]
	// Stderr receives each step's String, and "[!] ..." for failures.
	Stderr io.Writer
	// DryRun prints the plan without performing it.
	DryRun bool
	// Describe tells the Runner about a step.
	Describe func(S) Info
	// Fail is the error Run returns for err, the failure of s. When the
	// context ends between two steps, s is Interrupted.
	Fail        func(s S, err error) error
	Interrupted S
}

// Run performs plan in order, printing each step first. If a step fails
// (other than a BestEffort one, which is reported and skipped) or ctx is
// done before a step, Run performs the undo steps recorded so far in
// reverse order, even though ctx is done (an interrupted `up` must still
// clean up), and returns Fail's error joined with any undo failures,
// which are also printed as warnings. It returns the undo steps it
// performed, in order, so tests can check them.
func (r *Runner[S]) Run(ctx context.Context, plan []S) (undone []S, err error) {
	if r.DryRun {
		for _, s := range plan {
			fmt.Fprintln(r.Stderr, s.String())
		}
		return nil, nil
	}
	var undos []S
	for _, s := range plan {
		if err := ctx.Err(); err != nil {
			return r.unwind(undos, r.Fail(r.Interrupted, err))
		}
		fmt.Fprintln(r.Stderr, s.String())
		info := r.Describe(s)
		if info.PrintOnly {
			continue
		}
		undo, err := r.Exec.Do(ctx, s)
		if err != nil {
			if info.BestEffort {
				fmt.Fprintf(r.Stderr, "[!] %s: %v\n", info.Display, err)
				continue
			}
			return r.unwind(undos, r.Fail(s, err))
		}
		if undo != nil {
			undos = append(undos, *undo)
		}
	}
	return nil, nil
}

// unwind performs undos in reverse and returns cause with any undo
// failures joined.
func (r *Runner[S]) unwind(undos []S, cause error) ([]S, error) {
	errs := []error{cause}
	var done []S
	for i := len(undos) - 1; i >= 0; i-- {
		u := undos[i]
		fmt.Fprintln(r.Stderr, u.String())
		done = append(done, u)
		if _, err := r.Exec.Do(context.Background(), u); err != nil {
			d := r.Describe(u).Display
			fmt.Fprintf(r.Stderr, "[!] %s: %v\n", d, err)
			errs = append(errs, fmt.Errorf("undo: %s: %w", d, err))
		}
	}
	if len(errs) == 1 {
		return done, cause
	}
	return done, errors.Join(errs...)
}
