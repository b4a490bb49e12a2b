// Package netif configures OpenBSD network interfaces the way ifconfig(8)
// does: addresses (SIOCAIFADDR, SIOCAIFADDR_IN6), MTU, IFF_UP, the
// routing domain (SIOCSIFRDOMAIN), descriptions, and destroying cloned
// interfaces. wg-quick's OpenBSD executor uses it for wg(4) interfaces and
// the userspace daemon's tun(4) device uses it for its MTU.
//
// The request layouts are encoded by pure functions (EncodeInAliasreq,
// EncodeIn6Aliasreq) tested byte for byte on every OS; the ioctls are in
// netif_openbsd.go, whose test (netif_openbsd_test.go, compiled with
// GOOS=openbsd go test -c) checks the struct sizes against the ioctl
// numbers in golang.org/x/sys/unix. On other systems every function
// returns errors.ErrUnsupported.
//
// Layouts (spec openbsd-wg-ioctl.md §7, LP64):
//
//	struct in_aliasreq   64 bytes: name[16], addr sockaddr_in @16,
//	                     dst/broadcast @32, mask @48
//	struct in6_aliasreq 128 bytes: name[16], addr sockaddr_in6 @16,
//	                     dst @44, prefixmask @72, flags int @100,
//	                     lifetime {expire, preferred int64; vltime,
//	                     pltime uint32} @104
//
// There is no vhid field on OpenBSD (unlike FreeBSD's in_aliasreq).
// Removing an IPv6 address (SIOCDIFADDR_IN6, whose struct in6_ifreq size
// varies between releases) is not offered: wg-quick never removes
// addresses, it destroys the interface.
//
// Importers: platform/openbsd/...; nothing in core/.
package netif
