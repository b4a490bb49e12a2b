package bsd

import (
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
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
	h := Header{Flags: rtfUp, Dst: dst.Addr()}
	if dst.Bits() == dst.Addr().BitLen() {
		h.Flags |= rtfHost
	} else {
		h.Mask = PrefixMask(dst)
	}
	if err := c.writeHeader(rtmDelete, h, table); err != nil {
		return fmt.Errorf("route delete %s: %w", dst, err)
	}
	return nil
}

// writeHeader sends one change described by h to table on a socket that
// reads nothing.
func (c *Conn) writeHeader(typ int, h Header, table uint32) error {
	m, err := c.message(typ, h)
	if err != nil {
		return err
	}
	b, err := m.Marshal()
	if err != nil {
		return fmt.Errorf("marshal: %w", err)
	}
	fd, err := routeSocket()
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	_ = unix.Shutdown(fd, unix.SHUT_RD)
	if err := setTable(fd, b, table); err != nil {
		return err
	}
	if _, err := unix.Write(fd, b); err != nil {
		return mapErrno(err)
	}
	return nil
}
