//go:build linux || freebsd

package wgquick

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform"
	"github.com/wgshim/wgshim/platform/host"
	"github.com/wgshim/wgshim/platform/uapi"
	"github.com/wgshim/wgshim/wg-quick/config"
)

// What the live Linux and FreeBSD hosts (host_linux.go, host_freebsd.go)
// share. OpenBSD's host is in platform/openbsd/quick, which cannot import
// this package.

// liveHost is the part of a live host that runs commands and keeps the
// WireGuard links it opened or created.
type liveHost struct {
	stdout, stderr io.Writer // where hooks and commands write
	links          map[string]platform.Link
}

func newLiveHost(stdout, stderr io.Writer) liveHost {
	return liveHost{stdout: stdout, stderr: stderr, links: map[string]platform.Link{}}
}

// closeLinks closes the links h has open.
func (h *liveHost) closeLinks() {
	for _, l := range h.links {
		l.Close()
	}
}

// link returns the WireGuard link name, opened with platform/host the
// first time.
func (h *liveHost) link(name string) (platform.Link, error) {
	if l, ok := h.links[name]; ok {
		return l, nil
	}
	l, err := host.Open(name)
	if err != nil {
		return nil, err
	}
	h.links[name] = l
	return l, nil
}

// create creates name with d and keeps its link.
func (h *liveHost) create(d platform.Driver, name string) error {
	l, err := d.Create(name)
	if err != nil {
		return err
	}
	h.links[name] = l
	return nil
}

// createKernel is the kernel half of add_if: the kernel drivers of
// platform/host try to create name in turn. It reports whether one did;
// if none did, err is the last one's error, nil when there is no kernel
// driver. A name that is taken (fs.ErrExist) ends the search: it is taken
// for every driver.
func (h *liveHost) createKernel(name string) (created bool, err error) {
	for _, d := range host.Drivers() {
		if d.Kind() == wgtypes.Userspace {
			continue
		}
		if err = h.create(d, name); err == nil {
			return true, nil
		}
		if errors.Is(err, fs.ErrExist) {
			return false, err
		}
	}
	return false, err
}

// userspaceProgram is the userspace implementation add_if falls back to:
// $WG_QUICK_USERSPACE_IMPLEMENTATION, else wgshim.
func userspaceProgram() string {
	if prog := os.Getenv(uapi.ProgramEnv); prog != "" {
		return prog
	}
	return uapi.DefaultProgram
}

// hook runs a Hook op's text with shell -c, stdin empty.
func (h *liveHost) hook(ctx context.Context, shell, text string) error {
	cmd := exec.CommandContext(ctx, shell, "-c", text)
	cmd.Stdout, cmd.Stderr = h.stdout, h.stderr
	return cmd.Run()
}

// run runs one command of an Exec op (resolvconf, nft, ...).
func (h *liveHost) run(ctx context.Context, c Cmd) error {
	cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
	cmd.Stdin = strings.NewReader(c.Stdin)
	cmd.Stdout, cmd.Stderr = h.stdout, h.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", c.Args[0], err)
	}
	return nil
}

// output runs a command and returns its standard output; a failure
// carries its standard error.
func output(args ...string) (string, error) {
	var out, errb bytes.Buffer
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// awaitGone is the wait of del_if: it asks gone every poll until it says
// yes (true) or timeout has passed (false).
func awaitGone(gone func() bool, timeout, poll time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if gone() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(poll)
	}
}

// device is the running WireGuard state of iface, for save_config.
func (h *liveHost) device(iface string) (*wgtypes.Device, error) {
	l, err := h.link(iface)
	if err != nil {
		return nil, err
	}
	return l.Get()
}

// writeRunning is the end of save_config: the configuration for c's file
// given the running device and state, written over the file.
func writeRunning(c *config.Config, dev *wgtypes.Device, run Running) error {
	b, err := encodeConfig(RunningConfig(c, dev, run))
	if err != nil {
		return err
	}
	return writeFileAtomic(c.File, b)
}

var nameserverRE = regexp.MustCompile(`^nameserver ([a-zA-Z0-9_=+:%.-]+)$`)

// parseNameservers returns the addresses of resolv.conf-style
// "nameserver" lines (what `resolvconf -l` prints).
func parseNameservers(text string) []netip.Addr {
	var dns []netip.Addr
	for _, l := range strings.Split(text, "\n") {
		if m := nameserverRE.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			if a, err := netip.ParseAddr(m[1]); err == nil {
				dns = append(dns, a)
			}
		}
	}
	return dns
}
