package wg

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform"
)

// fakeBackend holds devices in memory and records every Set.
type fakeBackend struct {
	names   []string // List order
	devs    map[string]*wgtypes.Device
	getErr  map[string]error
	setErr  error
	listErr error
	sets    []setCall
}

type setCall struct {
	name string
	cfg  wgtypes.Config
}

func (b *fakeBackend) Open(name string) (platform.Link, error) {
	if _, ok := b.devs[name]; !ok {
		if err, ok := b.getErr[name]; ok {
			return nil, err
		}
		return nil, &os.SyscallError{Syscall: "open", Err: syscall.ENODEV}
	}
	return &fakeLink{b: b, name: name}, nil
}

func (b *fakeBackend) List() ([]string, error) { return b.names, b.listErr }

type fakeLink struct {
	b    *fakeBackend
	name string
}

func (l *fakeLink) Name() string { return l.name }
func (l *fakeLink) Get() (*wgtypes.Device, error) {
	if err := l.b.getErr[l.name]; err != nil {
		return nil, err
	}
	d := *l.b.devs[l.name]
	return &d, nil
}
func (l *fakeLink) Set(cfg wgtypes.Config) error {
	l.b.sets = append(l.b.sets, setCall{l.name, cfg})
	return l.b.setErr
}
func (l *fakeLink) Destroy() error { return errors.ErrUnsupported }
func (l *fakeLink) Close() error   { return nil }

// run runs Main with the fake backend and a fixed clock and resolver.
type run struct {
	args   []string
	env    map[string]string
	stdin  string
	now    time.Time
	out    io.Writer // Stdout if not nil
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	sleeps *[]time.Duration
	rand   io.Reader
}

func (r run) do(b *fakeBackend) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	env := Env{
		Stdin:     strings.NewReader(r.stdin),
		Stdout:    &o,
		Stderr:    &e,
		LookupEnv: func(k string) (string, bool) { v, ok := r.env[k]; return v, ok },
		Backend:   b,
		Now:       func() time.Time { return r.now },
		LookupHost: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		},
		LookupPort: func(ctx context.Context, s string) (int, error) {
			if s == "domain" {
				return 53, nil
			}
			return 0, errors.New("unknown port")
		},
		Sleep: func(d time.Duration) {},
		Rand:  r.rand,
	}
	if r.out != nil {
		env.Stdout = r.out
	}
	if r.lookup != nil {
		env.LookupHost = r.lookup
	}
	if r.sleeps != nil {
		env.Sleep = func(d time.Duration) { *r.sleeps = append(*r.sleeps, d) }
	}
	code = Main(append([]string{"wg"}, r.args...), env)
	return o.String(), e.String(), code
}
