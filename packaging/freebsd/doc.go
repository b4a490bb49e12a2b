// Package freebsd holds what is installed on FreeBSD next to the
// binaries: the rc(8) script rc.d/wireguard (for /usr/local/etc/rc.d),
// which brings the configurations listed in wireguard_interfaces up at
// boot with wg-quick when wireguard_enable is set, and down in reverse
// order at shutdown. The package has no code; its test runs the script
// under a stub rc.subr with fake ifconfig and wg-quick commands.
//
// Nothing imports this package.
package freebsd
