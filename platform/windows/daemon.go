package windows

import (
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/wgshim/wgshim/core"
	"github.com/wgshim/wgshim/core/conn"
	"github.com/wgshim/wgshim/core/tun"
	"github.com/wgshim/wgshim/core/uapi"
	winbind "github.com/wgshim/wgshim/platform/windows/bind"
	"github.com/wgshim/wgshim/platform/windows/pipe"
	"github.com/wgshim/wgshim/platform/windows/tundev"
)

// DaemonOptions tune StartDaemon; the zero value is the default.
type DaemonOptions struct {
	// TUN configures the Wintun adapter (MTU, ring size, GUID).
	TUN tundev.Options
	// PipeSDDL is the UAPI pipe's security descriptor; "" means pipe.SDDL,
	// which needs LocalSystem (a service). An elevated interactive
	// process uses pipe.SDDLAdmin.
	PipeSDDL string
	// Logger receives the engine's and the UAPI server's messages.
	Logger *core.Logger
}

// Daemon is one userspace tunnel in this process: a Wintun adapter we
// created, the core engine on it with the batched UDP bind (bind), and
// the UAPI pipe serving the engine to wg.
type Daemon struct {
	name   string
	tun    luidTUN
	dev    *core.Device
	ln     net.Listener
	served chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// luidTUN is the TUN the daemon needs: tundev.Device, or a test double.
type luidTUN interface {
	tun.Device
	LUID() uint64
}

// StartDaemon creates the adapter called name, starts the engine on it
// and serves UAPI on its pipe. It fails without changing anything if a
// step fails. The engine starts without keys or peers: configure it over
// the pipe (wg setconf) or with Device().Set. Close undoes it all.
func StartDaemon(name string, o DaemonOptions) (*Daemon, error) {
	sddl := o.PipeSDDL
	if sddl == "" {
		sddl = pipe.SDDL
	}
	return startDaemon(name,
		func() (luidTUN, error) { return tundev.Create(name, o.TUN) },
		func() (net.Listener, error) { return pipe.ListenSDDL(name, sddl) },
		winbind.New(), o.Logger)
}

func startDaemon(name string, newTUN func() (luidTUN, error), listen func() (net.Listener, error), bind conn.Bind, log *core.Logger) (*Daemon, error) {
	t, err := newTUN()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	dev := core.NewDevice(t, bind, core.Options{Logger: log})
	ln, err := listen()
	if err != nil {
		dev.Close() // closes t, deleting the adapter
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	d := &Daemon{name: name, tun: t, dev: dev, ln: ln, served: make(chan struct{})}
	srv := &uapi.Server{Handler: dev}
	if log != nil {
		srv.Logf = log.Errorf
	}
	go func() {
		defer close(d.served)
		srv.Serve(ln)
	}()
	return d, nil
}

// Device is the engine, for configuring it in process.
func (d *Daemon) Device() *core.Device { return d.dev }

// LUID is the adapter's NET_LUID, for platform/windows/iphelper.
func (d *Daemon) LUID() uint64 { return d.tun.LUID() }

// Done is closed when the engine stopped, for example because the adapter
// went away; the caller should then Close.
func (d *Daemon) Done() <-chan struct{} { return d.dev.Done() }

// Close stops serving the pipe, closes the engine and deletes the adapter.
// Connections being served finish their current request.
func (d *Daemon) Close() error {
	d.closeOnce.Do(func() {
		lerr := d.ln.Close()
		<-d.served
		derr := d.dev.Close()
		if errors.Is(lerr, net.ErrClosed) {
			lerr = nil
		}
		if err := errors.Join(lerr, derr); err != nil {
			d.closeErr = fmt.Errorf("stop %s: %w", d.name, err)
		}
	})
	return d.closeErr
}
