package bsd

import (
	"errors"
	"fmt"
	"unsafe"
)

// IfNameSize is IFNAMSIZ: interface names are at most 15 bytes and a NUL.
const IfNameSize = 16

// IfreqData is struct ifreq (net/if.h) with its 16-byte ifr_ifru union
// used as a pointer (ifr_data, ifr_buffer's first word): 32 bytes, the
// pointer at offset 16, on FreeBSD and OpenBSD alike. The pointer stays a
// Go pointer so that the garbage collector sees it.
type IfreqData struct {
	Name [IfNameSize]byte
	Data *byte
	_    [16 - unsafe.Sizeof(uintptr(0))]byte
}

// IfreqInt is struct ifreq with the union used as an int at offset 16
// (ifr_mtu, ifr_metric, ifr_rdomainid); Flags16 and SetFlags16 use it as
// the short ifr_flags at the same offset.
type IfreqInt struct {
	Name  [IfNameSize]byte
	Value int32
	_     [12]byte
}

// Flags16 reads the union as ifr_flags, a short at offset 16.
func (r *IfreqInt) Flags16() uint16 { return *(*uint16)(unsafe.Pointer(&r.Value)) }

// SetFlags16 writes the union as ifr_flags.
func (r *IfreqInt) SetFlags16(f uint16) { *(*uint16)(unsafe.Pointer(&r.Value)) = f }

// SizeofIfreq is sizeof(struct ifreq).
const SizeofIfreq = 32

// ErrNameTooLong is wrapped when an interface name does not fit IFNAMSIZ.
var ErrNameTooLong = errors.New("interface name longer than 15 bytes")

// PutName copies name into an ifr_name field, refusing empty names and
// names without room for the NUL.
func PutName(dst *[IfNameSize]byte, name string) error {
	if name == "" {
		return fmt.Errorf("interface name is empty")
	}
	if len(name) >= IfNameSize {
		return fmt.Errorf("interface name %q: %w", name, ErrNameTooLong)
	}
	*dst = [IfNameSize]byte{}
	copy(dst[:], name)
	return nil
}
