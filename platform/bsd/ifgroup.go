package bsd

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"unsafe"
)

// Ifgroupreq is struct ifgroupreq (net/if.h) with its union as
// ifgr_groups: name, ifgr_len at 16, the pointer at 24; 40 bytes on LP64
// and 36 on ILP32, on FreeBSD and OpenBSD alike.
type Ifgroupreq struct {
	Name   [IfNameSize]byte
	Len    uint32
	Groups *byte
	_      [16 - unsafe.Sizeof(uintptr(0))]byte
}

// SizeofIfgReq is sizeof(struct ifg_req): a union of two char[IFNAMSIZ]
// (a member name or a group name).
const SizeofIfgReq = IfNameSize

// SIOCGIFGMEMB is _IOWR('i', 138, struct ifgroupreq): list a group's
// members (0xc028698a on LP64 FreeBSD and OpenBSD).
var SIOCGIFGMEMB = IOWR('i', 138, unsafe.Sizeof(Ifgroupreq{}))

// IoctlPtr issues one ioctl with a pointer argument and returns the errno
// as a syscall.Errno (nil on success).
type IoctlPtr func(req uintptr, arg unsafe.Pointer) error

// groupAttempts bounds the SIOCGIFGMEMB retries while the group grows.
const groupAttempts = 8

// groupSlack is how many extra members' room the second call asks for.
const groupSlack = 2

// GroupMembers lists interface group with the two-call protocol of
// SIOCGIFGMEMB (if_getgroupmembers in both kernels): ifgr_len = 0 asks
// for the size, a buffer too small for a group that grew meanwhile gets
// EINVAL and is retried, and ENOENT means no interface ever joined the
// group, which is reported as no members.
func GroupMembers(ioctl IoctlPtr, group string) ([]string, error) {
	for range groupAttempts {
		var req Ifgroupreq
		if err := PutName(&req.Name, group); err != nil {
			return nil, err
		}
		if err := ioctl(SIOCGIFGMEMB, unsafe.Pointer(&req)); err != nil {
			if errors.Is(err, syscall.ENOENT) {
				return nil, nil
			}
			return nil, fmt.Errorf("SIOCGIFGMEMB %s: %w", group, err)
		}
		if req.Len == 0 {
			return nil, nil
		}
		buf := make([]byte, int(req.Len)+groupSlack*SizeofIfgReq)
		req.Len = uint32(len(buf))
		req.Groups = &buf[0]
		err := ioctl(SIOCGIFGMEMB, unsafe.Pointer(&req))
		runtime.KeepAlive(buf)
		if errors.Is(err, syscall.EINVAL) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("SIOCGIFGMEMB %s: %w", group, err)
		}
		n := min(int(req.Len), len(buf))
		return ParseGroupMembers(buf[:n]), nil
	}
	return nil, fmt.Errorf("SIOCGIFGMEMB %s: group kept growing (%d attempts)", group, groupAttempts)
}

// ParseGroupMembers reads the struct ifg_req array SIOCGIFGMEMB fills
// in: NUL-padded names of IFNAMSIZ bytes; empty slots are skipped.
func ParseGroupMembers(b []byte) []string {
	var names []string
	for off := 0; off+SizeofIfgReq <= len(b); off += SizeofIfgReq {
		n := b[off : off+SizeofIfgReq]
		end := 0
		for end < len(n) && n[end] != 0 {
			end++
		}
		if end > 0 {
			names = append(names, string(n[:end]))
		}
	}
	return names
}
