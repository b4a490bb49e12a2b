// Package ifconf configures FreeBSD network interfaces the way ifconfig(8)
// does, through ioctls on datagram sockets: add addresses (SIOCAIFADDR,
// SIOCAIFADDR_IN6), set the MTU (SIOCSIFMTU), bring the interface up or
// down (SIOCGIFFLAGS/SIOCSIFFLAGS), rename it (SIOCSIFNAME) and destroy it
// (SIOCIFDESTROY).
//
// The request structures are built byte by byte in portable code
// (layout.go, tested on any OS against the offsets of spec
// freebsd-nvlist.md §2.9–2.10); sys_freebsd.go only issues the ioctls,
// and its test asserts the struct sizes. Other systems get a Conn whose
// methods return errors.ErrUnsupported.
//
// Importers: platform/freebsd/tundev and wg-quick.
package ifconf
