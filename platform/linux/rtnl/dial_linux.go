package rtnl

import (
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Dial opens an rtnetlink socket in the calling thread's network namespace.
func Dial() (*Conn, error) { return dial(0) }

// DialNetNS opens an rtnetlink socket in the network namespace referred to
// by the file descriptor netns (an open /run/netns/NAME or
// /proc/PID/ns/net). The descriptor may be closed once DialNetNS returns.
func DialNetNS(netns int) (*Conn, error) { return dial(netns) }

func dial(netns int) (*Conn, error) {
	nl, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{NetNS: netns})
	if err != nil {
		return nil, wrapErr("dial rtnetlink", "", err)
	}
	// Best effort: extended acks add the kernel's reason to errors
	// ("Unknown device type"); kernels before 4.12 lack them.
	_ = nl.SetOption(netlink.ExtendedAcknowledge, true)
	return newConn(nl), nil
}
