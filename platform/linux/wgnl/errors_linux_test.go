//go:build linux

package wgnl

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/mdlayher/netlink"
)

func TestMapErr(t *testing.T) {
	opErr := func(errno syscall.Errno, msg string) error {
		return &netlink.OpError{Op: "receive", Err: errno, Message: msg}
	}
	tests := []struct {
		name    string
		err     error
		removal bool
		want    string
		is      []error
		isNot   []error
	}{
		{name: "EPERM", err: opErr(syscall.EPERM, ""), want: "set wg0: needs CAP_NET_ADMIN (run as root)",
			is: []error{os.ErrPermission, syscall.EPERM}},
		{name: "ENODEV", err: opErr(syscall.ENODEV, ""), want: "set wg0: no such interface",
			is: []error{os.ErrNotExist, syscall.ENODEV}, isNot: []error{os.ErrPermission}},
		{name: "EOPNOTSUPP", err: opErr(syscall.EOPNOTSUPP, ""), want: "set wg0: not a wireguard interface",
			is: []error{os.ErrNotExist, syscall.EOPNOTSUPP}},
		{name: "EINVAL with removal", err: opErr(syscall.EINVAL, "Unknown attribute type"), removal: true,
			want: "set wg0: the kernel rejected removing single allowed IPs (WGALLOWEDIP_F_REMOVE_ME needs Linux 6.16 or newer); " +
				"use replace-allowed-ips with the full list instead (kernel: Unknown attribute type)",
			is: []error{errors.ErrUnsupported, syscall.EINVAL}, isNot: []error{os.ErrNotExist}},
		{name: "EINVAL without removal", err: opErr(syscall.EINVAL, "bad attr"), want: "set wg0: invalid argument (kernel: bad attr)",
			is: []error{syscall.EINVAL}, isNot: []error{errors.ErrUnsupported}},
		{name: "EADDRINUSE", err: opErr(syscall.EADDRINUSE, ""), want: "set wg0: listen port already in use",
			is: []error{syscall.EADDRINUSE}},
		{name: "EPFNOSUPPORT", err: opErr(syscall.EPFNOSUPPORT, ""), want: "set wg0: unsupported peer protocol version",
			is: []error{errors.ErrUnsupported}},
		{name: "not an errno", err: errors.New("boom"), want: "set wg0: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mapErr("set", "wg0", tt.err, tt.removal)
			if err.Error() != tt.want {
				t.Errorf("got  %q\nwant %q", err, tt.want)
			}
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v) = false", target)
				}
			}
			for _, target := range tt.isNot {
				if errors.Is(err, target) {
					t.Errorf("errors.Is(%v) = true", target)
				}
			}
		})
	}
}

func TestFamilyErr(t *testing.T) {
	err := familyErr(&netlink.OpError{Op: "receive", Err: syscall.ENOENT})
	if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "wireguard kernel module not loaded") {
		t.Errorf("missing family: %v", err)
	}
	err = familyErr(&netlink.OpError{Op: "receive", Err: syscall.EACCES})
	if errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, syscall.EACCES) {
		t.Errorf("other error: %v", err)
	}
}

func TestOpenOrUnsupported(t *testing.T) {
	// Open works wherever generic netlink exists; the family may be missing
	// (this host has no WireGuard module), which must be ErrUnsupported.
	c, err := Open()
	if err != nil {
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("Open: %v, want success or errors.ErrUnsupported", err)
		}
		t.Logf("Open: %v", err)
		return
	}
	c.Close()
}
