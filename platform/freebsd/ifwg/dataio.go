package ifwg

import (
	"errors"
	"fmt"
	"github.com/wgshim/wgshim/platform/bsd"
	"syscall"
	"unsafe"
)

// DataIO mirrors struct wg_data_io (sys/dev/wg/if_wg.h):
//
//	char   wgd_name[IFNAMSIZ];  // offset 0, same place as ifr_name
//	void  *wgd_data;            // offset 16
//	size_t wgd_size;            // offset 16+ptr
//
// 32 bytes on LP64 (amd64, arm64), 24 on ILP32. Note the field order
// differs from OpenBSD's struct of the same name. The layout is the same
// Go struct on every OS so the negotiation logic can be tested anywhere;
// sys_freebsd_test.go asserts it.
type DataIO struct {
	Name [ifNameSize]byte
	Data *byte
	Size uintptr
}

const ifNameSize = bsd.IfNameSize

// SIOCSWG and SIOCGWG are _IOWR('i', 210/211, struct wg_data_io):
// 0xc02069d2 / 0xc02069d3 on amd64 and arm64.
var (
	SIOCSWG = bsd.IOWR('i', 210, unsafe.Sizeof(DataIO{}))
	SIOCGWG = bsd.IOWR('i', 211, unsafe.Sizeof(DataIO{}))
)

// IoctlFunc issues one wg ioctl (SIOCSWG or SIOCGWG) with io as argument,
// returning the errno as a syscall.Errno. The kernel may update io.Size.
type IoctlFunc func(req uintptr, io *DataIO) error

func newDataIO(name string) (DataIO, error) {
	var io DataIO
	if name == "" || len(name) >= ifNameSize {
		return io, fmt.Errorf("interface name %q: must be 1-%d bytes", name, ifNameSize-1)
	}
	copy(io.Name[:], name)
	return io, nil
}

// getAttempts bounds the SIOCGWG retries when peers are added between the
// size query and the copy.
const getAttempts = 8

// GetPacked fetches the packed SIOCGWG reply for the interface name. It
// asks for the size with wgd_size = 0, allocates that (plus slack), and
// asks again; the kernel answers ENOSPC without updating the size if the
// reply grew meanwhile, in which case it starts over (wgc_get in if_wg.c).
func GetPacked(ioctl IoctlFunc, name string) ([]byte, error) {
	io, err := newDataIO(name)
	if err != nil {
		return nil, err
	}
	for range getAttempts {
		io.Data, io.Size = nil, 0
		if err := ioctl(SIOCGWG, &io); err != nil {
			return nil, err
		}
		need := io.Size
		if need == 0 {
			return nil, errors.New("SIOCGWG: kernel reported a 0-byte reply")
		}
		buf := make([]byte, need+need/8)
		io.Data, io.Size = &buf[0], uintptr(len(buf))
		err := ioctl(SIOCGWG, &io)
		io.Data = nil
		if errors.Is(err, syscall.ENOSPC) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if io.Size > uintptr(len(buf)) {
			return nil, fmt.Errorf("SIOCGWG: kernel reported %d bytes in a %d-byte buffer", io.Size, len(buf))
		}
		return buf[:io.Size], nil
	}
	return nil, fmt.Errorf("SIOCGWG: reply kept growing (%d attempts): %w", getAttempts, syscall.ENOSPC)
}

// SetPacked sends a packed SIOCSWG request; wgd_size is the exact length,
// as the kernel's unpacker requires.
func SetPacked(ioctl IoctlFunc, name string, packed []byte) error {
	io, err := newDataIO(name)
	if err != nil {
		return err
	}
	if len(packed) == 0 {
		return errors.New("SIOCSWG: empty request")
	}
	io.Data, io.Size = &packed[0], uintptr(len(packed))
	return ioctl(SIOCSWG, &io)
}
