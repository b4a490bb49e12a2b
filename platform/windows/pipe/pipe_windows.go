package pipe

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// Listen creates the UAPI pipe of iface with the security descriptor SDDL.
// It must run as LocalSystem; see the package comment.
func Listen(iface string) (net.Listener, error) { return ListenSDDL(iface, SDDL) }

// ListenSDDL is Listen with another security descriptor, such as SDDLAdmin.
func ListenSDDL(iface, sddl string) (net.Listener, error) {
	path, err := Path(iface)
	if err != nil {
		return nil, err
	}
	l, err := winio.ListenPipe(path, &winio.PipeConfig{
		SecurityDescriptor: sddl,
		InputBufferSize:    4096,
		OutputBufferSize:   4096,
	})
	if err != nil {
		return nil, fmt.Errorf("uapi listen: %s: %w", path, listenErr(err))
	}
	return l, nil
}

func listenErr(err error) error {
	var errno windows.Errno
	if !errors.As(err, &errno) {
		return err
	}
	switch errno {
	case windows.ERROR_INVALID_OWNER, windows.ERROR_PRIVILEGE_NOT_HELD:
		return fmt.Errorf("only a LocalSystem process can make LocalSystem own the pipe (run the tunnel as a service): %w", os.ErrPermission)
	case windows.ERROR_ALREADY_EXISTS, windows.ERROR_PIPE_BUSY:
		return errors.New("pipe in use: another process serves this interface")
	case windows.ERROR_ACCESS_DENIED:
		return fmt.Errorf("access denied (run elevated; or another process owns the pipe): %w", os.ErrPermission)
	}
	return err
}

// Dial connects to the UAPI pipe of iface, waiting up to timeout while all
// its instances are busy, and checks that LocalSystem or Administrators
// own it. The error wraps os.ErrNotExist if no process serves iface.
func Dial(iface string, timeout time.Duration) (net.Conn, error) {
	path, err := Path(iface)
	if err != nil {
		return nil, err
	}
	c, err := winio.DialPipe(path, &timeout)
	if err != nil {
		if errors.Is(err, windows.ERROR_FILE_NOT_FOUND) || errors.Is(err, windows.ERROR_PATH_NOT_FOUND) {
			return nil, fmt.Errorf("uapi dial: %s: no such interface: %w", path, os.ErrNotExist)
		}
		return nil, fmt.Errorf("uapi dial: %s: %w", path, err)
	}
	if err := checkOwner(c); err != nil {
		c.Close()
		return nil, fmt.Errorf("uapi dial: %s: %w", path, err)
	}
	return c, nil
}

// checkOwner refuses a pipe that neither LocalSystem nor Administrators own
// (spec windows.md §5: wg.exe accepts LocalSystem only).
func checkOwner(c net.Conn) error {
	f, ok := c.(interface{ Fd() uintptr })
	if !ok {
		return errors.New("cannot check the pipe owner: no handle")
	}
	sd, err := windows.GetSecurityInfo(windows.Handle(f.Fd()), windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("read pipe owner: %w", err)
	}
	owner, _, err := sd.Owner()
	if err != nil {
		return fmt.Errorf("read pipe owner: %w", err)
	}
	if owner.IsWellKnown(windows.WinLocalSystemSid) || owner.IsWellKnown(windows.WinBuiltinAdministratorsSid) {
		return nil
	}
	return fmt.Errorf("pipe is owned by %s, not LocalSystem or Administrators: refusing it: %w", owner, os.ErrPermission)
}

// List names the interfaces whose UAPI pipe exists.
func List() ([]string, error) {
	var fd windows.Win32finddata
	pattern, err := windows.UTF16PtrFromString(Dir + "*")
	if err != nil {
		return nil, err
	}
	h, err := windows.FindFirstFile(pattern, &fd)
	if errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("uapi list: %s: %w", Dir, err)
	}
	defer windows.FindClose(h)
	var entries []string
	for {
		entries = append(entries, windows.UTF16ToString(fd.FileName[:]))
		err := windows.FindNextFile(h, &fd)
		if errors.Is(err, windows.ERROR_NO_MORE_FILES) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("uapi list: %s: %w", Dir, err)
		}
	}
	return Names(entries), nil
}
