package rollback

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSend(t *testing.T) {
	errBusy := syscall.EADDRINUSE // may be partial
	errPerm := syscall.EPERM      // nothing applied
	partial := func(err error) bool { return !errors.Is(err, errPerm) }
	tests := []struct {
		name       string
		reqs       []string
		fail       map[string]error
		restoreErr error
		wantSent   []string
		wantRest   bool
		wantErr    error
		wantText   string
	}{{
		name:     "all sent",
		reqs:     []string{"a", "b", "c"},
		wantSent: []string{"a", "b", "c"},
	}, {
		name: "nothing to send",
	}, {
		name:     "first fails before applying anything: no restore",
		reqs:     []string{"a", "b"},
		fail:     map[string]error{"a": errPerm},
		wantSent: []string{"a"},
		wantErr:  errPerm,
		wantText: "operation not permitted",
	}, {
		name:     "first fails part way: restore",
		reqs:     []string{"a", "b"},
		fail:     map[string]error{"a": errBusy},
		wantSent: []string{"a"},
		wantRest: true,
		wantErr:  errBusy,
		wantText: "address already in use",
	}, {
		name:     "later request fails: restore whatever the error, since the first applied",
		reqs:     []string{"a", "b", "c"},
		fail:     map[string]error{"b": errPerm},
		wantSent: []string{"a", "b"},
		wantRest: true,
		wantErr:  errPerm,
		wantText: "operation not permitted",
	}, {
		name:       "restore fails too",
		reqs:       []string{"a"},
		fail:       map[string]error{"a": errBusy},
		restoreErr: syscall.ENOMEM,
		wantSent:   []string{"a"},
		wantRest:   true,
		wantErr:    errBusy,
		wantText:   "address already in use (restoring the previous state failed too: cannot allocate memory)",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sent []string
			restored := false
			send := func(r string) error {
				sent = append(sent, r)
				return tt.fail[r]
			}
			restore := func() error {
				if restored {
					t.Error("restored twice")
				}
				restored = true
				return tt.restoreErr
			}
			err := Send(tt.reqs, send, partial, restore)
			if diff := cmp.Diff(tt.wantSent, sent); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
			if restored != tt.wantRest {
				t.Errorf("restored = %v, want %v", restored, tt.wantRest)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Send = %v", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Send = %v, want it to wrap %v", err, tt.wantErr)
			}
			if tt.restoreErr != nil && errors.Is(err, tt.restoreErr) {
				t.Errorf("Send = %v wraps the restore's error", err)
			}
			if got := err.Error(); got != tt.wantText {
				t.Errorf("Send = %q, want %q", got, tt.wantText)
			}
		})
	}
}

// TestSendPartialSeesSendError checks that partial judges the error send
// returned, so a driver may map errnos in send and still match them.
func TestSendPartialSeesSendError(t *testing.T) {
	mapped := &wrapped{syscall.ENXIO}
	var seen error
	err := Send([]int{1}, func(int) error { return mapped },
		func(err error) bool { seen = err; return false },
		func() error { t.Error("restored"); return nil })
	if seen != mapped || err != mapped {
		t.Errorf("partial saw %v, Send returned %v; want %v both", seen, err, mapped)
	}
	if !strings.Contains(err.Error(), "no such interface") {
		t.Errorf("error text %q", err)
	}
}

type wrapped struct{ errno syscall.Errno }

func (w *wrapped) Error() string { return "no such interface (" + w.errno.Error() + ")" }
func (w *wrapped) Unwrap() error { return w.errno }
