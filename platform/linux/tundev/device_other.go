//go:build !linux

package tundev

import (
	"errors"
	"fmt"
	"os"

	"github.com/wgshim/wgshim/core/tun"
)

// Device is the Linux TUN device; on this OS it cannot be created.
type Device struct{}

var _ tun.Device = (*Device)(nil)

var errNotLinux = fmt.Errorf("tundev: the Linux TUN device: %w", errors.ErrUnsupported)

// Create returns errors.ErrUnsupported outside Linux.
func Create(name string, mtu int) (*Device, error) { return nil, errNotLinux }

// CreateFromFile returns errors.ErrUnsupported outside Linux.
func CreateFromFile(f *os.File, mtu int) (*Device, error) { return nil, errNotLinux }

func (d *Device) Read(bufs [][]byte, sizes []int, offset int) (int, error) { return 0, errNotLinux }
func (d *Device) Write(bufs [][]byte, offset int) (int, error)             { return 0, errNotLinux }
func (d *Device) MTU() (int, error)                                        { return 0, errNotLinux }
func (d *Device) Name() (string, error)                                    { return "", errNotLinux }
func (d *Device) Events() <-chan tun.Event                                 { return nil }
func (d *Device) BatchSize() int                                           { return BatchSize }
func (d *Device) Offload() Offload                                         { return Offload{} }
func (d *Device) Close() error                                             { return nil }
