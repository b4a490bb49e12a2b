package wgquick

import (
	"context"
	"io"

	"github.com/wgshim/wgshim/wg-quick/steps"
)

// Executor performs plan steps (a steps.Executor of Op).
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
	sr := &steps.Runner[Op]{
		Exec: r.Exec, Stderr: r.Stderr, DryRun: r.DryRun,
		Describe: func(op Op) steps.Info { return steps.Info{Display: op.Display, BestEffort: op.BestEffort} },
		Fail: func(op Op, err error) error {
			return &StepError{Verb: verb, Iface: iface, Op: op, Err: err}
		},
		Interrupted: Op{Display: "interrupted"},
	}
	return sr.Run(ctx, plan)
}
