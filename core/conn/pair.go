package conn

import (
	"errors"
	"io"
	"syscall"
)

// wsaeaddrinuse is WSAEADDRINUSE from winsock2.h; the syscall package's
// EADDRINUSE is a Go invention that Windows never returns. No unix errno
// has its value, so both are checked everywhere (test fakes return either).
const wsaeaddrinuse = syscall.Errno(10048)

// IsAddrInUse reports whether err says the port is taken.
func IsAddrInUse(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, wsaeaddrinuse)
}

// pairAttempts bounds the retries of ListenPair with port 0 when the port
// the IPv4 socket picked is taken for IPv6.
const pairAttempts = 10

// ListenPair opens the IPv4 and IPv6 sockets of a Bind on one port.
// listen opens one socket (IPv6 if v6) on port and returns it with the
// port it got. With port 0 the IPv4 socket picks the port and the IPv6
// socket binds the same number, and if that number is taken for IPv6 both
// start over on a fresh port, a few times. A host without IPv6 (or IPv4)
// gets the other family alone: its socket is S's zero value. A port taken
// for IPv4, or taken for IPv6 when it was asked for, is an error, and so
// is an IPv4 listen that fails with errors.ErrUnsupported (a Bind for
// another OS), without trying IPv6.
func ListenPair[S io.Closer](port uint16, listen func(v6 bool, port uint16) (S, uint16, error)) (v4, v6 S, actual uint16, err error) {
	var none S
	for attempt := 0; ; attempt++ {
		v4, actual, err = listen(false, port)
		if err != nil {
			if IsAddrInUse(err) || errors.Is(err, errors.ErrUnsupported) {
				return none, none, 0, err
			}
			// No IPv4 on this host: IPv6 alone.
			v6, actual, err6 := listen(true, port)
			if err6 != nil {
				return none, none, 0, errors.Join(err, err6)
			}
			return none, v6, actual, nil
		}
		v6, _, err = listen(true, actual)
		if err == nil {
			return v4, v6, actual, nil
		}
		if !IsAddrInUse(err) {
			// No IPv6 on this host (disabled or not compiled in).
			return v4, none, actual, nil
		}
		v4.Close()
		if port != 0 || attempt+1 >= pairAttempts {
			return none, none, 0, err
		}
	}
}
