package rollback

import "fmt"

// Send sends the requests of one change in order with send and stops at
// the first error. When the kernel may have applied part of the change
// by then, that is when an earlier request went through or partial(err)
// reports that the failing first one got past the kernel's checks, it
// calls restore to write the snapshot back. It returns send's error
// unchanged, or, when restore fails too, that error with the restore's
// noted after it (only send's error is wrapped).
//
// send should return errors that partial understands: the kernel's errno
// or an error wrapping it.
func Send[R any](reqs []R, send func(R) error, partial func(error) bool, restore func() error) error {
	for i, req := range reqs {
		err := send(req)
		if err == nil {
			continue
		}
		if i == 0 && !partial(err) {
			return err
		}
		if rerr := restore(); rerr != nil {
			return fmt.Errorf("%w (restoring the previous state failed too: %v)", err, rerr)
		}
		return err
	}
	return nil
}
