package service

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

// Install registers s as an automatically started service running as
// LocalSystem, restarting it after a failure, and starts it. The error
// wraps os.ErrExist if the service is already installed.
func Install(s Spec) error {
	name, err := Name(s.Tunnel)
	if err != nil {
		return err
	}
	cmdline, err := s.CommandLine()
	if err != nil {
		return err
	}
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("service install: %s: connect to the service manager: %w", name, mapErr(err))
	}
	defer m.Disconnect()
	if old, err := m.OpenService(name); err == nil {
		old.Close()
		return fmt.Errorf("service install: %s: %w", name, os.ErrExist)
	}
	h, err := windows.CreateService(m.Handle, u16(name), u16(displayName(s.Tunnel)),
		windows.SERVICE_ALL_ACCESS, windows.SERVICE_WIN32_OWN_PROCESS,
		mgr.StartAutomatic, mgr.ErrorNormal, u16(cmdline), nil, nil,
		// The network stack must be up first (what wireguard-windows
		// depends on as well).
		u16multi("Nsi", "TcpIp"), nil, nil)
	if err != nil {
		return fmt.Errorf("service install: %s: %w", name, mapErr(err))
	}
	srv := &mgr.Service{Name: name, Handle: h}
	defer srv.Close()
	fail := func(op string, err error) error {
		srv.Delete()
		return fmt.Errorf("service install: %s: %s: %w", name, op, err)
	}
	if err := srv.UpdateConfig(mgr.Config{
		ServiceType:    windows.SERVICE_WIN32_OWN_PROCESS,
		StartType:      mgr.StartAutomatic,
		ErrorControl:   mgr.ErrorNormal,
		BinaryPathName: cmdline,
		DisplayName:    displayName(s.Tunnel),
		Description:    "WireGuard tunnel " + s.Tunnel + " (wgshim)",
		Dependencies:   []string{"Nsi", "TcpIp"},
		SidType:        windows.SERVICE_SID_TYPE_UNRESTRICTED,
	}); err != nil {
		return fail("configure", err)
	}
	restart := []mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: time.Second},
		{Type: mgr.ServiceRestart, Delay: 2 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 4 * time.Second},
	}
	if err := srv.SetRecoveryActions(restart, 60); err != nil {
		return fail("set recovery actions", err)
	}
	// A tunnel that stops by itself reports an exit code instead of
	// crashing; count that as a failure too.
	if err := srv.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return fail("set recovery actions", err)
	}
	if err := srv.Start(); err != nil {
		return fail("start", err)
	}
	return nil
}

// Uninstall stops the service of tunnel iface, waiting up to 15 s, and
// deletes it. The error wraps os.ErrNotExist if it is not installed.
func Uninstall(iface string) error {
	name, err := Name(iface)
	if err != nil {
		return err
	}
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("service uninstall: %s: connect to the service manager: %w", name, mapErr(err))
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return fmt.Errorf("service uninstall: %s: %w", name, mapErr(err))
	}
	defer s.Close()
	st, err := s.Control(svc.Stop)
	if err == nil || errors.Is(err, windows.ERROR_SERVICE_CANNOT_ACCEPT_CTRL) {
		for deadline := time.Now().Add(15 * time.Second); st.State != svc.Stopped && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
			if st, err = s.Query(); err != nil {
				break
			}
		}
	}
	if err := s.Delete(); err != nil && !errors.Is(err, windows.ERROR_SERVICE_MARKED_FOR_DELETE) {
		return fmt.Errorf("service uninstall: %s: %w", name, mapErr(err))
	}
	return nil
}

// Installed reports whether the service of tunnel iface exists.
func Installed(iface string) (bool, error) {
	name, err := Name(iface)
	if err != nil {
		return false, err
	}
	m, err := mgr.Connect()
	if err != nil {
		return false, fmt.Errorf("service query: %s: connect to the service manager: %w", name, mapErr(err))
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
			return false, nil
		}
		return false, fmt.Errorf("service query: %s: %w", name, mapErr(err))
	}
	s.Close()
	return true, nil
}

// Query returns the state of tunnel iface's service; the error wraps
// os.ErrNotExist if it is not installed.
func Query(iface string) (State, error) {
	name, err := Name(iface)
	if err != nil {
		return 0, err
	}
	m, err := mgr.Connect()
	if err != nil {
		return 0, fmt.Errorf("service query: %s: connect to the service manager: %w", name, mapErr(err))
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return 0, fmt.Errorf("service query: %s: %w", name, mapErr(err))
	}
	defer s.Close()
	st, err := s.Query()
	if err != nil {
		return 0, fmt.Errorf("service query: %s: %w", name, mapErr(err))
	}
	return fromSvc(st.State), nil
}

func fromSvc(s svc.State) State {
	switch s {
	case svc.Stopped:
		return Stopped
	case svc.StartPending:
		return Starting
	case svc.Running:
		return Running
	case svc.StopPending:
		return Stopping
	}
	return Other
}

// IsService reports whether the process was started by the service manager.
func IsService() (bool, error) { return svc.IsWindowsService() }

// Run serves the service of tunnel iface: call it from the process the
// manager started. It returns once the service stopped, with run's error.
func Run(iface string, run RunFunc) error {
	name, err := Name(iface)
	if err != nil {
		return err
	}
	h := &handler{run: run}
	if err := svc.Run(name, h); err != nil {
		return fmt.Errorf("service run: %s: %w", name, err)
	}
	return h.err
}

type handler struct {
	run RunFunc
	err error
}

func (h *handler) Execute(args []string, r <-chan svc.ChangeRequest, s chan<- svc.Status) (bool, uint32) {
	reqs := make(chan request)
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		for {
			select {
			case c := <-r:
				var q request
				switch c.Cmd {
				case svc.Interrogate:
					q = reqInterrogate
				case svc.Stop:
					q = reqStop
				case svc.Shutdown:
					q = reqShutdown
				default:
					continue
				}
				select {
				case reqs <- q:
				case <-quit:
					return
				}
			case <-quit:
				return
			}
		}
	}()
	failed, err := control(h.run, reqs, func(st status) { s <- toSvc(st) })
	h.err = err
	if failed {
		return true, 1 // service-specific exit code 1: the tunnel failed
	}
	return false, 0
}

func toSvc(st status) svc.Status {
	out := svc.Status{}
	switch st.state {
	case stopped:
		out.State = svc.Stopped
	case startPending:
		out.State, out.WaitHint = svc.StartPending, 30000
	case running:
		out.State = svc.Running
	case stopPending:
		out.State, out.WaitHint = svc.StopPending, 15000
	}
	if st.acceptStop {
		out.Accepts = svc.AcceptStop | svc.AcceptShutdown
	}
	return out
}

func displayName(iface string) string { return "wgshim tunnel: " + iface }

func u16(s string) *uint16 {
	p, err := windows.UTF16PtrFromString(s)
	if err != nil {
		panic(err) // names and command lines are checked for NUL above
	}
	return p
}

// u16multi encodes a REG_MULTI_SZ style list: strings separated and ended
// by NUL, then one more NUL.
func u16multi(ss ...string) *uint16 {
	var out []uint16
	for _, s := range ss {
		out = append(out, windows.StringToUTF16(s)...)
	}
	out = append(out, 0)
	return &out[0]
}

func mapErr(err error) error {
	switch {
	case errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST):
		return fmt.Errorf("not installed: %w", os.ErrNotExist)
	case errors.Is(err, windows.ERROR_SERVICE_EXISTS):
		return fmt.Errorf("%w: %w", err, os.ErrExist)
	case errors.Is(err, windows.ERROR_ACCESS_DENIED):
		return fmt.Errorf("access denied (run as an administrator): %w", os.ErrPermission)
	}
	return err
}
