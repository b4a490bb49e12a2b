package service

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type recorder struct {
	mu  sync.Mutex
	got []status
	ch  chan status
}

func newRecorder() *recorder { return &recorder{ch: make(chan status, 16)} }

func (r *recorder) report(s status) {
	r.mu.Lock()
	r.got = append(r.got, s)
	r.mu.Unlock()
	r.ch <- s
}

func (r *recorder) await(t *testing.T, want state) {
	t.Helper()
	for {
		select {
		case s := <-r.ch:
			if s.state == want {
				return
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("state %d never reported", want)
		}
	}
}

func TestControlStop(t *testing.T) {
	for _, req := range []request{reqStop, reqShutdown} {
		reqs := make(chan request)
		rec := newRecorder()
		var tornDown bool
		run := func(ready func(), stop <-chan struct{}) error {
			ready()
			ready() // a second call is harmless
			<-stop
			tornDown = true
			return nil
		}
		type result struct {
			failed bool
			err    error
		}
		res := make(chan result)
		go func() {
			f, err := control(run, reqs, rec.report)
			res <- result{f, err}
		}()
		rec.await(t, running)
		reqs <- reqInterrogate
		if s := <-rec.ch; s != (status{state: running, acceptStop: true}) {
			t.Errorf("interrogate reported %+v", s)
		}
		reqs <- req
		r := <-res
		if r.failed || r.err != nil || !tornDown {
			t.Errorf("control = %v, %v (torn down %v); want a clean stop", r.failed, r.err, tornDown)
		}
		want := []status{
			{state: startPending},
			{state: running, acceptStop: true},
			{state: running, acceptStop: true},
			{state: stopPending},
			{state: stopped},
		}
		if diff := cmp.Diff(want, rec.got, cmp.AllowUnexported(status{})); diff != "" {
			t.Errorf("reports (-want +got):\n%s", diff)
		}
	}
}

func TestControlTunnelFails(t *testing.T) {
	tests := []struct {
		name  string
		run   RunFunc
		ready bool
	}{
		{name: "start fails", run: func(ready func(), stop <-chan struct{}) error { return errors.New("no wintun.dll") }},
		{name: "dies later", run: func(ready func(), stop <-chan struct{}) error {
			ready()
			time.Sleep(10 * time.Millisecond)
			return errors.New("adapter removed")
		}, ready: true},
		{name: "returns nil early", run: func(ready func(), stop <-chan struct{}) error { ready(); return nil }, ready: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder()
			failed, _ := control(tt.run, make(chan request), rec.report)
			if !failed {
				t.Error("control did not report a failure")
			}
			last := rec.got[len(rec.got)-1]
			if last.state != stopped {
				t.Errorf("last report %+v, want stopped", last)
			}
			sawRunning := false
			for _, s := range rec.got {
				sawRunning = sawRunning || s.state == running
			}
			if sawRunning != tt.ready {
				t.Errorf("reported running = %v, want %v (%+v)", sawRunning, tt.ready, rec.got)
			}
		})
	}
}

func TestControlStopError(t *testing.T) {
	reqs := make(chan request, 1)
	reqs <- reqStop
	failed, err := control(func(ready func(), stop <-chan struct{}) error {
		<-stop
		return errors.New("route cleanup failed")
	}, reqs, func(status) {})
	if !failed || err == nil || err.Error() != "route cleanup failed" {
		t.Errorf("control = %v, %v; want failed with the teardown error", failed, err)
	}
}
