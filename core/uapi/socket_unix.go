//go:build unix

package uapi

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Listen creates the UAPI socket <dir>/<iface>.sock (spec uapi.md §1) and
// returns its listener, which removes the file when closed. An empty dir
// means DefaultDir.
//
// The directory is created with mode 0755 if missing; the socket gets mode
// 0700 (what wireguard-go gets by binding under umask 077). The socket is
// bound under a temporary name, made 0700 and listening, and only then
// renamed into place: so no client ever sees it with a looser mode, or
// sees it refuse a connection and removes it as stale (as wg(8) does).
// If the name is taken by a socket that accepts connections, another
// daemon owns the interface and Listen fails with "unix socket in use";
// a stale file is replaced.
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
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return nil, fmt.Errorf("uapi listen: %s: unix socket in use", path)
	}
	tmp := filepath.Join(dir, fmt.Sprintf(".%s.%d.tmp", iface, os.Getpid()))
	os.Remove(tmp)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("uapi listen: %w", err)
	}
	l.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o700); err != nil {
		l.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("uapi listen: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		l.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("uapi listen: %w", err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("uapi listen: %w", err)
	}
	return &socketListener{UnixListener: l, path: path, file: fi}, nil
}

// socketListener removes its socket file when closed, unless the file is
// no longer this socket (another daemon may have replaced it as stale).
type socketListener struct {
	*net.UnixListener
	path string
	file fs.FileInfo
}

func (l *socketListener) Close() error {
	if fi, err := os.Lstat(l.path); err == nil && os.SameFile(fi, l.file) {
		os.Remove(l.path)
	}
	return l.UnixListener.Close()
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
