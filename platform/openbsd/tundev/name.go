package tundev

import (
	"fmt"
	"strconv"
)

// maxAutoUnits bounds the search for a free /dev/tunN when the name is
// "tun". A stock OpenBSD has /dev/tun0-tun3; MAKEDEV makes more.
const maxAutoUnits = 256

// ParseName reads the interface name the daemon was given: "tun" asks
// for the first free unit (auto is true), "tunN" for unit N. Anything
// else is refused with the message wireguard-go gives on OpenBSD, since
// tun(4) interfaces cannot be renamed.
func ParseName(name string) (unit int, auto bool, err error) {
	if name == "tun" {
		return -1, true, nil
	}
	bad := fmt.Errorf("tundev: interface name %q: must be tun[0-9]* (OpenBSD cannot rename interfaces), or tun for the first free one", name)
	if len(name) < 4 || name[:3] != "tun" || name[3] == '+' || name[3] == '-' {
		return 0, false, bad
	}
	if len(name) > 4 && name[3] == '0' {
		return 0, false, bad // the kernel would call it tunN without the zero
	}
	n, err := strconv.ParseInt(name[3:], 10, 32)
	if err != nil {
		return 0, false, bad
	}
	return int(n), false, nil
}

// UnitName is the interface name of tun unit n.
func UnitName(n int) string { return "tun" + strconv.Itoa(n) }

// DevPath is the character device of tun unit n.
func DevPath(n int) string { return "/dev/tun" + strconv.Itoa(n) }
