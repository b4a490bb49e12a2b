package uapi

import (
	"path/filepath"
	"strings"
)

// DefaultDir is where wireguard-go and wg(8) put UAPI sockets. wg is
// compiled with RUNSTATEDIR, often /run; /var/run normally links to it.
const DefaultDir = "/var/run/wireguard"

// SocketPath is <dir>/<iface>.sock; an empty dir means DefaultDir.
func SocketPath(dir, iface string) string {
	if dir == "" {
		dir = DefaultDir
	}
	return filepath.Join(dir, iface+".sock")
}

// checkName rejects interface names that cannot name a socket file; wg(8)
// rejects '/' with EINVAL.
func checkName(iface string) error {
	if iface == "" || strings.ContainsAny(iface, "/\x00") {
		return errorf(EINVAL, "uapi: interface name %q: must be non-empty and contain no '/'", iface)
	}
	return nil
}
