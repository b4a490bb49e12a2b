//go:build windows

package bind

import (
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/windows"
)

// winSock is a *net.UDPConn: Go passes the oob buffers of
// ReadMsgUDPAddrPort and WriteMsgUDPAddrPort to WSARecvMsg and WSASendMsg
// as the control buffer (internal/poll, fd_windows.go), so the offloads
// need no cgo and no Registered I/O.
type winSock struct {
	*net.UDPConn
	rc syscall.RawConn
}

// listenUDP opens a socket with the net package, which sets IPV6_V6ONLY on
// "udp6" and switches off SIO_UDP_CONNRESET and SIO_UDP_NETRESET, so an
// ICMP error does not fail the next receive (net/fd_windows.go).
func listenUDP(network string, port uint16) (sock, error) {
	c, err := net.ListenUDP(network, &net.UDPAddr{Port: int(port)})
	if err != nil {
		return nil, err
	}
	rc, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, err
	}
	// Best effort: bursts of a batch of full-size datagrams, or of
	// coalesced receives, overflow the default buffers.
	_ = c.SetReadBuffer(sockBufSize)
	_ = c.SetWriteBuffer(sockBufSize)
	return &winSock{UDPConn: c, rc: rc}, nil
}

func (s *winSock) localPort() uint16 { return uint16(s.LocalAddr().(*net.UDPAddr).Port) }

func (s *winSock) setRecvCoalescing(max uint32) error {
	var serr error
	err := s.rc.Control(func(fd uintptr) {
		serr = windows.SetsockoptInt(windows.Handle(fd), ipprotoUDP, udpRecvMaxCoalescedSize, int(max))
	})
	if err != nil {
		return err
	}
	return os.NewSyscallError("setsockopt UDP_RECV_MAX_COALESCED_SIZE", serr)
}

func (s *winSock) probeSendSegmentation() error {
	var serr error
	err := s.rc.Control(func(fd uintptr) {
		_, serr = windows.GetsockoptInt(windows.Handle(fd), ipprotoUDP, udpSendMsgSize)
	})
	if err != nil {
		return err
	}
	return os.NewSyscallError("getsockopt UDP_SEND_MSG_SIZE", serr)
}
