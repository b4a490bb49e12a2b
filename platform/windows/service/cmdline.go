package service

import (
	"errors"
	"fmt"
	"strings"
)

// NamePrefix starts the service name of every tunnel.
const NamePrefix = "WgshimTunnel$"

// Name returns the service name of tunnel iface.
func Name(iface string) (string, error) {
	switch {
	case iface == "":
		return "", errors.New("service: empty tunnel name")
	case strings.ContainsAny(iface, "/\\\x00"):
		return "", fmt.Errorf("service: tunnel name %q contains a slash, backslash or NUL", iface)
	case len(NamePrefix)+len(iface) > 256:
		return "", fmt.Errorf("service: tunnel name %q is too long", iface)
	}
	return NamePrefix + iface, nil
}

// Spec describes a tunnel service to install.
type Spec struct {
	// Tunnel is the interface name; the service is Name(Tunnel).
	Tunnel string
	// Exe is the absolute path of the executable to run.
	Exe string
	// Args follow Exe on the command line.
	Args []string
}

// CommandLine is the command line the service manager runs for s (the
// service's ImagePath): Exe and every argument quoted so that
// CommandLineToArgvW, which Go's os.Args uses on Windows, gives them back
// unchanged.
func (s Spec) CommandLine() (string, error) {
	if s.Exe == "" || strings.ContainsAny(s.Exe, "\"\x00") {
		return "", fmt.Errorf("service: invalid executable path %q", s.Exe)
	}
	var b strings.Builder
	// The program name is parsed differently: it ends at the closing
	// quote, backslashes are literal. A path holds no quotes, so
	// quoting it when it has blanks suffices.
	if !strings.ContainsAny(s.Exe, " \t") {
		b.WriteString(s.Exe)
	} else {
		b.WriteString(`"` + s.Exe + `"`)
	}
	for _, a := range s.Args {
		if strings.ContainsRune(a, 0) {
			return "", fmt.Errorf("service: argument %q contains NUL", a)
		}
		b.WriteByte(' ')
		b.WriteString(QuoteArg(a))
	}
	return b.String(), nil
}

// QuoteArg quotes one argument for CommandLineToArgvW. An argument without
// blanks or quotes stays as it is. Otherwise it is put in quotes; a quote
// inside becomes \", and the backslashes just before a quote, or before
// the closing quote, are doubled (elsewhere backslashes are literal).
func QuoteArg(a string) string {
	if a == "" {
		return `""`
	}
	if !strings.ContainsAny(a, " \t\"") {
		return a
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(a); i++ {
		switch c := a[i]; c {
		case '\\':
			slashes++
			b.WriteByte(c)
		case '"':
			b.WriteString(strings.Repeat(`\`, slashes+1))
			b.WriteByte(c)
			slashes = 0
		default:
			slashes = 0
			b.WriteByte(c)
		}
	}
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
	return b.String()
}

// State is a tunnel service's state, as Query reports it.
type State int

const (
	Stopped  State = iota + 1 // not running: never started, failed or stopped
	Starting                  // start pending: the tunnel is coming up
	Running                   // the tunnel is up (its RunFunc called ready)
	Stopping                  // stop pending
	Other                     // paused and the like
)

func (s State) String() string {
	switch s {
	case Stopped:
		return "stopped"
	case Starting:
		return "starting"
	case Running:
		return "running"
	case Stopping:
		return "stopping"
	}
	return "other"
}
