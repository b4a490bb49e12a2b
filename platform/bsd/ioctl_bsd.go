//go:build freebsd || openbsd

package bsd

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Ioctl issues ioctl(2) request req on fd with a pointer argument and
// returns the errno as a syscall.Errno, or nil; bound to a descriptor it
// is an IoctlPtr. The caller keeps what arg points to (and anything it
// points to in turn) alive for the call.
//
// On OpenBSD unix.Syscall reaches libc's ioctl(2): indirect syscall(2) is
// gone since 7.5, and Go reroutes SYS_IOCTL to libc there
// (syscallInternal in Go's syscall/syscall_openbsd_libc.go).
func Ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	if errno != 0 {
		return errno
	}
	return nil
}
