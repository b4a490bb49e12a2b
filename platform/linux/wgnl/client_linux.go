//go:build linux

package wgnl

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// dumpRetries bounds how often Get restarts a dump that the kernel marked
// inconsistent (NLM_F_DUMP_INTR: the device changed during the dump).
const dumpRetries = 10

// Client is a connection to the kernel's WireGuard generic netlink family.
// Its methods may be called concurrently; Sets are serialised.
type Client struct {
	mu     sync.Mutex // one Set (several messages, maybe a restore) at a time
	conn   *netlink.Conn
	family uint16

	// maxSize is the message size budget of Set (MaxMessageSize).
	maxSize int
	// mangle, if set, may replace each Set message's attributes before it is
	// sent; tests use it to make the kernel reject a message part way.
	mangle func(i int, attrs []byte) []byte
	// restarts counts dumps restarted because of NLM_F_DUMP_INTR.
	restarts atomic.Int64
	// removal says whether the kernel supports WGALLOWEDIP_F_REMOVE_ME:
	// removalUnknown until a probe or a Set finds out.
	removal atomic.Int32
}

const (
	removalUnknown = iota
	removalSupported
	removalUnsupported
)

// Open connects to the generic netlink family "wireguard". The error wraps
// errors.ErrUnsupported when the kernel has no WireGuard module.
func Open() (*Client, error) {
	conn, err := netlink.Dial(syscall.NETLINK_GENERIC, nil)
	if err != nil {
		return nil, fmt.Errorf("wgnl: open generic netlink socket: %w", err)
	}
	// Error strings from the kernel (extended ack) make failures readable;
	// kernels without it still work.
	_ = conn.SetOption(netlink.ExtendedAcknowledge, true)
	fam, err := genetlink.NewConn(conn).GetFamily(familyName)
	if err != nil {
		conn.Close()
		return nil, familyErr(err)
	}
	if fam.Version < familyVersion {
		conn.Close()
		return nil, fmt.Errorf("wgnl: generic netlink family %s has version %d, need %d: %w",
			familyName, fam.Version, familyVersion, errors.ErrUnsupported)
	}
	return &Client{conn: conn, family: fam.ID, maxSize: MaxMessageSize}, nil
}

// familyErr explains a failed lookup of the generic netlink family.
func familyErr(err error) error {
	if errors.Is(err, syscall.ENOENT) {
		return &opError{op: "wgnl: resolve generic netlink family", target: familyName,
			msg: "wireguard kernel module not loaded (try: modprobe wireguard)", kind: errors.ErrUnsupported, err: err}
	}
	return fmt.Errorf("wgnl: resolve generic netlink family %s: %w", familyName, err)
}

// Close closes the netlink socket.
func (c *Client) Close() error { return c.conn.Close() }

// Get returns the state of the WireGuard interface called name. The error
// wraps os.ErrNotExist if there is no such interface or it is not a
// WireGuard one, and os.ErrPermission without CAP_NET_ADMIN.
func (c *Client) Get(name string) (*wgtypes.Device, error) {
	if err := ValidateName(name); err != nil {
		return nil, fmt.Errorf("get %s: %w", name, err)
	}
	d, err := c.get(name)
	if err != nil {
		return nil, mapErr("get", name, err, false)
	}
	return d, nil
}

func (c *Client) get(name string) (*wgtypes.Device, error) {
	var e encoder
	e.str(deviceIfname, name)
	req := c.message(cmdGetDevice, netlink.Request|netlink.Dump, e.b)
	for range dumpRetries {
		msgs, err := c.conn.Execute(req)
		if err != nil {
			return nil, err
		}
		attrs := make([][]byte, 0, len(msgs))
		intr := false
		for _, m := range msgs {
			if m.Header.Flags&netlink.DumpInterrupted != 0 {
				intr = true
				break
			}
			if len(m.Data) < genlHeaderLen {
				return nil, fmt.Errorf("short generic netlink message (%d bytes)", len(m.Data))
			}
			attrs = append(attrs, m.Data[genlHeaderLen:])
		}
		if intr {
			c.restarts.Add(1)
			continue
		}
		d, err := DecodeDevice(attrs, zoneNames())
		if err != nil {
			return nil, fmt.Errorf("decode: %w", err)
		}
		if d.Name == "" {
			d.Name = name
		}
		return d, nil
	}
	return nil, fmt.Errorf("device changed during %d dumps in a row: %w", dumpRetries, syscall.EINTR)
}

func (c *Client) message(cmd uint8, flags netlink.HeaderFlags, attrs []byte) netlink.Message {
	data := make([]byte, genlHeaderLen, genlHeaderLen+len(attrs))
	data[0], data[1] = cmd, familyVersion
	return netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(c.family), Flags: flags},
		Data:   append(data, attrs...),
	}
}

// Set applies cfg to the WireGuard interface called name, splitting it over
// as many messages as needed. See the package documentation for what is
// guaranteed when it fails: in short, invalid input changes nothing, and a
// change the kernel rejects part way is undone.
func (c *Client) Set(name string, cfg wgtypes.Config) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	msgs, err := EncodeSet(name, cfg, c.maxSize, zoneIndex)
	if err != nil {
		return fmt.Errorf("set %s: %w", name, err)
	}
	before, err := c.get(name)
	if err != nil {
		return mapErr("set", name, err, false)
	}
	if err := c.checkRemoval(name, &cfg, before); err != nil {
		return err
	}
	for i, attrs := range msgs {
		if c.mangle != nil {
			attrs = c.mangle(i, attrs)
		}
		if err := c.send(attrs); err != nil {
			removal := hasAllowedIPRemoval(attrs)
			serr := mapErr("set", name, err, removal)
			if removal && errors.Is(serr, errors.ErrUnsupported) {
				c.removal.Store(removalUnsupported)
			}
			if len(msgs) > 1 {
				serr = fmt.Errorf("%w (message %d of %d)", serr, i+1, len(msgs))
			}
			if rerr := c.restore(name, before); rerr != nil {
				return fmt.Errorf("%w; undoing the partly applied change failed, the device is in an intermediate state: %v", serr, rerr)
			}
			return serr
		}
	}
	return nil
}

// checkRemoval fails, before anything is sent, a cfg that removes single
// allowed IPs when the kernel cannot do that. Whether it can is probed once
// per Client with a message that changes nothing (EncodeRemovalProbe).
// Without a peer to probe with, the Set itself finds out (and is undone).
func (c *Client) checkRemoval(name string, cfg *wgtypes.Config, before *wgtypes.Device) error {
	if !hasRemovals(cfg) || c.removal.Load() == removalSupported {
		return nil
	}
	if c.removal.Load() == removalUnsupported {
		return mapErr("set", name, syscall.EINVAL, true)
	}
	attrs, ok := EncodeRemovalProbe(name, before)
	if !ok {
		return nil
	}
	if err := c.send(attrs); err != nil {
		err = mapErr("set", name, err, true)
		if errors.Is(err, errors.ErrUnsupported) {
			c.removal.Store(removalUnsupported)
		}
		return err
	}
	c.removal.Store(removalSupported)
	return nil
}

func (c *Client) send(attrs []byte) error {
	_, err := c.conn.Execute(c.message(cmdSetDevice, netlink.Request|netlink.Acknowledge, attrs))
	return err
}

// restore brings the device back to before, sending only the difference.
func (c *Client) restore(name string, before *wgtypes.Device) error {
	now, err := c.get(name)
	if err != nil {
		return mapErr("get", name, err, false)
	}
	cfg := RestoreConfig(before, now)
	if isEmpty(&cfg) {
		return nil
	}
	msgs, err := EncodeSet(name, cfg, c.maxSize, zoneIndex)
	if err != nil {
		return err
	}
	for _, attrs := range msgs {
		if err := c.send(attrs); err != nil {
			return mapErr("set", name, err, false)
		}
	}
	return nil
}

// hasAllowedIPRemoval reports whether a SET message's attributes carry
// WGALLOWEDIP_A_FLAGS; attributes are walked, not searched as bytes.
func hasAllowedIPRemoval(attrs []byte) bool {
	found := false
	var walk func(b []byte, depth int)
	walk = func(b []byte, depth int) {
		ad, err := netlink.NewAttributeDecoder(b)
		if err != nil {
			return
		}
		for ad.Next() {
			switch {
			case depth == 0 && ad.Type() == devicePeers, depth == 1, depth == 3:
				ad.Do(func(b []byte) error { walk(b, depth+1); return nil })
			case depth == 2 && ad.Type() == peerAllowedIPs:
				ad.Do(func(b []byte) error { walk(b, depth+1); return nil })
			case depth == 4 && ad.Type() == allowedIPFlags:
				found = true
			}
		}
	}
	walk(attrs, 0)
	return found
}

// opError is an error of this package with an errno-derived kind
// (os.ErrNotExist, os.ErrPermission, errors.ErrUnsupported).
type opError struct {
	op, target, msg string
	kind            error
	err             error
}

func (e *opError) Error() string {
	s := e.op + " " + e.target + ": " + e.msg
	var oe *netlink.OpError
	if errors.As(e.err, &oe) && oe.Message != "" {
		s += " (kernel: " + oe.Message + ")"
	}
	return s
}

func (e *opError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.err}
	}
	return []error{e.kind, e.err}
}

// mapErr turns a netlink error into "op name: what happened", wrapping the
// errno and, where one fits, os.ErrNotExist, os.ErrPermission or
// errors.ErrUnsupported. removal says the failed message removed allowed IPs.
func mapErr(op, name string, err error, removal bool) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	e := &opError{op: op, target: name, err: err, msg: errno.Error()}
	switch {
	case errno == syscall.EPERM:
		e.msg, e.kind = "needs CAP_NET_ADMIN (run as root)", os.ErrPermission
	case errno == syscall.ENODEV:
		e.msg, e.kind = "no such interface", os.ErrNotExist
	case removal && (errno == syscall.EINVAL || errno == syscall.EOPNOTSUPP):
		e.msg = "the kernel rejected removing single allowed IPs (WGALLOWEDIP_F_REMOVE_ME needs Linux 6.16 or newer); " +
			"use replace-allowed-ips with the full list instead"
		e.kind = errors.ErrUnsupported
	case errno == syscall.EOPNOTSUPP:
		e.msg, e.kind = "not a wireguard interface", os.ErrNotExist
	case errno == syscall.EPFNOSUPPORT:
		e.msg, e.kind = "unsupported peer protocol version", errors.ErrUnsupported
	case errno == syscall.EADDRINUSE:
		e.msg = "listen port already in use"
	}
	return e
}

func zoneIndex(zone string) (uint32, error) {
	ifi, err := net.InterfaceByName(zone)
	if err != nil {
		return 0, err
	}
	return uint32(ifi.Index), nil
}

// zoneNames names scope ids' interfaces like getnameinfo(3) does for
// wg(8). The interface list is read once, on first use, per dump.
func zoneNames() ZoneName {
	var names map[uint32]string
	return func(index uint32) string {
		if names == nil {
			names = map[uint32]string{}
			ifs, _ := net.Interfaces()
			for _, ifi := range ifs {
				names[uint32(ifi.Index)] = ifi.Name
			}
		}
		return names[index]
	}
}
