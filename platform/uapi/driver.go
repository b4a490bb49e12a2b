package uapi

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	coreuapi "github.com/wgshim/wgshim/core/uapi"
	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform"
)

// DefaultProgram is the userspace implementation Create starts when
// WG_QUICK_USERSPACE_IMPLEMENTATION is not set.
const DefaultProgram = "wgshim"

// ProgramEnv names the environment variable that chooses the userspace
// implementation, as in wg-quick(8).
const ProgramEnv = "WG_QUICK_USERSPACE_IMPLEMENTATION"

// DefaultTimeout bounds how long Create waits for a new daemon's socket and
// Destroy for a daemon to exit.
const DefaultTimeout = 5 * time.Second

// Driver provides userspace links. The zero value is ready to use.
type Driver struct {
	// Dir is the socket directory; empty means core/uapi.DefaultDir.
	Dir string
	// Program is the userspace implementation to start; empty means
	// $WG_QUICK_USERSPACE_IMPLEMENTATION, or DefaultProgram if unset.
	Program string
	// Timeout bounds Create's and Destroy's waits; 0 means DefaultTimeout.
	Timeout time.Duration
	// Stdout and Stderr receive the started program's output; nil means
	// the process's own.
	Stdout, Stderr io.Writer
}

var _ platform.Driver = (*Driver)(nil)

// Kind reports wgtypes.Userspace.
func (d *Driver) Kind() wgtypes.DeviceType { return wgtypes.Userspace }

func (d *Driver) timeout() time.Duration {
	if d.Timeout > 0 {
		return d.Timeout
	}
	return DefaultTimeout
}

func (d *Driver) program() string {
	if d.Program != "" {
		return d.Program
	}
	if p := os.Getenv(ProgramEnv); p != "" {
		return p
	}
	return DefaultProgram
}

// Open returns the userspace interface called name if its socket accepts a
// connection; otherwise the error wraps os.ErrNotExist (or the reason the
// socket could not be reached, such as os.ErrPermission).
func (d *Driver) Open(name string) (platform.Link, error) {
	if err := errUnsupported("open", name); err != nil {
		return nil, err
	}
	c, err := coreuapi.Dial(d.Dir, name)
	if err != nil {
		return nil, fmt.Errorf("userspace open %s: %w", name, err)
	}
	c.Close()
	return &Link{d: d, name: name}, nil
}

// List names the userspace interfaces as wg(8) finds them (spec uapi.md
// §6): entries <iface>.sock that are sockets accepting a connection (stale
// ones are removed by core/uapi.Dial), in the order the directory returns
// them, unsorted (core/uapi.List sorts, as os.ReadDir does). A missing
// directory means none.
func (d *Driver) List() ([]string, error) {
	if err := errUnsupported("list", ""); err != nil {
		return nil, err
	}
	dir := d.Dir
	if dir == "" {
		dir = coreuapi.DefaultDir
	}
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("userspace list: %w", err)
	}
	entries, err := f.ReadDir(-1) // directory order, unlike os.ReadDir
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("userspace list: %w", err)
	}
	var names []string
	for _, e := range entries {
		iface, ok := strings.CutSuffix(e.Name(), ".sock")
		if !ok || iface == "" || e.Type() != fs.ModeSocket {
			continue
		}
		if c, err := coreuapi.Dial(d.Dir, iface); err == nil {
			c.Close()
			names = append(names, iface)
		}
	}
	return names, nil
}

// Create starts the userspace program as `<prog> <name>` and waits until
// the socket of name answers, at most Timeout. The program may stay in the
// foreground or daemonise (wireguard-go's parent exits 0 once the socket
// exists). If it exits with an error, or the socket does not answer in
// time, Create fails and kills the program if it is still running.
// An interface that already answers gives an error wrapping os.ErrExist.
func (d *Driver) Create(name string) (platform.Link, error) {
	if err := errUnsupported("create", name); err != nil {
		return nil, err
	}
	if c, err := coreuapi.Dial(d.Dir, name); err == nil {
		c.Close()
		return nil, fmt.Errorf("userspace create %s: %w", name, os.ErrExist)
	}
	prog := d.program()
	cmd := exec.Command(prog, name)
	cmd.Stdout, cmd.Stderr = d.Stdout, d.Stderr
	if cmd.Stdout == nil {
		cmd.Stdout = os.Stdout
	}
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("userspace create %s: %w", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	running := true
	deadline := time.NewTimer(d.timeout())
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if c, err := coreuapi.Dial(d.Dir, name); err == nil {
			c.Close()
			return &Link{d: d, name: name}, nil
		}
		select {
		case err := <-exited:
			running = false
			if err != nil {
				return nil, fmt.Errorf("userspace create %s: %s %s: %w", name, prog, name, err)
			}
			// Daemonised: the parent has gone, the child serves the socket.
		case <-tick.C:
		case <-deadline.C:
			if running {
				cmd.Process.Kill()
				<-exited
			}
			return nil, fmt.Errorf("userspace create %s: %s did not open %s within %v: %w",
				name, prog, coreuapi.SocketPath(d.Dir, name), d.timeout(), os.ErrDeadlineExceeded)
		}
	}
}

// Link is one userspace interface.
type Link struct {
	d    *Driver
	name string
}

var _ platform.Link = (*Link)(nil)

// Name returns the interface name.
func (l *Link) Name() string { return l.name }

// Get asks the daemon for the device state over a new connection.
func (l *Link) Get() (*wgtypes.Device, error) {
	c, err := coreuapi.Dial(l.d.Dir, l.name)
	if err != nil {
		return nil, fmt.Errorf("userspace get %s: %w", l.name, err)
	}
	defer c.Close()
	dev, err := (&coreuapi.Client{Dir: l.d.Dir}).Get(c)
	if err != nil {
		return nil, fmt.Errorf("userspace get %s: %w", l.name, err)
	}
	dev.Name = l.name
	return dev, nil
}

// Set sends cfg as one set request over a new connection. It is atomic
// only if the daemon applies requests atomically (ours does; see the
// package documentation).
func (l *Link) Set(cfg wgtypes.Config) error {
	c, err := coreuapi.Dial(l.d.Dir, l.name)
	if err != nil {
		return fmt.Errorf("userspace set %s: %w", l.name, err)
	}
	defer c.Close()
	if err := (&coreuapi.Client{Dir: l.d.Dir}).Set(c, cfg); err != nil {
		return fmt.Errorf("userspace set %s: %w", l.name, err)
	}
	return nil
}

// Destroy removes the socket file, which tells the daemon to exit, and
// waits (at most the driver's Timeout) until the daemon has closed a
// connection opened just before: the connection ends when the process
// exits. A daemon that keeps running is reported as an error wrapping
// os.ErrDeadlineExceeded; the socket file is gone either way.
func (l *Link) Destroy() error {
	path := coreuapi.SocketPath(l.d.Dir, l.name)
	c, derr := coreuapi.Dial(l.d.Dir, l.name)
	rerr := os.Remove(path)
	if rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		if c != nil {
			c.Close()
		}
		return fmt.Errorf("userspace destroy %s: %w", l.name, rerr)
	}
	if derr != nil {
		if rerr == nil {
			return nil // a socket nobody served; removing it was enough
		}
		return fmt.Errorf("userspace destroy %s: %w", l.name, derr)
	}
	defer c.Close()
	return waitClosed(c, l.name, l.d.timeout())
}

// waitClosed reads c until the daemon closes it or the timeout passes.
func waitClosed(c net.Conn, name string, timeout time.Duration) error {
	c.SetReadDeadline(time.Now().Add(timeout))
	var buf [64]byte
	for {
		_, err := c.Read(buf[:])
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("userspace destroy %s: daemon still running %v after its socket was removed: %w",
				name, timeout, os.ErrDeadlineExceeded)
		}
		return nil // EOF or reset: the daemon has gone
	}
}

// Close does nothing: a Link holds no connection between calls.
func (l *Link) Close() error { return nil }
