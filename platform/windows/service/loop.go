package service

import "sync"

// The service control loop, kept free of x/sys/windows/svc so it is tested
// on every OS; service_windows.go maps these to svc.State and svc.Cmd.
//
//	            start           ready()
//	(Stopped) ───────► StartPending ───────► Running
//	                        │                   │ Stop/Shutdown
//	                        │ run returns       ▼
//	                        └──────────────► StopPending ──► Stopped
//	                                      (run returns)   (exit code)

type state int

const (
	stopped state = iota
	startPending
	running
	stopPending
)

type request int

const (
	reqInterrogate request = iota
	reqStop
	reqShutdown
)

type status struct {
	state      state
	acceptStop bool // Stop and Shutdown are accepted
}

// RunFunc brings the tunnel up, calls ready once it carries traffic, and
// keeps it until stop is closed; then it tears the tunnel down and
// returns. Returning early (with an error or not) stops the service as
// failed, so the manager's recovery actions restart it.
type RunFunc func(ready func(), stop <-chan struct{}) error

// control runs run under the manager's requests, reporting every state
// change. failed is true when the tunnel ended without being asked to, or
// returned an error; err is what run returned.
func control(run RunFunc, reqs <-chan request, report func(status)) (failed bool, err error) {
	cur := status{state: startPending}
	report(cur)
	readyc := make(chan struct{})
	stop := make(chan struct{})
	done := make(chan error, 1)
	var once sync.Once
	go func() {
		done <- run(func() { once.Do(func() { close(readyc) }) }, stop)
	}()
	for {
		select {
		case <-readyc:
			readyc = nil
			cur = status{state: running, acceptStop: true}
			report(cur)
		case r := <-reqs:
			switch r {
			case reqInterrogate:
				report(cur)
			case reqStop, reqShutdown:
				report(status{state: stopPending})
				close(stop)
				err := <-done
				report(status{state: stopped})
				return err != nil, err
			}
		case err := <-done:
			report(status{state: stopPending})
			report(status{state: stopped})
			return true, err
		}
	}
}
