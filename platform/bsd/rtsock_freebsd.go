package bsd

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// setTable selects FIB table for the messages written on fd
// (setsockopt SO_SETFIB, spec freebsd-nvlist.md §2.11). Table 0 keeps the
// process's FIB, as route(8) without -fib does.
func setTable(fd int, _ []byte, table uint32) error {
	if table == 0 {
		return nil
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SETFIB, int(table)); err != nil {
		return fmt.Errorf("FIB %d: %w (see sysctl net.fibs)", table, err)
	}
	return nil
}
