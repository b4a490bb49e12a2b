package wgio

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestStructLayout pins the LP64 C layouts of spec §1-§2.3 against the Go
// compiler's layout of the mirrors, and the constants the portable
// encoder uses against both. It runs only on OpenBSD; cross-compile it
// with GOOS=openbsd GOARCH=amd64 (or arm64) go test -c.
func TestStructLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("wgio describes the LP64 ABI only; 32-bit OpenBSD is refused by the driver")
	}
	check := func(what string, got, want uintptr) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %d, want %d", what, got, want)
		}
	}
	var d DataIO
	check("sizeof(wg_data_io)", unsafe.Sizeof(d), SizeofDataIO)
	check("offsetof(wgd_size)", unsafe.Offsetof(d.Size), 16)
	check("offsetof(wgd_interface)", unsafe.Offsetof(d.Interface), 24)
	check("SIOCSWG", SIOCSWG, 0xc02069d2)
	check("SIOCGWG", SIOCGWG, 0xc02069d3)

	var i wgInterfaceIO
	check("sizeof(wg_interface_io)", unsafe.Sizeof(i), SizeofInterfaceIO)
	check("offsetof(i_flags)", unsafe.Offsetof(i.Flags), offIfaceFlags)
	check("offsetof(i_port)", unsafe.Offsetof(i.Port), offIfacePort)
	check("offsetof(i_rtable)", unsafe.Offsetof(i.Rtable), offIfaceRtable)
	check("offsetof(i_public)", unsafe.Offsetof(i.Public), offIfacePublic)
	check("offsetof(i_private)", unsafe.Offsetof(i.Private), offIfacePrivate)
	check("offsetof(i_peers_count)", unsafe.Offsetof(i.PeersCount), offIfacePeersCount)

	var a wgAipIO
	check("sizeof(wg_aip_io)", unsafe.Sizeof(a), SizeofAipIO)
	check("offsetof(a_af)", unsafe.Offsetof(a.Family), offAipFamily)
	check("offsetof(a_cidr)", unsafe.Offsetof(a.CIDR), offAipCIDR)
	check("offsetof(a_addr)", unsafe.Offsetof(a.Addr), offAipAddr)

	var p wgPeerIOPre74
	check("sizeof(wg_peer_io) <= 7.3", unsafe.Sizeof(p), SizeofPeerIOPre74)
	check("LayoutPre74.PeerSize", uintptr(LayoutPre74.PeerSize()), unsafe.Sizeof(p))
	check("offsetof(p_flags)", unsafe.Offsetof(p.Flags), offPeerFlags)
	check("offsetof(p_protocol_version)", unsafe.Offsetof(p.ProtocolVersion), offPeerProtocol)
	check("offsetof(p_public)", unsafe.Offsetof(p.Public), offPeerPublic)
	check("offsetof(p_psk)", unsafe.Offsetof(p.PSK), offPeerPSK)
	check("offsetof(p_pka)", unsafe.Offsetof(p.PKA), offPeerPKA)
	check("offsetof(p_endpoint)", unsafe.Offsetof(p.Endpoint), offPeerEndpoint)
	check("offsetof(p_txbytes)", unsafe.Offsetof(p.TxBytes), offPeerTxBytes)
	check("offsetof(p_rxbytes)", unsafe.Offsetof(p.RxBytes), offPeerRxBytes)
	check("offsetof(p_last_handshake)", unsafe.Offsetof(p.LastHandshake), offPeerHandshake)
	check("offsetof(p_aips_count) <= 7.3", unsafe.Offsetof(p.AipsCount), uintptr(LayoutPre74.aipsCountOffset()))

	var q wgPeerIO74
	check("sizeof(wg_peer_io) >= 7.4", unsafe.Sizeof(q), SizeofPeerIO74)
	check("Layout74.PeerSize", uintptr(Layout74.PeerSize()), unsafe.Sizeof(q))
	check("offsetof(p_endpoint) >= 7.4", unsafe.Offsetof(q.Endpoint), offPeerEndpoint)
	check("offsetof(p_last_handshake) >= 7.4", unsafe.Offsetof(q.LastHandshake), offPeerHandshake)
	check("offsetof(p_description)", unsafe.Offsetof(q.Description), offPeerDescription)
	check("offsetof(p_aips_count) >= 7.4", unsafe.Offsetof(q.AipsCount), uintptr(Layout74.aipsCountOffset()))

	// The union must hold the largest sockaddr; families and limits must
	// match the system headers x/sys/unix is generated from.
	check("sizeof(sockaddr_in)", sizeofSockaddrInet4, unix.SizeofSockaddrInet4)
	check("sizeof(sockaddr_in6)", sizeofSockaddrInet6, unix.SizeofSockaddrInet6)
	check("sizeof(p_endpoint)", sizeofEndpoint, unix.SizeofSockaddrInet6)
	check("sizeof(struct timespec)", unsafe.Sizeof(unix.Timespec{}), 16)
	check("AF_INET", afInet, unix.AF_INET)
	check("AF_INET6", afInet6, unix.AF_INET6)
	check("RT_TABLEID_MAX", RtableMax, unix.RT_TABLEID_MAX)
	check("IFNAMSIZ", ifNameSize, unix.IFNAMSIZ)
}
