package quick

import (
	"context"
	"io"

	"github.com/wgshim/wgshim/wg-quick/steps"
)

// Executor performs steps (a steps.Executor of Step).
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
// steps it performed. Notes are printed, not performed.
func (r *Runner) Run(ctx context.Context, verb, name string, plan []Step) ([]Step, error) {
	sr := &steps.Runner[Step]{
		Exec: r.Exec, Stderr: r.Stderr, DryRun: r.DryRun,
		Describe: func(s Step) steps.Info {
			return steps.Info{Display: s.Display, BestEffort: s.BestEffort, PrintOnly: s.Kind == Note}
		},
		Fail: func(s Step, err error) error {
			return &StepError{Verb: verb, Name: name, Step: s, Err: err}
		},
		Interrupted: Step{Display: "interrupted"},
	}
	return sr.Run(ctx, plan)
}
