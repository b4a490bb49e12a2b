package wg

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform"
)

// Version is the wireguard-tools release whose behaviour this command
// reproduces; `wg --version` prints it as wireguard-tools does.
const Version = "1.0.20260223"

// Backend opens and lists WireGuard interfaces (platform/host in the real
// command).
type Backend interface {
	// Open returns the interface called name; see platform.Driver.Open.
	Open(name string) (platform.Link, error)
	// List names every interface, kernel ones first, as wg lists them.
	List() ([]string, error)
}

// Env is everything Main reads from or writes to. Nil fields get the
// defaults described on each.
type Env struct {
	Stdin  io.Reader // nil: empty
	Stdout io.Writer // nil: discarded
	Stderr io.Writer // nil: discarded

	// LookupEnv reads an environment variable; nil: os.LookupEnv.
	LookupEnv func(key string) (string, bool)
	// IsTerminal reports whether w (Stdout) is a terminal, for the
	// automatic colour mode; nil: never.
	IsTerminal func(w io.Writer) bool

	Backend Backend

	// Now is the wall clock for "latest handshake: ... ago"; nil: time.Now.
	Now func() time.Time
	// LookupHost resolves endpoint host names, best address first; nil:
	// net.DefaultResolver.
	LookupHost func(ctx context.Context, host string) ([]netip.Addr, error)
	// LookupPort resolves UDP service names such as "domain"; nil:
	// net.DefaultResolver.
	LookupPort func(ctx context.Context, service string) (int, error)
	// Sleep waits between endpoint resolution retries; nil: time.Sleep.
	Sleep func(time.Duration)
	// Rand is the randomness for genkey and genpsk; nil: crypto/rand.
	Rand io.Reader
}

// cmd is one run of the command.
type cmd struct {
	env  Env
	prog string // argv[0], printed in usage and some errors
	out  *bufio.Writer
	err  io.Writer
}

// Main runs wg with args (args[0] is the program name as invoked) and
// returns the exit status: 0 on success, 1 on any failure.
func Main(args []string, env Env) int {
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	if env.LookupEnv == nil {
		env.LookupEnv = os.LookupEnv
	}
	if env.IsTerminal == nil {
		env.IsTerminal = func(io.Writer) bool { return false }
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.LookupHost == nil {
		env.LookupHost = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	if env.LookupPort == nil {
		env.LookupPort = func(ctx context.Context, service string) (int, error) {
			return net.DefaultResolver.LookupPort(ctx, "udp", service)
		}
	}
	if env.Sleep == nil {
		env.Sleep = time.Sleep
	}
	if env.Rand == nil {
		env.Rand = rand.Reader
	}
	c := &cmd{env: env, out: bufio.NewWriter(env.Stdout)}
	// Diagnostics appear after the data printed before them, as with a
	// line-buffered terminal.
	c.err = flushFirst{c.out, env.Stderr}
	if len(args) > 0 {
		c.prog = args[0]
	}
	ret := c.main(args)
	c.out.Flush()
	return ret
}

type flushFirst struct {
	out *bufio.Writer
	w   io.Writer
}

func (f flushFirst) Write(p []byte) (int, error) {
	f.out.Flush()
	return f.w.Write(p)
}

type subcommand struct {
	name        string
	run         func(c *cmd, args []string) int
	description string
}

var subcommands = []subcommand{
	{"show", (*cmd).show, "Shows the current configuration and device information"},
	{"showconf", (*cmd).showconf, "Shows the current configuration of a given WireGuard interface, for use with `setconf'"},
	{"set", (*cmd).set, "Change the current configuration, add peers, remove peers, or change peers"},
	{"setconf", (*cmd).setconf, "Applies a configuration file to a WireGuard interface"},
	{"addconf", (*cmd).setconf, "Appends a configuration file to a WireGuard interface"},
	{"syncconf", (*cmd).setconf, "Synchronizes a configuration file to a WireGuard interface"},
	{"genkey", (*cmd).genkey, "Generates a new private key and writes it to stdout"},
	{"genpsk", (*cmd).genkey, "Generates a new preshared key and writes it to stdout"},
	{"pubkey", (*cmd).pubkey, "Reads a private key from stdin and writes a public key to stdout"},
}

func (c *cmd) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s <cmd> [<args>]\n\n", c.prog)
	fmt.Fprintf(w, "Available subcommands:\n")
	for _, s := range subcommands {
		fmt.Fprintf(w, "  %s: %s\n", s.name, s.description)
	}
	fmt.Fprintf(w, "You may pass `--help' to any of these subcommands to view usage.\n")
}

func (c *cmd) main(args []string) int {
	if len(args) == 2 {
		switch args[1] {
		case "-v", "--version", "version":
			fmt.Fprintf(c.out, "wireguard-tools v%s - https://git.zx2c4.com/wireguard-tools/\n", Version)
			return 0
		case "-h", "--help", "help":
			c.usage(c.out)
			return 0
		}
	}
	if len(args) <= 1 {
		return c.show([]string{"show"})
	}
	for _, s := range subcommands {
		if args[1] == s.name {
			return s.run(c, args[1:])
		}
	}
	fmt.Fprintf(c.err, "Invalid subcommand: `%s'\n", args[1])
	c.usage(c.err)
	return 1
}

// getenv returns the variable's value and whether it is set.
func (c *cmd) getenv(key string) (string, bool) { return c.env.LookupEnv(key) }

// perror prints "prefix: <strerror>" like perror(3).
func (c *cmd) perror(prefix string, err error) {
	fmt.Fprintf(c.err, "%s: %s\n", prefix, strerror(err))
}

// ifNameMax is IFNAMSIZ - 1: wg copies interface names into a
// char[IFNAMSIZ], so set and setconf act on, and show prints, at most 15
// bytes of the name.
const ifNameMax = 15

func truncName(name string) string {
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	if len(name) > ifNameMax {
		return name[:ifNameMax]
	}
	return name
}

// strerror turns err into the text wg prints after "Unable to ...: ", the
// C library's message for the errno the error carries (the first one found
// by errors.As), or for the errno that the kind of error (os.ErrNotExist,
// ...) stands for.
func strerror(err error) string {
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
	case errors.Is(err, fs.ErrNotExist):
		errno = syscall.ENODEV
	case errors.Is(err, fs.ErrPermission):
		errno = syscall.EPERM
	case errors.Is(err, errors.ErrUnsupported):
		errno = syscall.EOPNOTSUPP
	default:
		return err.Error()
	}
	// Go's texts are the C library's with a lower-case first letter.
	return capitalize(errno.Error())
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// Keys are the wgtypes.Key helpers wg needs.
type key = wgtypes.Key
