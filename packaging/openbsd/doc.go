// Package openbsd holds what is installed on OpenBSD next to the
// binaries: the rc.d(8) script rc.d/wireguard, which brings the
// configurations listed in wireguard_flags (or wireguard_interfaces in
// rc.conf.local) up at boot with wg-quick and down in reverse order. The
// package has no code; its test runs the script under a stub rc.subr
// with fake ifconfig and wg-quick commands.
//
// Nothing imports this package.
package openbsd
