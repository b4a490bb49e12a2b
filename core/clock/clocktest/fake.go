// Package clocktest provides a virtual clock whose time moves only when a
// test advances it, so protocol timeouts of minutes run in microseconds.
package clocktest

import (
	"sort"
	"sync"
	"time"

	"github.com/wgshim/wgshim/core/clock"
)

// Fake is a clock.Clock driven by Advance. Timer callbacks run
// synchronously inside Advance, in deadline order, with no lock held, so a
// callback may schedule or stop other timers.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	seq    uint64
	timers map[*fakeTimer]struct{}
}

// New returns a Fake clock set to start.
func New(start time.Time) *Fake {
	return &Fake{now: start, timers: make(map[*fakeTimer]struct{})}
}

// Now returns the virtual time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// AfterFunc schedules fn to run when the virtual time reaches now+d.
func (f *Fake) AfterFunc(d time.Duration, fn func()) clock.Timer {
	t := &fakeTimer{clock: f, fn: fn}
	t.Reset(d)
	return t
}

// Advance moves the virtual time forward by d, running every timer that
// falls due on the way at its own deadline.
func (f *Fake) Advance(d time.Duration) {
	f.AdvanceWith(d, nil)
}

// AdvanceWith is Advance calling settle after each timer callback, so that
// a test can let the work a timer started finish before time moves on.
func (f *Fake) AdvanceWith(d time.Duration, settle func()) {
	f.mu.Lock()
	end := f.now.Add(d)
	f.mu.Unlock()
	for f.step(end) {
		if settle != nil {
			settle()
		}
	}
}

// step runs the earliest timer due by end and reports true, or moves the
// time to end and reports false.
func (f *Fake) step(end time.Time) bool {
	f.mu.Lock()
	next := f.earliest(end)
	if next == nil {
		f.now = end
		f.mu.Unlock()
		return false
	}
	delete(f.timers, next)
	if next.when.After(f.now) {
		f.now = next.when
	}
	fn := next.fn
	f.mu.Unlock()
	fn()
	return true
}

// Pending returns the number of scheduled timers.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// earliest returns the first timer due at or before end, by deadline and
// then by scheduling order, or nil.
func (f *Fake) earliest(end time.Time) *fakeTimer {
	var due []*fakeTimer
	for t := range f.timers {
		if !t.when.After(end) {
			due = append(due, t)
		}
	}
	if len(due) == 0 {
		return nil
	}
	sort.Slice(due, func(i, j int) bool {
		if !due[i].when.Equal(due[j].when) {
			return due[i].when.Before(due[j].when)
		}
		return due[i].seq < due[j].seq
	})
	return due[0]
}

type fakeTimer struct {
	clock *Fake
	fn    func()
	when  time.Time
	seq   uint64
}

func (t *fakeTimer) Stop() bool {
	f := t.clock
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.timers[t]
	delete(f.timers, t)
	return ok
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	f := t.clock
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.timers[t]
	f.seq++
	t.seq = f.seq
	t.when = f.now.Add(d)
	f.timers[t] = struct{}{}
	return ok
}
