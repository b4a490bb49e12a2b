package wgio

import "golang.org/x/sys/unix"

// Go mirrors of the wg(4) ioctl structs (sys/net/if_wg.h rev 1.5). The
// encoder writes bytes at the offsets declared in layout.go instead of
// using these, so that it runs on any OS; structs_openbsd_test.go checks
// that the Go compiler lays these out, for the OpenBSD port being built,
// exactly at those offsets.

// wgInterfaceIO is struct wg_interface_io without the i_peers[] tail.
type wgInterfaceIO struct {
	Flags      uint8
	_          uint8
	Port       uint16
	Rtable     int32
	Public     [32]byte
	Private    [32]byte
	PeersCount uintptr // size_t
}

// wgAipIO is struct wg_aip_io.
type wgAipIO struct {
	Family uint8
	_      [3]byte
	CIDR   int32
	Addr   [16]byte // union {struct in_addr; struct in6_addr}
}

// wgPeerIOPre74 is struct wg_peer_io up to OpenBSD 7.3.
type wgPeerIOPre74 struct {
	Flags           int32
	ProtocolVersion int32
	Public          [32]byte
	PSK             [32]byte
	PKA             uint16
	_               [2]byte
	Endpoint        [sizeofEndpoint]byte // union of sockaddr, sockaddr_in, sockaddr_in6
	TxBytes         uint64
	RxBytes         uint64
	LastHandshake   unix.Timespec
	AipsCount       uintptr // size_t
}

// wgPeerIO74 is struct wg_peer_io from OpenBSD 7.4 on.
type wgPeerIO74 struct {
	Flags           int32
	ProtocolVersion int32
	Public          [32]byte
	PSK             [32]byte
	PKA             uint16
	_               [2]byte
	Endpoint        [sizeofEndpoint]byte
	TxBytes         uint64
	RxBytes         uint64
	LastHandshake   unix.Timespec
	Description     [IfDescrSize]byte
	AipsCount       uintptr
}
