package wgquick

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	syswin "golang.org/x/sys/windows"

	"github.com/wgshim/wgshim/platform/windows"
	"github.com/wgshim/wgshim/platform/windows/service"
)

// windowsUpTimeout bounds the wait for a new tunnel's pipe: the service
// resolves endpoint names for up to 25 s and may retry its IP
// configuration for 15 s; a service that fails ends the wait at once.
const windowsUpTimeout = 60 * time.Second

// winHost is the live WindowsHost: the service manager, the tunnels'
// pipes, and wgshim.exe next to this program.
type winHost struct {
	stdout, stderr io.Writer
	exeDir         string
	drv            *windows.Driver
}

// NewWindowsHost returns the live Windows system.
func NewWindowsHost(stdout, stderr io.Writer) (WindowsHost, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("wg-quick: locate this program: %w", err)
	}
	return &winHost{stdout: stdout, stderr: stderr, exeDir: filepath.Dir(exe), drv: &windows.Driver{}}, nil
}

func (h *winHost) Elevated() bool { return syswin.GetCurrentProcessToken().IsElevated() }

func (h *winHost) HooksEnabled() bool { return windows.HooksEnabled() }

func (h *winHost) ConfigDirs() []string {
	return WindowsConfigDirs(os.Getenv("ProgramFiles"), h.exeDir)
}

func (h *winHost) Wgshim() (string, error) {
	p := filepath.Join(h.exeDir, "wgshim.exe")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("wgshim.exe, which runs the tunnel service, is not next to wg-quick.exe: %w", err)
	}
	return p, nil
}

func (h *winHost) Tunnel(name string) (installed, running bool, err error) {
	if installed, err = service.Installed(name); err != nil {
		return false, false, err
	}
	l, err := h.drv.Open(name)
	if err == nil {
		l.Close()
		return installed, true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return installed, false, nil
	}
	return installed, false, err
}

func (h *winHost) run(ctx context.Context, c Cmd) error {
	cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
	cmd.Stdout, cmd.Stderr = h.stdout, h.stderr
	return cmd.Run()
}

func (h *winHost) Do(ctx context.Context, op Op) (*Op, error) {
	switch op.Kind {
	case CreateLink:
		if err := h.run(ctx, op.Cmds[0]); err != nil {
			return nil, err
		}
		// The service is installed: from here on the undo removes it.
		if err := h.await(ctx, op.Iface); err != nil {
			if op.Undo != nil {
				fmt.Fprintln(h.stderr, op.Undo.String())
				if uerr := h.run(context.Background(), op.Undo.Cmds[0]); uerr != nil {
					err = fmt.Errorf("%w (undo: %v)", err, uerr)
				}
			}
			return nil, err
		}
		return op.Undo, nil
	case DeleteLink:
		return nil, h.run(ctx, op.Cmds[0])
	case SaveConfig:
		l, err := h.drv.Open(op.Iface)
		if err != nil {
			return nil, err
		}
		dev, err := l.Get()
		if err != nil {
			return nil, err
		}
		return nil, saveWindows(op.Save, dev)
	}
	return nil, fmt.Errorf("%s: %w on Windows", op.Kind, errUnsupported)
}

// await waits until the tunnel's service runs and its pipe answers. On
// failure the error carries the end of the service's log, which says why.
func (h *winHost) await(ctx context.Context, name string) error {
	err := awaitTunnel(ctx, windowsUpTimeout, 250*time.Millisecond,
		func() (service.State, error) { return service.Query(name) },
		func() bool {
			l, err := h.drv.Open(name)
			if err == nil {
				l.Close()
			}
			return err == nil
		})
	if err == nil || ctx.Err() != nil {
		return err
	}
	log := windows.LogPath(h.exeDir, name)
	msg := fmt.Sprintf("%v; its log is %s", err, log)
	if b, rerr := os.ReadFile(log); rerr == nil {
		msg += ", ending:\n" + lastLines(b, 10)
	}
	return errors.New(msg)
}
