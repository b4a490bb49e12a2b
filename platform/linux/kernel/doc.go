// Package kernel is the platform.Driver for the Linux kernel's WireGuard
// module: links of kind "wireguard" are created, listed and deleted over
// rtnetlink (platform/linux/rtnl) and configured over the "wireguard"
// generic netlink family (platform/linux/wgnl, whose Set is atomic from
// the caller's point of view: a failed Set is undone; see its doc).
//
// Errors keep the kernel's errno, so wg prints what wg(8) prints: a
// missing interface is ENODEV ("No such device"), a link of another kind
// EOPNOTSUPP, a missing module EPROTONOSUPPORT ("Protocol not supported",
// the errno wg(8) reports when the generic netlink family is absent), and
// a caller without CAP_NET_ADMIN EPERM. Missing interfaces and modules
// also wrap os.ErrNotExist.
//
// Only Linux has this driver; elsewhere every method fails with an error
// wrapping errors.ErrUnsupported. Importers: platform/host.
package kernel
