//go:build unix

package uapi

import "syscall"

// Errno values sent on the wire. On unix they are the platform's own
// numbers (BSD numbers differ from Linux ones), as in wireguard-go, so a
// client can compare them with the syscall constants.
const (
	EIO        = syscall.EIO
	EINVAL     = syscall.EINVAL
	EPROTO     = syscall.EPROTO
	EADDRINUSE = syscall.EADDRINUSE
	// ENOANO is 55 everywhere: wireguard-go hard-codes that Linux number
	// for "unknown error" even on the BSDs (ipc/uapi_unix.go), where 55
	// happens to be ENOBUFS.
	ENOANO = syscall.Errno(55)
)

// passErrno reports whether a syscall.Errno returned by a Handler can go on
// the wire as it is (it can where the numbers are POSIX errnos).
const passErrno = true
