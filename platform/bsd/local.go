package bsd

import "net/netip"

// LocalHeader is the routing-socket view of an interface route the way
// OpenBSD's route(8) -iface ADDR sends it, which is what wg-quick does on
// OpenBSD (`route -q -n add -inet P -iface FIRSTADDR`): the gateway is
// local, an address of the tunnel interface itself, and RTF_GATEWAY is
// not set, so the kernel attaches the route to the interface owning that
// address. The address must be configured and of the destination's
// family.
func LocalHeader(dst netip.Prefix, local netip.Addr) Header {
	h := dstHeader(rtfUp|rtfStatic, dst)
	h.Gateway = local
	return h
}
