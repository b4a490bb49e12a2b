package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strings"
)

// interfaceNameRE is upstream wg-quick's interface name pattern.
var interfaceNameRE = regexp.MustCompile(`^[a-zA-Z0-9_=+.-]{1,15}$`)

// ValidInterfaceName reports whether name is acceptable to wg-quick:
// 1-15 characters from [a-zA-Z0-9_=+.-].
func ValidInterfaceName(name string) bool { return interfaceNameRE.MatchString(name) }

// SearchDirs returns the directories searched for NAME.toml and NAME.conf
// on goos, in order. Upstream searches /etc/wireguard, and on FreeBSD and
// macOS then /usr/local/etc/wireguard.
func SearchDirs(goos string) []string {
	switch goos {
	case "freebsd", "darwin":
		return []string{"/etc/wireguard", "/usr/local/etc/wireguard"}
	default:
		return []string{"/etc/wireguard"}
	}
}

// NotFoundError is returned by Find when no candidate file exists. It wraps
// fs.ErrNotExist.
type NotFoundError struct {
	Tried []string // every path tried, in order
}

// Error prints upstream's message for the last candidate, then the others.
func (e *NotFoundError) Error() string {
	last := e.Tried[len(e.Tried)-1]
	msg := fmt.Sprintf("`%s' does not exist", last)
	if len(e.Tried) > 1 {
		msg += " (also tried " + strings.Join(e.Tried[:len(e.Tried)-1], ", ") + ")"
	}
	return msg
}

func (e *NotFoundError) Unwrap() error { return fs.ErrNotExist }

// StatFunc is os.Stat, injected for tests.
type StatFunc func(path string) (fs.FileInfo, error)

// Find returns the configuration file for arg on goos, checking existence
// with os.Stat. See FindWith.
func Find(arg, goos string) (string, error) { return FindWith(os.Stat, arg, goos) }

// FindWith resolves the wg-quick argument arg to a file. An argument that
// contains '/' (or '\' on Windows) or ends in .conf or .toml is a path and
// is used as is; otherwise it must be a valid interface name, and each
// SearchDirs(goos) directory is tried for NAME.toml, then NAME.conf. The
// first existing file wins; if none exists the error is a *NotFoundError.
// Stat errors other than "does not exist" are returned at once.
func FindWith(stat StatFunc, arg, goos string) (string, error) {
	var candidates []string
	if isPathArg(arg, goos) {
		candidates = []string{arg}
	} else {
		if !ValidInterfaceName(arg) {
			return "", fmt.Errorf("find config: %q is neither a path nor a valid interface name (1-15 characters from a-z A-Z 0-9 _ = + . -)", arg)
		}
		for _, d := range SearchDirs(goos) {
			candidates = append(candidates, path.Join(d, arg+".toml"), path.Join(d, arg+".conf"))
		}
	}
	for _, c := range candidates {
		_, err := stat(c)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("find config: %w", err)
		}
	}
	return "", &NotFoundError{Tried: candidates}
}

func isPathArg(arg, goos string) bool {
	return strings.Contains(arg, "/") || goos == "windows" && strings.Contains(arg, `\`) ||
		strings.HasSuffix(arg, ".conf") || strings.HasSuffix(arg, ".toml")
}

// InterfaceName returns the interface name a configuration path implies:
// its base name must be NAME.conf or NAME.toml with a valid NAME.
func InterfaceName(p string) (string, error) {
	base := p
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		base = p[i+1:]
	}
	for _, ext := range []string{".conf", ".toml"} {
		if name, ok := strings.CutSuffix(base, ext); ok && ValidInterfaceName(name) {
			return name, nil
		}
	}
	return "", fmt.Errorf("config %s: the config file must be a valid interface name, followed by .conf or .toml", p)
}

// WorldAccessibleWarning returns upstream's warning for a configuration
// file, or "" when none is due. Like wg-quick it warns only when the file
// and its directory both grant some permission to "other"
// ((file & dir & 0007) != 0): a 0644 file in a 0700 directory is private.
func WorldAccessibleWarning(path string, fileMode, dirMode fs.FileMode) string {
	if fileMode.Perm()&dirMode.Perm()&0o007 == 0 {
		return ""
	}
	return fmt.Sprintf("Warning: `%s' is world accessible", path)
}
