//go:build linux

package bind

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is struct mmsghdr from include/linux/socket.h. Go pads it to the
// alignment of Msghdr, as C does.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// recvmmsg receives up to len(hs) datagrams (recvmmsg(2)). x/sys/unix has
// no wrapper, and x/net's ReadBatch allocates a net.UDPAddr per datagram.
func recvmmsg(fd uintptr, hs []mmsghdr, flags int) (int, unix.Errno) {
	n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&hs[0])), uintptr(len(hs)), uintptr(flags), 0, 0)
	return int(n), errno
}

// sendmmsg sends the messages in hs (sendmmsg(2)) and returns how many
// went out; an error means the first of them failed.
func sendmmsg(fd uintptr, hs []mmsghdr, flags int) (int, unix.Errno) {
	n, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&hs[0])), uintptr(len(hs)), uintptr(flags), 0, 0)
	return int(n), errno
}
