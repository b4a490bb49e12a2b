package conn

import (
	"errors"
	"syscall"
)

// wsaeaddrinuse is WSAEADDRINUSE from winsock2.h; the syscall package's
// EADDRINUSE is a Go invention that Windows never returns.
const wsaeaddrinuse = syscall.Errno(10048)

// isAddrInUse reports whether err says the port is taken.
func isAddrInUse(err error) bool {
	return errors.Is(err, wsaeaddrinuse) || errors.Is(err, syscall.EADDRINUSE)
}
