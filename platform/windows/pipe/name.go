package pipe

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

const (
	// Dir is the pipe namespace of WireGuard UAPI endpoints.
	Dir = `\\.\pipe\`
	// Prefix is the part of the pipe name before the interface name.
	Prefix = `ProtectedPrefix\Administrators\WireGuard\`

	// SDDL is the pipe's security descriptor, as wireguard-go sets it:
	// owner LocalSystem; a protected DACL granting GENERIC_ALL to
	// LocalSystem and Builtin Administrators; a high-integrity mandatory
	// label denying write-up, read-up and execute-up.
	SDDL = "O:SYD:P(A;;GA;;;SY)(A;;GA;;;BA)S:(ML;;NWNRNX;;;HI)"
	// SDDLAdmin is SDDL owned by Builtin Administrators, for a daemon
	// that runs elevated but not as LocalSystem (see the package comment).
	SDDLAdmin = "O:BAD:P(A;;GA;;;SY)(A;;GA;;;BA)S:(ML;;NWNRNX;;;HI)"

	// maxPipeName is the longest pipe name after \\.\pipe\ (MSDN
	// CreateNamedPipe: the whole name is at most 256 characters).
	maxPipeName = 256
)

// Path returns the pipe path of interface iface.
func Path(iface string) (string, error) {
	if err := checkName(iface); err != nil {
		return "", err
	}
	return Dir + Prefix + iface, nil
}

func checkName(iface string) error {
	switch {
	case iface == "":
		return errors.New("uapi pipe: empty interface name")
	case strings.ContainsAny(iface, "\\/\x00"):
		return fmt.Errorf("uapi pipe: interface name %q contains a slash, backslash or NUL", iface)
	case iface == "." || iface == "..":
		return fmt.Errorf("uapi pipe: invalid interface name %q", iface)
	case len(Prefix)+len(iface) > maxPipeName:
		return fmt.Errorf("uapi pipe: interface name %q is too long", iface)
	}
	return nil
}

// Names returns the interface names among the entries of \\.\pipe\ (as
// FindFirstFile/FindNextFile report them, relative to \\.\pipe\), sorted and
// without duplicates. The prefix is matched without regard to case, as the
// pipe file system does.
func Names(entries []string) []string {
	var out []string
	for _, e := range entries {
		if len(e) <= len(Prefix) || !strings.EqualFold(e[:len(Prefix)], Prefix) {
			continue
		}
		name := e[len(Prefix):]
		if checkName(name) != nil {
			continue
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
