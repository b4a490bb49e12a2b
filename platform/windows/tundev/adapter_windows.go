package tundev

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/windows"
	"golang.zx2c4.com/wintun"
)

// Create makes a new Wintun adapter called name and starts its session.
// The adapter is deleted when the Device is closed.
func Create(name string, opts Options) (*Device, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	g := AdapterGUID(name)
	if o.GUID != nil {
		g = *o.GUID
	}
	wg := windows.GUID(g)
	a, err := wintun.CreateAdapter(name, o.TunnelType, &wg)
	if err != nil {
		return nil, fmt.Errorf("tun create: %s: %w", name, mapErr(err))
	}
	return start(name, a, true, o)
}

// Open attaches to the existing Wintun adapter called name and starts a
// session on it. Closing the Device leaves the adapter in place. The error
// wraps os.ErrNotExist if there is no such adapter.
func Open(name string, opts Options) (*Device, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	a, err := wintun.OpenAdapter(name)
	if err != nil {
		return nil, fmt.Errorf("tun open: %s: %w", name, mapErr(err))
	}
	return start(name, a, false, o)
}

func start(name string, a *wintun.Adapter, created bool, o Options) (*Device, error) {
	s, err := a.StartSession(o.RingCapacity)
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("tun start session: %s: %w", name, mapErr(err))
	}
	wake, err := windows.CreateEvent(nil, 1, 0, nil) // manual reset: stays set
	if err != nil {
		s.End()
		a.Close()
		return nil, fmt.Errorf("tun start session: %s: create event: %w", name, err)
	}
	r := &session{s: s, handles: [2]windows.Handle{s.ReadWaitEvent(), wake}}
	// The Device holds a for its whole life: the Wintun package closes a
	// lost handle from a finalizer, which would delete a created adapter.
	release := func() error {
		windows.CloseHandle(wake)
		return a.Close()
	}
	return newDevice(name, a.LUID(), created, r, release, o.MTU), nil
}

// session adapts wintun.Session to ring. handles[0] is the session's read
// event (owned by Wintun, never closed here), handles[1] our wake event:
// a manual-reset event that Wake sets and nothing resets, so a Close racing
// with a Read that is about to wait cannot be missed.
type session struct {
	s       wintun.Session
	handles [2]windows.Handle
}

func (r *session) Receive() ([]byte, error) {
	p, err := r.s.ReceivePacket()
	return p, ringErr(err)
}

func (r *session) Release(pkt []byte) { r.s.ReleaseReceivePacket(pkt) }

func (r *session) Allocate(n int) ([]byte, error) {
	p, err := r.s.AllocateSendPacket(n)
	return p, ringErr(err)
}

func (r *session) Send(pkt []byte) { r.s.SendPacket(pkt) }

func (r *session) Wait() error {
	_, err := windows.WaitForMultipleObjects(r.handles[:], false, windows.INFINITE)
	return err
}

func (r *session) Wake() { windows.SetEvent(r.handles[1]) }

func (r *session) End() { r.s.End() }

// ringErr maps the Win32 codes of the ring calls (wintun.h) to the
// package's sentinels without allocating.
func ringErr(err error) error {
	switch err {
	case nil:
		return nil
	case windows.ERROR_NO_MORE_ITEMS:
		return errEmpty
	case windows.ERROR_BUFFER_OVERFLOW:
		return errFull
	case windows.ERROR_HANDLE_EOF:
		return errTerminating
	case windows.ERROR_INVALID_DATA:
		return errors.New("ring is corrupt (ERROR_INVALID_DATA)")
	}
	return err
}

// mapErr explains a failed adapter call: a missing wintun.dll, missing
// rights, or a missing adapter.
func mapErr(err error) error {
	var errno windows.Errno
	if errors.As(err, &errno) {
		switch errno {
		case windows.ERROR_MOD_NOT_FOUND:
			return fmt.Errorf("%w: %w", dllHint("not found"), os.ErrNotExist)
		case windows.ERROR_BAD_EXE_FORMAT:
			return dllHint("is for another architecture")
		case windows.ERROR_FILE_NOT_FOUND, windows.ERROR_NOT_FOUND:
			return fmt.Errorf("no such Wintun adapter: %w", os.ErrNotExist)
		case windows.ERROR_ACCESS_DENIED:
			return fmt.Errorf("%w (run elevated, or as the LocalSystem service)", os.ErrPermission)
		}
	}
	return err
}

// dllHint says where wintun.dll must go (spec windows.md §3).
func dllHint(problem string) error {
	exe, err := os.Executable()
	dir := "the directory of the executable"
	if err == nil {
		dir = filepath.Dir(exe)
	}
	return fmt.Errorf("wintun.dll %s: put the wintun.dll matching this program's architecture (%s, from wintun.net) in %s", problem, runtime.GOARCH, dir)
}
