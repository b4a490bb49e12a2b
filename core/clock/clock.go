// Package clock gives the engine its sense of time, so tests can step
// virtual time instead of sleeping through protocol timeouts.
package clock

import "time"

// Clock tells monotonic time and schedules callbacks.
type Clock interface {
	// Now returns the current time. Only differences between values are
	// meaningful, except for the wall-clock readings the engine reports.
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has elapsed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a callback scheduled by a Clock.
type Timer interface {
	// Stop cancels the timer; it reports whether it was pending.
	Stop() bool
	// Reset reschedules the timer to fire d from now; it reports whether
	// it was pending.
	Reset(d time.Duration) bool
}

// Real is the system clock.
var Real Clock = realClock{}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
