// Package wg implements the wg(8) command: show, showconf, set, setconf,
// addconf, syncconf, genkey, genpsk and pubkey, with wireguard-tools'
// grammar, output bytes, error messages and exit codes (spec wg-cli.md;
// facts from wireguard-tools src/wg.c, show.c, showconf.c, set.c,
// setconf.c, config.c, genkey.c, pubkey.c, terminal.c).
//
// Main is the whole command. Everything it touches comes through Env: the
// standard streams, the environment, whether stdout is a terminal, the
// clock, the name resolver and the Backend that opens and lists WireGuard
// interfaces. cmd/wg wires the real ones (platform/host); tests inject
// fakes. The package does not know which OS or driver it talks to: a
// Backend returns platform.Links, and errors that wrap a syscall.Errno are
// printed with that errno's C message, as wg prints strerror(errno).
//
// Known differences from wireguard-tools, all deliberate:
//
//   - listen ports above 65535 are rejected (glibc's getaddrinfo wraps
//     them modulo 65536);
//   - allowed IPs given with "-" and "+" for the same prefix in one command
//     keep only the last operation on that prefix (wgtypes.Config applies
//     removals before additions; wg sends them in order);
//   - a userspace socket that cannot be reached for lack of permission is
//     reported as "Permission denied" rather than falling through to the
//     kernel's "No such device".
//
// Importers: cmd/wg only.
package wg
