//go:build unix

package uapi

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"
)

// Listen creates the UAPI socket <dir>/<iface>.sock (spec uapi.md §1) and
// returns its listener, a *net.UnixListener that removes the file when
// closed. An empty dir means DefaultDir.
//
// The directory is created with mode 0755 if missing; the socket gets mode
// 0700 (what wireguard-go gets by binding under umask 077; the umask is
// process-wide, so the mode is set with chmod right after bind instead).
// If the name is taken, Listen connects to it: when that succeeds another
// daemon owns the interface and Listen fails with "unix socket in use";
// otherwise the file is stale and is replaced.
func Listen(dir, iface string) (net.Listener, error) {
	if err := checkName(iface); err != nil {
		return nil, err
	}
	if dir == "" {
		dir = DefaultDir
	}
	if err := mkdir(dir); err != nil {
		return nil, fmt.Errorf("uapi listen: %w", err)
	}
	path := SocketPath(dir, iface)
	addr := &net.UnixAddr{Name: path, Net: "unix"}
	l, err := net.ListenUnix("unix", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		if c, derr := net.Dial("unix", path); derr == nil {
			c.Close()
			return nil, fmt.Errorf("uapi listen: %s: unix socket in use", path)
		}
		if rerr := os.Remove(path); rerr != nil {
			return nil, fmt.Errorf("uapi listen: remove stale socket: %w", rerr)
		}
		l, err = net.ListenUnix("unix", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("uapi listen: %w", err)
	}
	if err := os.Chmod(path, 0o700); err != nil {
		l.Close()
		return nil, fmt.Errorf("uapi listen: %w", err)
	}
	return l, nil
}

// mkdir creates dir with mode 0755 (whatever the umask) if it is missing.
func mkdir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.Chmod(dir, 0o755)
}

// Dial connects to the UAPI socket of iface in dir (empty: DefaultDir), the
// way wg(8) does: if the file is missing, is not a socket, or refuses the
// connection (a stale file, which is then removed), the error wraps
// fs.ErrNotExist: there is no userspace interface of that name.
func Dial(dir, iface string) (net.Conn, error) {
	if err := checkName(iface); err != nil {
		return nil, err
	}
	path := SocketPath(dir, iface)
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("uapi dial: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return nil, fmt.Errorf("uapi dial: %s: not a socket: %w", path, fs.ErrNotExist)
	}
	c, err := net.Dial("unix", path)
	if errors.Is(err, syscall.ECONNREFUSED) {
		os.Remove(path)
		return nil, fmt.Errorf("uapi dial: %s: stale socket removed: %w", path, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("uapi dial: %w", err)
	}
	return c, nil
}

// Dial connects to iface's socket in c.Dir; see the package-level Dial.
func (c *Client) Dial(iface string) (net.Conn, error) {
	return Dial(c.Dir, iface)
}

// List names the userspace interfaces in dir (empty: DefaultDir) as wg(8)
// finds them (spec uapi.md §6): entries named <iface>.sock that are sockets
// accepting a connection; stale sockets are removed on the way. The order
// is the directory's. A missing directory means no interfaces.
func List(dir string) ([]string, error) {
	if dir == "" {
		dir = DefaultDir
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("uapi list: %w", err)
	}
	var names []string
	for _, e := range entries {
		iface, ok := strings.CutSuffix(e.Name(), ".sock")
		if !ok || iface == "" || e.Type() != fs.ModeSocket {
			continue
		}
		c, err := Dial(dir, iface)
		if err != nil {
			continue
		}
		c.Close()
		names = append(names, iface)
	}
	return names, nil
}
