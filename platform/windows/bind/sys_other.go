//go:build !windows

package bind

import (
	"errors"
	"fmt"
)

// listenUDP fails: the Winsock offloads exist only on Windows. Use
// conn.NewStdBind, or platform/linux/bind on Linux.
func listenUDP(network string, port uint16) (sock, error) {
	return nil, fmt.Errorf("platform/windows/bind: not on Windows: %w", errors.ErrUnsupported)
}
