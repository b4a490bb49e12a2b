package uapi

import (
	"errors"
	"fmt"
	"strconv"
	"syscall"
)

// Error is a protocol failure together with the errno that represents it on
// the wire: the server sends Errno (negated for set), the client returns an
// *Error for a non-zero errno reply or a malformed reply (EPROTO).
//
// errors.Is(err, EINVAL) and errors.As(err, &syscall.Errno) both work on a
// wrapped *Error.
type Error struct {
	Errno syscall.Errno
	Err   error // the cause; nil when only an errno was received
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return "errno " + strconv.Itoa(int(e.Errno)) + ": " + errnoText(e.Errno)
}

// Unwrap returns the cause and the errno.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Errno}
	}
	return []error{e.Err, e.Errno}
}

func errorf(errno syscall.Errno, format string, args ...any) *Error {
	return &Error{Errno: errno, Err: fmt.Errorf(format, args...)}
}

// errnoText names the errnos this package uses in the same words on every
// OS (syscall.Errno(22).Error() on Windows describes a Windows error).
func errnoText(e syscall.Errno) string {
	switch e {
	case EIO:
		return "input/output error"
	case EINVAL:
		return "invalid argument"
	case EPROTO:
		return "protocol error"
	case EADDRINUSE:
		return "address already in use"
	case ENOANO:
		return "unknown error"
	}
	if passErrno {
		return e.Error()
	}
	return "unknown error"
}

// ErrnoOf returns the errno a server replies with for err: the Errno of a
// wrapped *Error; on unix a wrapped syscall.Errno as it is (so a bind
// failure reports EADDRINUSE); otherwise ENOANO, wireguard-go's "unknown"
// code.
func ErrnoOf(err error) syscall.Errno {
	var ue *Error
	if errors.As(err, &ue) && ue.Errno != 0 {
		return ue.Errno
	}
	var se syscall.Errno
	if passErrno && errors.As(err, &se) && se > 0 {
		return se
	}
	return ENOANO
}
