//go:build !unix

package uapi

import "syscall"

// Errno values sent on the wire. Windows (and any other non-unix system)
// has no POSIX errno numbers of its own, so the Linux numbers are used, as
// wireguard-go does (ipc/uapi_windows.go).
const (
	EIO        = syscall.Errno(5)
	EINVAL     = syscall.Errno(22)
	EPROTO     = syscall.Errno(71)
	EADDRINUSE = syscall.Errno(98)
	ENOANO     = syscall.Errno(55)
)

// passErrno is false: a syscall.Errno here is not a POSIX errno number.
const passErrno = false
