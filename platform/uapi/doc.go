// Package uapi is the platform.Driver for userspace WireGuard
// implementations reached over the cross-platform UAPI socket
// (<dir>/<iface>.sock, spec uapi.md): our own daemon (cmd/wgshim),
// wireguard-go, BoringTun and the like.
//
// Open and List find interfaces exactly as wg(8) does (core/uapi Dial and
// List: a stale socket that refuses connections is removed on the way).
// Each Get and Set opens its own connection, as wg does.
//
// Atomicity of Link.Set depends on the daemon: ours parses and validates a
// whole set request before applying any of it, so a Set that fails changes
// nothing. A foreign daemon may not: wireguard-go applies the lines of a
// request as it reads them and stops at the first error, leaving the
// earlier lines in effect (spec uapi.md §3.2).
//
// Create starts the userspace program (WG_QUICK_USERSPACE_IMPLEMENTATION,
// default "wgshim") as `<prog> <iface>` and waits until its socket answers;
// Destroy removes the socket file, which makes the daemon exit (ours, and
// wireguard-go on Linux and the BSDs), and waits for it to go.
//
// The unix socket lives in core/uapi; on Windows, where the UAPI is a named
// pipe owned by platform/windows, every operation fails with an error
// wrapping errors.ErrUnsupported. Importers: platform/host and the
// commands; nothing in core may import it.
package uapi
