package windows

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// HooksEnabled reports whether HooksKey\HooksValue is a DWORD other than 0.
func HooksEnabled() bool {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, HooksKey, registry.QUERY_VALUE)
	if err != nil {
		return false
	}
	defer k.Close()
	v, _, err := k.GetIntegerValue(HooksValue)
	return err == nil && v != 0
}

// runHook runs command with cmd.exe from System32 (not the PATH), as
// `cmd /S /C "command"`: /S strips exactly the outer quotes, so the text
// reaches cmd as written. WIREGUARD_TUNNEL_NAME holds the tunnel's name,
// as wireguard-windows sets it.
func runHook(ctx context.Context, tunnel, command string) error {
	sys, err := windows.GetSystemDirectory()
	if err != nil {
		return fmt.Errorf("hook: system directory: %w", err)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(sys, "cmd.exe"))
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: `cmd /S /C "` + command + `"`, HideWindow: true}
	cmd.Env = append(os.Environ(), "WIREGUARD_TUNNEL_NAME="+tunnel)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if s := strings.TrimSpace(string(out)); s != "" {
			return fmt.Errorf("%w: %s", err, s)
		}
		return err
	}
	return nil
}
