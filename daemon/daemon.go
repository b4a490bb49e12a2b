package daemon

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wgshim/wgshim/core"
	"github.com/wgshim/wgshim/core/tun"
	"github.com/wgshim/wgshim/core/uapi"
	"github.com/wgshim/wgshim/version"
)

// Env is what the daemon takes from its process, so tests can run it in
// process.
type Env struct {
	Args   []string
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	// SocketDir overrides the UAPI socket directory (tests).
	SocketDir string
	// Signals delivers SIGINT/SIGTERM; nil means the process's signals.
	Signals <-chan os.Signal
}

// OSEnv is the daemon's real process environment.
func OSEnv() Env {
	return Env{Args: os.Args, Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr}
}

const (
	envForeground = "WG_PROCESS_FOREGROUND"
	envTunFD      = "WG_TUN_FD"
	envUAPIFD     = "WG_UAPI_FD"
	envLogLevel   = "LOG_LEVEL"
)

// Main runs the daemon and returns the process exit status.
func Main(env Env) int {
	prog := "wgshim"
	if len(env.Args) > 0 {
		prog = env.Args[0]
	}
	if code, handled := osMain(env); handled {
		return code
	}
	foreground := env.Getenv(envForeground) == "1"
	var name string
	switch args := env.Args[1:]; {
	case len(args) == 1 && (args[0] == "--version" || args[0] == "-v"):
		fmt.Fprintf(env.Stdout, "wgshim %s\n\nUserspace WireGuard daemon for %s, a drop-in for wireguard-go.\n", version.Version, osName)
		return 0
	case len(args) == 1 && !strings.HasPrefix(args[0], "-"):
		name = args[0]
	case len(args) == 2 && (args[0] == "-f" || args[0] == "--foreground"):
		foreground, name = true, args[1]
	default:
		// wireguard-go prints its usage to stdout and exits 0: scripts
		// written for it may depend on that.
		fmt.Fprintf(env.Stdout, "Usage: %s [-f/--foreground] INTERFACE-NAME\n", prog)
		return 0
	}

	if err := checkName(name); err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", prog, err)
		return 1
	}
	level := logLevel(env.Getenv(envLogLevel))
	log := core.NewLogger(env.Stdout, level, fmt.Sprintf("(%s) ", name))

	if env.Getenv(envForeground) != "1" && kernelHasWireGuard() {
		fmt.Fprint(env.Stderr, kernelWarning)
	}

	t, err := openTUN(name, env.Getenv(envTunFD))
	if err != nil {
		log.Errorf("Failed to create TUN device: %v", err)
		fmt.Fprintf(env.Stderr, "%s: failed to create TUN device %s: %v\n", prog, name, err)
		return 1
	}
	if real, err := t.Name(); err == nil {
		name = real
	}
	dir := env.SocketDir
	if dir == "" {
		dir = uapi.DefaultDir
	}
	l, err := listenUAPI(dir, name, env.Getenv(envUAPIFD))
	if err != nil {
		log.Errorf("UAPI listen error: %v", err)
		fmt.Fprintf(env.Stderr, "%s: UAPI socket for %s: %v\n", prog, name, err)
		t.Close()
		return 1
	}

	if !foreground {
		if err := daemonize(env, t, l, level); err != nil {
			log.Errorf("Failed to daemonize: %v", err)
			fmt.Fprintf(env.Stderr, "%s: failed to daemonize: %v\n", prog, err)
			return 1
		}
		return 0
	}
	return run(env, name, dir, t, l, log)
}

// run is the foreground daemon: the engine, the UAPI server and the
// reasons to stop.
func run(env Env, name, dir string, t tun.Device, l net.Listener, log *core.Logger) int {
	dev := core.NewDevice(t, newBind(), core.Options{Logger: log})
	log.Verbosef("Device started")

	srv := &uapi.Server{Handler: dev, Logf: log.Verbosef}
	uapiErr := make(chan error, 1)
	go func() { uapiErr <- srv.Serve(l) }()

	sigs := env.Signals
	if sigs == nil {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGINT, syscall.SIGTERM)
		defer signal.Stop(c)
		sigs = c
	}
	gone := watchSocket(uapi.SocketPath(dir, name))

	select {
	case s := <-sigs:
		log.Verbosef("Received %v, shutting down", s)
	case <-gone:
		log.Verbosef("UAPI socket removed, shutting down")
	case <-dev.Done():
		log.Verbosef("Interface gone, shutting down")
	case err := <-uapiErr:
		log.Errorf("UAPI listener failed: %v; shutting down", err)
	}
	l.Close()
	dev.Close()
	os.Remove(uapi.SocketPath(dir, name))
	log.Verbosef("Shutting down")
	return 0
}

// listenUAPI adopts the listener passed by the parent, or creates the socket.
func listenUAPI(dir, name, fdEnv string) (net.Listener, error) {
	if fdEnv == "" {
		return uapi.Listen(dir, name)
	}
	f, err := envFile(envUAPIFD, fdEnv, "uapi")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return net.FileListener(f)
}

// envFile is the descriptor that the environment variable env passes as
// value (WG_TUN_FD, WG_UAPI_FD), as a file called name.
func envFile(env, value, name string) (*os.File, error) {
	fd, err := strconv.Atoi(value)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: not a file descriptor", env, value)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// daemonize re-executes the program in the background with the TUN and the
// listening socket as descriptors 3 and 4, as wireguard-go does, so that
// the socket exists before the parent returns.
func daemonize(env Env, t tun.Device, l net.Listener, level int) error {
	tf, ok := t.(interface{ File() *os.File })
	if !ok {
		return errors.New("this TUN cannot be passed to a child process")
	}
	lf, err := l.(interface{ File() (*os.File, error) }).File()
	if err != nil {
		return err
	}
	defer lf.Close()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer devNull.Close()
	cmd := exec.Command(self, env.Args[1:]...)
	cmd.Env = append(os.Environ(), envTunFD+"=3", envUAPIFD+"=4", envForeground+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devNull, devNull, devNull
	if level != core.LogSilent && env.Getenv(envLogLevel) != "" {
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	}
	cmd.ExtraFiles = []*os.File{tf.File(), lf}
	cmd.SysProcAttr = detachAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}

// checkName rejects names no OS accepts for an interface, before anything
// is created, so the error says what is wrong with the name.
func checkName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("invalid interface name %q", name)
	case len(name) > 15:
		return fmt.Errorf("invalid interface name %q: longer than 15 bytes", name)
	case strings.ContainsAny(name, "/ \t\n\x00:"):
		return fmt.Errorf("invalid interface name %q: it may not contain '/', ':' or white space", name)
	}
	return nil
}

func logLevel(s string) int {
	switch s {
	case "verbose", "debug":
		return core.LogVerbose
	case "silent":
		return core.LogSilent
	}
	return core.LogError
}

// watchSocket reports when the socket file at path disappears or is
// replaced: wg-quick on FreeBSD and macOS stops a userspace interface by
// deleting its socket. Polling keeps this portable; half a second is
// well inside the time wg-quick waits.
func watchSocket(path string) <-chan struct{} {
	gone := make(chan struct{})
	first, err := os.Lstat(path)
	go func() {
		defer close(gone)
		if err != nil {
			return
		}
		for {
			time.Sleep(500 * time.Millisecond)
			fi, err := os.Lstat(path)
			if err != nil || !os.SameFile(first, fi) {
				return
			}
		}
	}()
	return gone
}

// kernelWarning is printed, as wireguard-go does, when the kernel could do
// the job: informational only.
const kernelWarning = `+------------------------------------------------------------+
|                                                            |
|   Running wgshim, the userspace WireGuard daemon,          |
|   although this kernel has WireGuard built in.             |
|   The kernel's implementation is the better choice         |
|   on this system: see https://www.wireguard.com/install/   |
|                                                            |
+------------------------------------------------------------+
`
