//go:build freebsd || openbsd

package bsd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"

	"golang.org/x/net/route"
	"golang.org/x/sys/unix"
)

// Conn changes and reads the routing table through PF_ROUTE sockets.
// golang.org/x/net/route marshals and parses the messages: it knows each
// kernel's rt_msghdr layout and sockaddr padding, which keeps this file
// to the syscalls.
type Conn struct {
	seq atomic.Int32
	pid uintptr
}

// Dial returns a Conn. Each operation uses its own socket, so a Conn is
// safe for concurrent use and needs no Close beyond releasing nothing.
func Dial() (*Conn, error) {
	return &Conn{pid: uintptr(os.Getpid())}, nil
}

// Close releases the Conn.
func (c *Conn) Close() error { return nil }

func routeSocket() (int, error) {
	fd, err := unix.Socket(unix.AF_ROUTE, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.AF_UNSPEC)
	if err != nil {
		return -1, fmt.Errorf("routing socket: %w", err)
	}
	return fd, nil
}

func sockaddr(a netip.Addr) (route.Addr, error) {
	a = a.Unmap()
	if a.Is4() {
		return &route.Inet4Addr{IP: a.As4()}, nil
	}
	z, err := zoneIndex(a.Zone())
	if err != nil {
		return nil, err
	}
	return &route.Inet6Addr{IP: a.As16(), ZoneID: z}, nil
}

func zoneIndex(zone string) (int, error) {
	if zone == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(zone); err == nil {
		return n, nil
	}
	ifi, err := net.InterfaceByName(zone)
	if err != nil {
		return 0, fmt.Errorf("zone %s: %w", zone, err)
	}
	return ifi.Index, nil
}

func zoneName(index int) string {
	if index == 0 {
		return ""
	}
	if ifi, err := net.InterfaceByIndex(index); err == nil {
		return ifi.Name
	}
	return strconv.Itoa(index)
}

func (c *Conn) message(typ int, h Header) (*route.RouteMessage, error) {
	m := &route.RouteMessage{
		Version: syscall.RTM_VERSION, Type: typ, Flags: h.Flags,
		ID: c.pid, Seq: int(c.seq.Add(1)),
		Addrs: make([]route.Addr, unix.RTAX_NETMASK+1),
	}
	var err error
	if m.Addrs[unix.RTAX_DST], err = sockaddr(h.Dst); err != nil {
		return nil, err
	}
	switch {
	case h.Gateway.IsValid():
		if m.Addrs[unix.RTAX_GATEWAY], err = sockaddr(h.Gateway); err != nil {
			return nil, err
		}
	case h.LinkIndex > 0:
		m.Addrs[unix.RTAX_GATEWAY] = &route.LinkAddr{Index: h.LinkIndex}
	}
	if h.Mask.IsValid() {
		if m.Addrs[unix.RTAX_NETMASK], err = sockaddr(h.Mask); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// write sends the change typ of r on a write-only socket in r.Table.
func (c *Conn) write(typ int, r Route) error {
	if err := r.Validate(); err != nil {
		return err
	}
	index := 0
	if r.Iface != "" {
		ifi, err := net.InterfaceByName(r.Iface)
		if err != nil {
			return fmt.Errorf("interface %s: %w", r.Iface, err)
		}
		index = ifi.Index
	}
	return c.writeHeader(typ, r.Header(index), r.Table)
}

// writeHeader sends one change described by h to table on a write-only
// socket: the route changes of AddRoute and DeleteRoute, and OpenBSD's
// AddLocalRoute and DeleteRouteTo.
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
	// The kernel echoes every change to every routing socket; this one
	// does not read, so it asks not to be sent anything.
	_ = unix.Shutdown(fd, unix.SHUT_RD)
	if err := setTable(fd, b, table); err != nil {
		return err
	}
	if _, err := unix.Write(fd, b); err != nil {
		return mapErrno(err)
	}
	return nil
}

// mapErrno maps the routing socket's errnos: EEXIST (route exists) to
// os.ErrExist, ESRCH (no such route) to os.ErrNotExist; both already
// match with errors.Is through syscall.Errno, so only the text changes.
func mapErrno(err error) error {
	switch {
	case errors.Is(err, unix.ESRCH):
		return fmt.Errorf("no such route: %w", err)
	case errors.Is(err, unix.EEXIST):
		return fmt.Errorf("route exists: %w", err)
	}
	return err
}

// AddRoute adds r (RTM_ADD).
func (c *Conn) AddRoute(r Route) error {
	if err := c.write(rtmAdd, r); err != nil {
		return fmt.Errorf("route add %s: %w", r.Dst, err)
	}
	return nil
}

// DeleteRoute deletes r (RTM_DELETE); the error wraps os.ErrNotExist when
// there is no such route.
func (c *Conn) DeleteRoute(r Route) error {
	if err := c.write(rtmDelete, r); err != nil {
		return fmt.Errorf("route delete %s: %w", r.Dst, err)
	}
	return nil
}

// Get looks dst up like `route -n get`: the longest match for an address,
// and returns the entry used.
func (c *Conn) Get(dst netip.Addr) (TableEntry, error) {
	fd, err := routeSocket()
	if err != nil {
		return TableEntry{}, err
	}
	defer unix.Close(fd)
	h := Header{Flags: rtfUp | rtfHost, Dst: dst}
	m, err := c.message(rtmGet, h)
	if err != nil {
		return TableEntry{}, err
	}
	// Ask for the interface too (RTA_IFP), as route(8) does.
	m.Addrs = append(m.Addrs, nil, &route.LinkAddr{})
	b, err := m.Marshal()
	if err != nil {
		return TableEntry{}, fmt.Errorf("route get %s: marshal: %w", dst, err)
	}
	if _, err := unix.Write(fd, b); err != nil {
		return TableEntry{}, fmt.Errorf("route get %s: %w", dst, mapErrno(err))
	}
	buf := make([]byte, 2048)
	for {
		n, err := unix.Read(fd, buf)
		if err != nil {
			return TableEntry{}, fmt.Errorf("route get %s: %w", dst, err)
		}
		msgs, err := route.ParseRIB(route.RIBTypeRoute, buf[:n])
		if err != nil {
			continue
		}
		for _, msg := range msgs {
			rm, ok := msg.(*route.RouteMessage)
			if !ok || rm.Type != rtmGet || rm.ID != c.pid || rm.Seq != m.Seq {
				continue
			}
			if rm.Err != nil {
				return TableEntry{}, fmt.Errorf("route get %s: %w", dst, mapErrno(rm.Err))
			}
			return entry(rm), nil
		}
	}
}

// Table dumps the routing table of both families (FIB 0 / rtable 0).
func (c *Conn) Table() ([]TableEntry, error) {
	b, err := route.FetchRIB(unix.AF_UNSPEC, route.RIBTypeRoute, 0)
	if err != nil {
		return nil, fmt.Errorf("route dump: %w", err)
	}
	msgs, err := route.ParseRIB(route.RIBTypeRoute, b)
	if err != nil {
		return nil, fmt.Errorf("route dump: %w", err)
	}
	var out []TableEntry
	for _, msg := range msgs {
		if rm, ok := msg.(*route.RouteMessage); ok {
			if e := entry(rm); e.Dst.IsValid() {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// DefaultGateways returns the current default routers.
func (c *Conn) DefaultGateways() (Gateways, error) {
	t, err := c.Table()
	if err != nil {
		return Gateways{}, err
	}
	return DefaultGateways(t), nil
}

func addr(a route.Addr) (netip.Addr, []byte) {
	switch a := a.(type) {
	case *route.Inet4Addr:
		return netip.AddrFrom4(a.IP), a.IP[:]
	case *route.Inet6Addr:
		return netip.AddrFrom16(a.IP).WithZone(zoneName(a.ZoneID)), a.IP[:]
	}
	return netip.Addr{}, nil
}

// entry converts a parsed route message.
func entry(rm *route.RouteMessage) TableEntry {
	e := TableEntry{Index: rm.Index, Flags: rm.Flags}
	get := func(i int) route.Addr {
		if i < len(rm.Addrs) {
			return rm.Addrs[i]
		}
		return nil
	}
	dst, _ := addr(get(unix.RTAX_DST))
	if !dst.IsValid() {
		return e
	}
	bitsLen := dst.BitLen()
	if rm.Flags&rtfHost == 0 {
		if _, mask := addr(get(unix.RTAX_NETMASK)); mask != nil {
			bitsLen = MaskBits(mask)
		}
	}
	e.Dst = netip.PrefixFrom(dst.WithZone(""), bitsLen).Masked()
	if gw, _ := addr(get(unix.RTAX_GATEWAY)); gw.IsValid() && rm.Flags&rtfGateway != 0 {
		e.Gateway = gw
	}
	if la, ok := get(unix.RTAX_GATEWAY).(*route.LinkAddr); ok && e.Index == 0 {
		e.Index = la.Index
	}
	return e
}

// Watch returns a channel that receives a value for every message on the
// routing socket (route changes, interface changes) until ctx is done; it
// is the trigger of RunMonitor.
func Watch(ctx context.Context) (<-chan struct{}, error) {
	fd, err := routeSocket()
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "route")
	ch := make(chan struct{}, 1)
	go func() {
		<-ctx.Done()
		f.Close()
	}()
	go func() {
		defer close(ch)
		buf := make([]byte, 4096)
		for {
			if _, err := f.Read(buf); err != nil {
				return
			}
			select {
			case ch <- struct{}{}:
			default: // one pending wake-up is enough
			}
		}
	}()
	return ch, nil
}
