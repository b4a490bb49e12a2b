package rtnl

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/mdlayher/netlink"
	"github.com/mdlayher/netlink/nltest"
	"golang.org/x/sys/unix"
)

// These tests put a scripted kernel (nltest) behind a Conn to reach the
// replies a real kernel gives only under conditions a test cannot set up
// cheaply: missing privileges, extended acks, interrupted dumps.

// errReply is an NLMSG_ERROR for req carrying -errno and, if msg is not
// empty, an extended-ack NLMSGERR_ATTR_MSG.
func errReply(req netlink.Message, errno unix.Errno, msg string) netlink.Message {
	data := binary.NativeEndian.AppendUint32(nil, uint32(-int32(errno)))
	// The request's header follows the error code (payload capped).
	hdr := make([]byte, 16)
	binary.NativeEndian.PutUint32(hdr[0:], 16)
	binary.NativeEndian.PutUint16(hdr[4:], uint16(req.Header.Type))
	binary.NativeEndian.PutUint32(hdr[8:], req.Header.Sequence)
	data = append(data, hdr...)
	flags := netlink.HeaderFlags(0x100) // NLM_F_CAPPED
	if msg != "" {
		flags |= netlink.AcknowledgeTLVs
		data = append(data, nltest.MustMarshalAttributes([]netlink.Attribute{
			{Type: unix.NLMSGERR_ATTR_MSG, Data: append([]byte(msg), 0)},
		})...)
	}
	return netlink.Message{
		Header: netlink.Header{Type: netlink.Error, Flags: flags, Sequence: req.Header.Sequence},
		Data:   data,
	}
}

func fakeConn(t *testing.T, fn nltest.Func) *Conn {
	t.Helper()
	c := newConn(nltest.Dial(fn))
	t.Cleanup(func() { c.Close() })
	return c
}

func TestFakeKernelErrors(t *testing.T) {
	tests := []struct {
		name     string
		errno    unix.Errno
		extack   string
		call     func(c *Conn) error
		wantIs   []error
		wantText string
	}{
		{
			name: "EPERM", errno: unix.EPERM,
			call:     func(c *Conn) error { return c.CreateLink("wg0", "wireguard") },
			wantIs:   []error{os.ErrPermission, unix.EPERM},
			wantText: "create link: wg0 type wireguard: operation not permitted: needs CAP_NET_ADMIN",
		},
		{
			name: "EEXIST", errno: unix.EEXIST,
			call: func(c *Conn) error {
				return c.AddRoute(Route{Dst: netip.MustParsePrefix("10.0.0.0/8"), LinkIndex: 3, Table: 51820})
			},
			wantIs:   []error{os.ErrExist},
			wantText: "add route: 10.0.0.0/8 dev #3 table 51820: file exists",
		},
		{
			name: "ENODEV with extended ack", errno: unix.ENODEV, extack: "Device not found.",
			call:     func(c *Conn) error { return c.SetLinkMTU("wg9", 1420) },
			wantIs:   []error{os.ErrNotExist},
			wantText: "set link mtu: wg9 mtu 1420: no such device (Device not found)",
		},
		{
			name: "ESRCH from route delete", errno: unix.ESRCH,
			call: func(c *Conn) error {
				return c.DeleteRoute(Route{Dst: netip.MustParsePrefix("::/0"), Table: 51820})
			},
			wantIs:   []error{os.ErrNotExist},
			wantText: "delete route: default (::/0) table 51820: no such process",
		},
		{
			name: "ENOENT from rule delete", errno: unix.ENOENT,
			call: func(c *Conn) error {
				return c.DeleteRule(Rule{Family: IPv4, Table: TableMain, Suppress: true})
			},
			wantIs:   []error{os.ErrNotExist},
			wantText: "delete rule: inet table main suppress_prefixlength 0: no such file or directory",
		},
		{
			name: "EOPNOTSUPP for an unknown kind", errno: unix.EOPNOTSUPP, extack: "Unknown device type",
			call:     func(c *Conn) error { return c.CreateLink("wg0", "wireguard") },
			wantIs:   []error{errors.ErrUnsupported},
			wantText: "create link: wg0 type wireguard: operation not supported (Unknown device type)",
		},
		{
			name: "other errno passes through", errno: unix.ENETUNREACH,
			call: func(c *Conn) error {
				_, err := c.RouteGet(netip.MustParseAddr("192.0.2.1"))
				return err
			},
			wantIs:   []error{unix.ENETUNREACH},
			wantText: "get route: to 192.0.2.1: network is unreachable",
		},
		{
			name: "dump error", errno: unix.EPERM,
			call: func(c *Conn) error {
				_, err := c.Rules(FamilyAll)
				return err
			},
			wantIs:   []error{os.ErrPermission},
			wantText: "list rules: operation not permitted: needs CAP_NET_ADMIN",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakeConn(t, func(req []netlink.Message) ([]netlink.Message, error) {
				return []netlink.Message{errReply(req[0], tt.errno, tt.extack)}, nil
			})
			err := tt.call(c)
			if err == nil {
				t.Fatal("no error")
			}
			for _, target := range tt.wantIs {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%q, %v) = false", err, target)
				}
			}
			if err.Error() != tt.wantText {
				t.Errorf("error text\n got %q\nwant %q", err, tt.wantText)
			}
		})
	}
}

// ruleReply is a dump reply carrying one rule.
func ruleReply(t *testing.T, req netlink.Message, r Rule, flags netlink.HeaderFlags) netlink.Message {
	t.Helper()
	m, err := ruleMsg(rtmNewRule, 0, r)
	if err != nil {
		t.Fatal(err)
	}
	m.Header.Flags = netlink.Multi | flags
	m.Header.Sequence = req.Header.Sequence
	return m
}

func done(req netlink.Message) netlink.Message {
	return netlink.Message{
		Header: netlink.Header{Type: netlink.Done, Flags: netlink.Multi, Sequence: req.Header.Sequence},
		Data:   make([]byte, 4),
	}
}

func TestFakeDumpInterrupted(t *testing.T) {
	stale := Rule{Family: IPv4, Table: 1, Priority: 1}
	fresh := Rule{Family: IPv4, Table: 2, Priority: 2}
	calls := 0
	c := fakeConn(t, func(req []netlink.Message) ([]netlink.Message, error) {
		calls++
		if req[0].Header.Type != rtmGetRule || req[0].Header.Flags != flagsDump {
			t.Errorf("request %v %v, want RTM_GETRULE dump", req[0].Header.Type, req[0].Header.Flags)
		}
		if calls < 3 {
			// A consistent first message, then one flagged NLM_F_DUMP_INTR.
			return []netlink.Message{
				ruleReply(t, req[0], stale, 0),
				ruleReply(t, req[0], stale, netlink.DumpInterrupted),
				done(req[0]),
			}, nil
		}
		return []netlink.Message{ruleReply(t, req[0], fresh, 0), done(req[0])}, nil
	})
	got, err := c.Rules(IPv4)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 3 {
		t.Errorf("dump sent %d times, want 3", calls)
	}
	want := fresh
	want.Action = ActionToTable
	if len(got) != 1 || got[0] != want {
		t.Errorf("Rules = %+v, want only %+v", got, want)
	}

	c = fakeConn(t, func(req []netlink.Message) ([]netlink.Message, error) {
		return []netlink.Message{ruleReply(t, req[0], stale, netlink.DumpInterrupted), done(req[0])}, nil
	})
	if _, err := c.Rules(IPv4); !errors.Is(err, ErrDumpInterrupted) {
		t.Errorf("always interrupted: err = %v, want ErrDumpInterrupted", err)
	}
}

func TestFakeAddressesOfOneLink(t *testing.T) {
	addr := func(req netlink.Message, index int, p string) netlink.Message {
		m, err := addrMsg(rtmNewAddr, 0, index, netip.MustParsePrefix(p))
		if err != nil {
			t.Fatal(err)
		}
		m.Header.Flags, m.Header.Sequence = netlink.Multi, req.Header.Sequence
		return m
	}
	var types []netlink.HeaderType
	c := fakeConn(t, func(req []netlink.Message) ([]netlink.Message, error) {
		r := req[0]
		types = append(types, r.Header.Type)
		switch r.Header.Type {
		case rtmGetLink:
			l, err := parseLink(r.Data)
			if err != nil || l.Name != "wg0" {
				t.Errorf("RTM_GETLINK for %+v, %v; want wg0", l, err)
			}
			m, _ := linkNameMsg(rtmNewLink, 0, "wg0", FlagUp, 0, 1420)
			binary.NativeEndian.PutUint32(m.Data[4:], 4) // ifi_index
			m.Header.Sequence = r.Header.Sequence
			return []netlink.Message{m}, nil
		case rtmGetAddr:
			return []netlink.Message{
				addr(r, 1, "127.0.0.1/8"),
				addr(r, 4, "10.0.0.1/24"),
				addr(r, 2, "192.168.1.5/24"),
				addr(r, 4, "fd00::1/64"),
				done(r),
			}, nil
		}
		return []netlink.Message{errReply(r, unix.EINVAL, "")}, nil
	})
	got, err := c.Addresses("wg0")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24"), netip.MustParsePrefix("fd00::1/64")}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Addresses = %v, want %v", got, want)
	}
	if len(types) != 2 || types[0] != rtmGetLink || types[1] != rtmGetAddr {
		t.Errorf("requests %v, want RTM_GETLINK then RTM_GETADDR", types)
	}
	if _, err := c.Addresses("bad/name"); err == nil || !strings.Contains(err.Error(), `"bad/name"`) {
		t.Errorf("bad name: err = %v", err)
	}
}
