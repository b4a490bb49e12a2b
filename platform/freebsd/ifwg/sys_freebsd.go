package ifwg

import (
	"errors"
	"fmt"
	"github.com/wgshim/wgshim/platform/bsd"
	"regexp"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform"
)

// ifreq is struct ifreq used as ifr_data, as FreeBSD and OpenBSD share it.
type ifreq = bsd.IfreqData

// Interface ioctls (sys/sys/sockio.h).
var (
	siocIfCreate2 = bsd.IOWR('i', 124, unsafe.Sizeof(ifreq{}))
	siocIfDestroy = bsd.IOW('i', 121, unsafe.Sizeof(ifreq{}))
	siocSIfName   = bsd.IOW('i', 40, unsafe.Sizeof(ifreq{}))
)

// sysKLDLoad is kldload(2), not wrapped by x/sys/unix.
const sysKLDLoad = 304

// cloner is the if_clone name of if_wg and the interface group its
// interfaces join.
const cloner = "wg"

// Driver provides if_wg links. It implements platform.Driver.
type Driver struct{}

var _ platform.Driver = (*Driver)(nil)

// NewDriver returns the if_wg driver.
func NewDriver() *Driver { return &Driver{} }

// Kind reports wgtypes.FreeBSDKernel.
func (*Driver) Kind() wgtypes.DeviceType { return wgtypes.FreeBSDKernel }

type sysKernel struct{ fd int }

func openSocket() (*sysKernel, error) {
	// AF_LOCAL works on kernels built without INET, as wg(8) uses it;
	// driver ioctls fall through to the interface from any protocol.
	fd, err := unix.Socket(unix.AF_LOCAL, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return &sysKernel{fd: fd}, nil
}

func (k *sysKernel) ioctlPtr(req uintptr, arg unsafe.Pointer) error {
	return bsd.Ioctl(k.fd, req, arg)
}

func (k *sysKernel) ioctl(req uintptr, io *DataIO) error {
	err := k.ioctlPtr(req, unsafe.Pointer(io))
	runtime.KeepAlive(io.Data)
	return err
}

func (k *sysKernel) destroy(name string) error {
	var ifr ifreq
	copy(ifr.Name[:], name)
	return k.ioctlPtr(siocIfDestroy, unsafe.Pointer(&ifr))
}

func (k *sysKernel) close() error { return unix.Close(k.fd) }

// create clones an interface called name ("wg" for the next free unit)
// and returns the name the kernel gave it.
func (k *sysKernel) create(name string) (string, error) {
	var ifr ifreq
	copy(ifr.Name[:], name)
	if err := k.ioctlPtr(siocIfCreate2, unsafe.Pointer(&ifr)); err != nil {
		return "", err
	}
	return unix.ByteSliceToString(ifr.Name[:]), nil
}

func (k *sysKernel) rename(from, to string) error {
	var ifr ifreq
	copy(ifr.Name[:], from)
	var newName [ifNameSize]byte
	copy(newName[:], to)
	ifr.Data = &newName[0]
	err := k.ioctlPtr(siocSIfName, unsafe.Pointer(&ifr))
	runtime.KeepAlive(&newName)
	return err
}

// kldload loads if_wg.ko. The cloner only exists once the module is in;
// ifconfig(8) loads it on demand, raw ioctls do not. EEXIST means it is
// loaded or compiled in.
func kldload() error {
	path, err := unix.BytePtrFromString("if_wg")
	if err != nil {
		return err
	}
	_, _, errno := unix.Syscall(sysKLDLoad, uintptr(unsafe.Pointer(path)), 0, 0)
	runtime.KeepAlive(path)
	if errno != 0 && errno != unix.EEXIST {
		return fmt.Errorf("kldload if_wg: %w", errno)
	}
	return nil
}

var unitName = regexp.MustCompile(`^wg[0-9]+$`)

// Create makes a WireGuard interface called name, loading if_wg if needed.
// Names other than "wg" or "wgN" are made as the next wgN and renamed, as
// wg-quick(8) does on FreeBSD; the empty name keeps the kernel's choice.
func (d *Driver) Create(name string) (platform.Link, error) {
	if len(name) >= ifNameSize {
		return nil, fmt.Errorf("create %s: name longer than %d bytes", name, ifNameSize-1)
	}
	k, err := openSocket()
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	first := cloner
	if unitName.MatchString(name) {
		first = name
	}
	got, err := k.create(first)
	if errors.Is(err, unix.EINVAL) {
		// No "wg" cloner: if_wg is not loaded.
		if lerr := kldload(); lerr != nil {
			k.close()
			return nil, fmt.Errorf("create %s: %w", name, lerr)
		}
		got, err = k.create(first)
	}
	if err != nil {
		k.close()
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	if name != "" && got != name {
		if err := k.rename(got, name); err != nil {
			k.destroy(got)
			k.close()
			return nil, fmt.Errorf("create %s: rename %s: %w", name, got, err)
		}
		got = name
	}
	return &Link{name: got, k: k}, nil
}

// Open returns the existing if_wg interface called name; the error wraps
// os.ErrNotExist if there is none or it is not if_wg.
func (d *Driver) Open(name string) (platform.Link, error) {
	k, err := openSocket()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	l := &Link{name: name, k: k}
	if _, err := l.get(); err != nil {
		k.close()
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	return l, nil
}

// List names the members of the "wg" interface group (SIOCGIFGMEMB).
func (d *Driver) List() ([]string, error) {
	k, err := openSocket()
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	defer k.close()
	names, err := bsd.GroupMembers(k.ioctlPtr, cloner)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	return names, nil
}
