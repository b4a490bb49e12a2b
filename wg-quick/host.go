package wgquick

import "errors"

// Host is a whole system wg-quick works on: it answers questions and
// performs steps. NewHost gives the live one; Fake is one for tests.
type Host interface {
	Prober
	Executor
	Close() error
}

var errUnsupported = errors.ErrUnsupported

// Close lets Fake be a Host.
func (f *Fake) Close() error { return nil }
