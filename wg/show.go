package wg

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/wgshim/wgshim/core/wgtypes"
)

const showUsage = "Usage: %s %s { <interface> | all | interfaces } [public-key | private-key | listen-port | fwmark | peers | preshared-keys | endpoints | allowed-ips | latest-handshakes | transfer | persistent-keepalive | dump]\n"

// device is the state of one interface as wg sees it: the name it was
// asked for (truncated like wg's char[IFNAMSIZ]) and the flags wg derives.
type device struct {
	name    string
	d       *wgtypes.Device
	hasPriv bool
	pub     key
	hasPub  bool
}

func newDevice(name string, d *wgtypes.Device) *device {
	v := &device{name: truncName(name), d: d, hasPriv: !d.PrivateKey.IsZero(), pub: d.PublicKey}
	if v.pub.IsZero() && v.hasPriv {
		v.pub = d.PrivateKey.PublicKey()
	}
	v.hasPub = !v.pub.IsZero()
	return v
}

// getDevice opens and reads one interface.
func (c *cmd) getDevice(name string) (*device, error) {
	l, err := c.env.Backend.Open(name)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	d, err := l.Get()
	if err != nil {
		return nil, err
	}
	return newDevice(name, d), nil
}

func (c *cmd) show(args []string) int {
	usage := func() { fmt.Fprintf(c.err, showUsage, c.prog, args[0]) }
	if len(args) > 3 {
		usage()
		return 1
	}
	switch {
	case len(args) == 1 || args[1] == "all":
		names, err := c.env.Backend.List()
		if err != nil {
			c.perror("Unable to list interfaces", err)
			return 1
		}
		ret := 0
		if len(names) > 0 {
			ret = 1
		}
		for i, name := range names {
			dev, err := c.getDevice(name)
			if err != nil {
				fmt.Fprintf(c.err, "Unable to access interface %s: %s\n", name, strerror(err))
				continue
			}
			if len(args) == 3 {
				if !c.ugly(dev, args[2], true, usage) {
					return 1
				}
			} else {
				c.pretty(dev)
				if i+1 < len(names) {
					c.out.WriteString("\n")
				}
			}
			ret = 0
		}
		return ret
	case args[1] == "interfaces":
		if len(args) > 2 {
			usage()
			return 1
		}
		names, err := c.env.Backend.List()
		if err != nil {
			c.perror("Unable to list interfaces", err)
			return 1
		}
		if len(names) > 0 {
			c.out.WriteString(strings.Join(names, " ") + "\n")
		}
		return 0
	case len(args) == 2 && (args[1] == "-h" || args[1] == "--help" || args[1] == "help"):
		usage()
		return 0
	}
	dev, err := c.getDevice(args[1])
	if err != nil {
		c.perror("Unable to access interface", err)
		return 1
	}
	if len(args) == 3 {
		if !c.ugly(dev, args[2], false, usage) {
			return 1
		}
		return 0
	}
	c.pretty(dev)
	return 0
}

// colour reports whether the pretty output keeps its escape sequences.
func (c *cmd) colour() bool {
	v, _ := c.getenv("WG_COLOR_MODE")
	switch v {
	case "always":
		return true
	case "never":
		return false
	}
	return c.env.IsTerminal(c.env.Stdout)
}

func (c *cmd) maskedKey(k key) string {
	if v, ok := c.getenv("WG_HIDE_KEYS"); ok && v == "never" {
		return k.String()
	}
	return "(hidden)"
}

// sortPeers orders peers for the pretty output: most recent handshake
// first, never-handshaken peers last. The sort is stable, as glibc's qsort
// (a merge sort) is for these sizes, so ties keep the interface's order.
func sortPeers(peers []wgtypes.Peer) []wgtypes.Peer {
	s := slices.Clone(peers)
	slices.SortStableFunc(s, func(a, b wgtypes.Peer) int {
		as, an := handshake(&a)
		bs, bn := handshake(&b)
		aNever, bNever := as == 0 && an == 0, bs == 0 && bn == 0
		switch {
		case aNever && !bNever:
			return 1
		case bNever && !aNever:
			return -1
		case as != bs:
			if as < bs {
				return 1
			}
			return -1
		case an != bn:
			if an < bn {
				return 1
			}
			return -1
		}
		return 0
	})
	return s
}

// handshake returns the peer's last handshake as seconds and nanoseconds,
// zero for never.
func handshake(p *wgtypes.Peer) (sec, nsec int64) {
	if p.LastHandshakeTime.IsZero() {
		return 0, 0
	}
	return p.LastHandshakeTime.Unix(), int64(p.LastHandshakeTime.Nanosecond())
}

func (c *cmd) pretty(dev *device) {
	var b strings.Builder
	d := dev.d
	b.WriteString(termReset)
	b.WriteString(termGreen + termBold + "interface" + termReset + ": " + termGreen + dev.name + termReset)
	if d.Alias != "" {
		// OpenBSD: the wgN that wg-quick picked for a configuration.
		b.WriteString(" (" + d.Alias + ")")
	}
	b.WriteString("\n")
	field := func(label, value string) {
		b.WriteString("  " + termBold + label + termReset + ": " + value + "\n")
	}
	if dev.hasPub {
		field("public key", dev.pub.String())
	}
	if dev.hasPriv {
		field("private key", c.maskedKey(d.PrivateKey))
	}
	if d.ListenPort != 0 {
		field("listening port", strconv.Itoa(d.ListenPort))
	}
	if d.FirewallMark != 0 {
		field("fwmark", "0x"+strconv.FormatUint(uint64(d.FirewallMark), 16))
	}
	peers := sortPeers(d.Peers)
	if len(peers) > 0 {
		b.WriteString("\n")
	}
	now := c.env.Now().Unix()
	for i := range peers {
		p := &peers[i]
		b.WriteString(termYellow + termBold + "peer" + termReset + ": " + termYellow + p.PublicKey.String() + termReset + "\n")
		if !p.PresharedKey.IsZero() {
			field("preshared key", c.maskedKey(p.PresharedKey))
		}
		if p.Endpoint.Addr().IsValid() {
			field("endpoint", formatEndpoint(p.Endpoint))
		}
		ips := "(none)"
		if len(p.AllowedIPs) > 0 {
			parts := make([]string, len(p.AllowedIPs))
			for j, pfx := range p.AllowedIPs {
				parts[j] = formatPrefix(pfx, termCyan+"/"+termReset)
			}
			ips = strings.Join(parts, ", ")
		}
		field("allowed ips", ips)
		if sec, _ := handshake(p); sec != 0 {
			field("latest handshake", ago(now, sec))
		}
		if p.ReceiveBytes != 0 || p.TransmitBytes != 0 {
			field("transfer", byteCount(p.ReceiveBytes)+" received, "+byteCount(p.TransmitBytes)+" sent")
		}
		if p.PersistentKeepalive != 0 {
			field("persistent keepalive", every(p.PersistentKeepalive))
		}
		if i+1 < len(peers) {
			b.WriteString("\n")
		}
	}
	s := b.String()
	if !c.colour() {
		s = stripANSI(s)
	}
	c.out.WriteString(s)
}

func maybeKey(k key, have bool) string {
	if !have {
		return "(none)"
	}
	return k.String()
}

func fwmark(m uint32) string {
	if m == 0 {
		return "off"
	}
	return "0x" + strconv.FormatUint(uint64(m), 16)
}

func endpointOrNone(p *wgtypes.Peer) string {
	if !p.Endpoint.Addr().IsValid() {
		return "(none)"
	}
	return formatEndpoint(p.Endpoint)
}

func allowedIPs(p *wgtypes.Peer, sep string) string {
	if len(p.AllowedIPs) == 0 {
		return "(none)"
	}
	parts := make([]string, len(p.AllowedIPs))
	for i, pfx := range p.AllowedIPs {
		parts[i] = formatPrefix(pfx, "/")
	}
	return strings.Join(parts, sep)
}

// ugly prints one script field (show.c's ugly_print); false for an
// unknown field, after the message and usage.
func (c *cmd) ugly(dev *device, param string, withIface bool, usage func()) bool {
	d := dev.d
	w := c.out
	prefix := func() {
		if withIface {
			w.WriteString(dev.name + "\t")
		}
	}
	perPeer := func(f func(p *wgtypes.Peer) string) {
		for i := range d.Peers {
			prefix()
			w.WriteString(d.Peers[i].PublicKey.String() + f(&d.Peers[i]) + "\n")
		}
	}
	switch param {
	case "public-key":
		prefix()
		w.WriteString(maybeKey(dev.pub, dev.hasPub) + "\n")
	case "private-key":
		prefix()
		w.WriteString(maybeKey(d.PrivateKey, dev.hasPriv) + "\n")
	case "listen-port":
		prefix()
		w.WriteString(strconv.Itoa(d.ListenPort) + "\n")
	case "fwmark":
		prefix()
		w.WriteString(fwmark(d.FirewallMark) + "\n")
	case "endpoints":
		perPeer(func(p *wgtypes.Peer) string { return "\t" + endpointOrNone(p) })
	case "allowed-ips":
		perPeer(func(p *wgtypes.Peer) string { return "\t" + allowedIPs(p, " ") })
	case "latest-handshakes":
		perPeer(func(p *wgtypes.Peer) string {
			sec, _ := handshake(p)
			return "\t" + strconv.FormatUint(uint64(sec), 10)
		})
	case "transfer":
		perPeer(func(p *wgtypes.Peer) string {
			return "\t" + strconv.FormatUint(p.ReceiveBytes, 10) + "\t" + strconv.FormatUint(p.TransmitBytes, 10)
		})
	case "persistent-keepalive":
		perPeer(func(p *wgtypes.Peer) string {
			if p.PersistentKeepalive == 0 {
				return "\toff"
			}
			return "\t" + strconv.Itoa(int(p.PersistentKeepalive))
		})
	case "preshared-keys":
		perPeer(func(p *wgtypes.Peer) string { return "\t" + maybeKey(p.PresharedKey, !p.PresharedKey.IsZero()) })
	case "peers":
		perPeer(func(*wgtypes.Peer) string { return "" })
	case "dump":
		c.dump(dev, withIface)
	default:
		fmt.Fprintf(c.err, "Invalid parameter: `%s'\n", param)
		usage()
		return false
	}
	return true
}

func (c *cmd) dump(dev *device, withIface bool) {
	d := dev.d
	w := c.out
	if withIface {
		w.WriteString(dev.name + "\t")
	}
	fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", maybeKey(d.PrivateKey, dev.hasPriv), maybeKey(dev.pub, dev.hasPub), d.ListenPort, fwmark(d.FirewallMark))
	for i := range d.Peers {
		p := &d.Peers[i]
		if withIface {
			w.WriteString(dev.name + "\t")
		}
		sec, _ := handshake(p)
		keepalive := "off"
		if p.PersistentKeepalive != 0 {
			keepalive = strconv.Itoa(int(p.PersistentKeepalive))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", p.PublicKey, maybeKey(p.PresharedKey, !p.PresharedKey.IsZero()),
			endpointOrNone(p), allowedIPs(p, ","), uint64(sec), p.ReceiveBytes, p.TransmitBytes, keepalive)
	}
}

func (c *cmd) showconf(args []string) int {
	if len(args) != 2 {
		fmt.Fprintf(c.err, "Usage: %s %s <interface>\n", c.prog, args[0])
		return 1
	}
	dev, err := c.getDevice(args[1])
	if err != nil {
		c.perror("Unable to access interface", err)
		return 1
	}
	writeConf(c.out, dev)
	return 0
}

// writeConf prints the configuration in setconf's format (showconf.c).
func writeConf(w io.Writer, dev *device) {
	d := dev.d
	var b strings.Builder
	b.WriteString("[Interface]\n")
	if d.ListenPort != 0 {
		fmt.Fprintf(&b, "ListenPort = %d\n", d.ListenPort)
	}
	if d.FirewallMark != 0 {
		fmt.Fprintf(&b, "FwMark = 0x%x\n", d.FirewallMark)
	}
	if dev.hasPriv {
		fmt.Fprintf(&b, "PrivateKey = %s\n", d.PrivateKey)
	}
	b.WriteString("\n")
	for i := range d.Peers {
		p := &d.Peers[i]
		fmt.Fprintf(&b, "[Peer]\nPublicKey = %s\n", p.PublicKey)
		if !p.PresharedKey.IsZero() {
			fmt.Fprintf(&b, "PresharedKey = %s\n", p.PresharedKey)
		}
		if len(p.AllowedIPs) > 0 {
			b.WriteString("AllowedIPs = " + allowedIPs(p, ", ") + "\n")
		}
		if p.Endpoint.Addr().IsValid() {
			b.WriteString("Endpoint = " + formatEndpoint(p.Endpoint) + "\n")
		}
		if p.PersistentKeepalive != 0 {
			fmt.Fprintf(&b, "PersistentKeepalive = %d\n", p.PersistentKeepalive)
		}
		if i+1 < len(d.Peers) {
			b.WriteString("\n")
		}
	}
	io.WriteString(w, b.String())
}
