package bsd

import (
	"fmt"
	"net/netip"
)

// AddLocalRoute adds dst in routing table table through the interface
// that owns local (route -T TABLE add DST -iface LOCAL).
func (c *Conn) AddLocalRoute(dst netip.Prefix, local netip.Addr, table uint32) error {
	if !dst.IsValid() || dst != dst.Masked() || !local.IsValid() || local.Is4() != dst.Addr().Is4() {
		return fmt.Errorf("route add %s -iface %s: need a masked destination and a local address of its family", dst, local)
	}
	if err := c.writeHeader(rtmAdd, LocalHeader(dst, local), table); err != nil {
		return fmt.Errorf("route add %s -iface %s: %w", dst, local, err)
	}
	return nil
}

// DeleteRouteTo deletes the route to dst in table, whatever its gateway
// (route -T TABLE delete DST); the error wraps os.ErrNotExist when there
// is none.
func (c *Conn) DeleteRouteTo(dst netip.Prefix, table uint32) error {
	if err := c.writeHeader(rtmDelete, dstHeader(rtfUp, dst), table); err != nil {
		return fmt.Errorf("route delete %s: %w", dst, err)
	}
	return nil
}
