//go:build freebsd || openbsd

package bsd

import (
	"errors"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/internal/testenv"
)

func TestIoctl(t *testing.T) {
	var ifr IfreqInt
	if err := PutName(&ifr.Name, "lo0"); err != nil {
		t.Fatal(err)
	}
	// SIOCGIFMTU is _IOWR('i', 126, struct ifreq) on both systems.
	req := IOWR('i', 126, SizeofIfreq)
	if err := Ioctl(-1, req, unsafe.Pointer(&ifr)); !errors.Is(err, syscall.EBADF) {
		t.Errorf("Ioctl on fd -1 = %v, want EBADF", err)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		testenv.Skip(t, "no inet socket: %v", err)
	}
	defer unix.Close(fd)
	if err := Ioctl(fd, req, unsafe.Pointer(&ifr)); err != nil {
		t.Fatalf("SIOCGIFMTU lo0: %v", err)
	}
	if ifr.Value <= 0 {
		t.Errorf("lo0 MTU = %d", ifr.Value)
	}
}
