package host

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"syscall"
	"testing"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform"
)

// fakeDriver has the links in names; Open of anything else fails with err.
type fakeDriver struct {
	kind  wgtypes.DeviceType
	names []string
	err   error // for Open of a missing name
	lerr  error // for List
}

type fakeLink struct {
	platform.Link
	kind wgtypes.DeviceType
}

func (d *fakeDriver) Kind() wgtypes.DeviceType                  { return d.kind }
func (d *fakeDriver) Create(name string) (platform.Link, error) { return nil, errors.ErrUnsupported }
func (d *fakeDriver) List() ([]string, error)                   { return d.names, d.lerr }
func (d *fakeDriver) Open(name string) (platform.Link, error) {
	if slices.Contains(d.names, name) {
		return fakeLink{kind: d.kind}, nil
	}
	return nil, d.err
}

var (
	noSocket = fmt.Errorf("userspace open: %w", &fs.PathError{Op: "lstat", Path: "x.sock", Err: syscall.ENOENT})
	noDevice = fmt.Errorf("kernel open: %w", errors.Join(os.ErrNotExist, syscall.ENODEV))
)

func TestOpenPrecedence(t *testing.T) {
	user := &fakeDriver{kind: wgtypes.Userspace, names: []string{"wg0", "wg1"}, err: noSocket}
	kern := &fakeDriver{kind: wgtypes.LinuxKernel, names: []string{"wg1", "wg2"}, err: noDevice}
	for _, tc := range []struct {
		name    string
		kernels []platform.Driver
		want    wgtypes.DeviceType
		wantErr error
	}{
		{"wg0", []platform.Driver{kern}, wgtypes.Userspace, nil},
		{"wg1", []platform.Driver{kern}, wgtypes.Userspace, nil}, // the socket shadows the kernel link
		{"wg2", []platform.Driver{kern}, wgtypes.LinuxKernel, nil},
		{"wg3", []platform.Driver{kern}, "", syscall.ENODEV}, // the kernel's error, as wg prints it
		{"wg3", nil, "", syscall.ENOENT},                     // userspace only: the socket's error
		{"wg2", nil, "", syscall.ENOENT},
	} {
		l, err := open(tc.name, user, tc.kernels)
		if tc.wantErr != nil {
			if !errors.Is(err, tc.wantErr) || !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("open(%s, %d kernels) = %v, want %v", tc.name, len(tc.kernels), err, tc.wantErr)
			}
			continue
		}
		if err != nil || l.(fakeLink).kind != tc.want {
			t.Errorf("open(%s) = %v, %v; want a %s link", tc.name, l, err, tc.want)
		}
	}
	// A socket that exists but cannot be reached is the answer.
	denied := &fakeDriver{err: fmt.Errorf("userspace open: %w", syscall.EACCES)}
	if _, err := open("wg2", denied, []platform.Driver{kern}); !errors.Is(err, syscall.EACCES) {
		t.Errorf("open with EACCES socket = %v", err)
	}
}

func TestList(t *testing.T) {
	user := &fakeDriver{names: []string{"u2", "u1", "k1"}}
	kern := &fakeDriver{names: []string{"k2", "k1"}}
	got, err := list(user, []platform.Driver{kern})
	if want := []string{"k2", "k1", "u2", "u1", "k1"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("list = %q, %v; want %q", got, err, want)
	}
	noModule := &fakeDriver{lerr: fmt.Errorf("kernel list: %w", errors.ErrUnsupported)}
	if got, err := list(user, []platform.Driver{noModule}); err != nil || len(got) != 3 {
		t.Errorf("list without module = %q, %v", got, err)
	}
	broken := &fakeDriver{lerr: syscall.EIO}
	if _, err := list(user, []platform.Driver{broken}); !errors.Is(err, syscall.EIO) {
		t.Errorf("list with failing kernel = %v", err)
	}
	if _, err := list(&fakeDriver{lerr: syscall.EACCES}, nil); !errors.Is(err, syscall.EACCES) {
		t.Errorf("list with failing userspace = %v", err)
	}
}

func TestDrivers(t *testing.T) {
	ds := Drivers()
	if len(ds) == 0 || ds[len(ds)-1] != platform.Driver(Userspace()) || ds[len(ds)-1].Kind() != wgtypes.Userspace {
		t.Errorf("Drivers() = %v: the userspace driver must come last", ds)
	}
}
