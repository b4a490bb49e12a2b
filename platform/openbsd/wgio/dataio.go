package wgio

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/wgshim/wgshim/platform/bsd"
)

// DataIO mirrors struct wg_data_io (sys/net/if_wg.h):
//
//	char                    wgd_name[IFNAMSIZ]; // offset 0
//	size_t                  wgd_size;           // offset 16
//	struct wg_interface_io *wgd_interface;      // offset 24
//
// 32 bytes on LP64. The field order differs from FreeBSD's struct of the
// same name (name, pointer, size). The Go struct is the same on every OS
// so the negotiation below can be tested anywhere; structs_openbsd_test.go
// asserts the layout.
type DataIO struct {
	Name      [ifNameSize]byte
	Size      uintptr
	Interface *byte
}

// SIOCSWG and SIOCGWG are _IOWR('i', 210/211, struct wg_data_io):
// 0xc02069d2 / 0xc02069d3 on LP64.
var (
	SIOCSWG = bsd.IOWR('i', 210, unsafe.Sizeof(DataIO{}))
	SIOCGWG = bsd.IOWR('i', 211, unsafe.Sizeof(DataIO{}))
)

// IoctlFunc issues SIOCSWG or SIOCGWG with io as the argument and
// returns the errno as a syscall.Errno. The kernel may update io.Size.
// io.Interface points into a Go slice that stays alive for the call.
type IoctlFunc func(req uintptr, io *DataIO) error

func newDataIO(name string) (DataIO, error) {
	var io DataIO
	if name == "" || len(name) >= ifNameSize {
		return io, fmt.Errorf("interface name %q: must be 1-%d bytes", name, ifNameSize-1)
	}
	copy(io.Name[:], name)
	return io, nil
}

// getAttempts bounds the SIOCGWG retries when peers or allowed IPs are
// added between the size query and the copy.
const getAttempts = 8

// Get fetches the SIOCGWG reply for the interface name and returns
// exactly the bytes the kernel filled in.
//
// wg_ioctl_get never fails for a short buffer: it sets wgd_size to the
// size it needs and returns 0 without copying anything. So Get starts
// with wgd_size = 0 and a nil pointer, allocates what the kernel asks
// for (plus some slack), and asks again until the reported size fits
// the buffer it supplied, as wg(8) does. Unprivileged callers are
// answered with the 80-byte interface struct alone.
func Get(ioctl IoctlFunc, name string) ([]byte, error) {
	io, err := newDataIO(name)
	if err != nil {
		return nil, err
	}
	var buf []byte
	for range getAttempts {
		io.Size = uintptr(len(buf))
		io.Interface = nil
		if len(buf) > 0 {
			io.Interface = &buf[0]
		}
		err := ioctl(SIOCGWG, &io)
		io.Interface = nil
		if err != nil {
			return nil, err
		}
		need := io.Size
		if need < SizeofInterfaceIO {
			return nil, fmt.Errorf("SIOCGWG: kernel reported a %d-byte reply", need)
		}
		if need <= uintptr(len(buf)) {
			return buf[:need], nil
		}
		buf = make([]byte, need+need/8)
	}
	return nil, fmt.Errorf("SIOCGWG: reply kept growing (%d attempts)", getAttempts)
}

// Set sends one SIOCSWG buffer built by SetRequests; wgd_size is set to
// its length (wg(4) follows the counts in the buffer instead).
func Set(ioctl IoctlFunc, name string, buf []byte) error {
	io, err := newDataIO(name)
	if err != nil {
		return err
	}
	if len(buf) < SizeofInterfaceIO {
		return errors.New("SIOCSWG: request shorter than struct wg_interface_io")
	}
	io.Size, io.Interface = uintptr(len(buf)), &buf[0]
	return ioctl(SIOCSWG, &io)
}
