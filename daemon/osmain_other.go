//go:build !windows

package daemon

// osMain handles OS-specific command lines; Unix systems have none.
func osMain(Env) (int, bool) { return 0, false }
