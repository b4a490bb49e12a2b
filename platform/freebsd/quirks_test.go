package freebsd

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWarnings(t *testing.T) {
	tests := []struct {
		name string
		k    Keys
		want []string
	}{
		{"nothing special", Keys{Iface: "wg0"}, nil},
		{"split tunnel auto", Keys{Iface: "wg0", Table: "auto"}, nil},
		{"off", Keys{Iface: "wg0", Table: "off", Default4: true}, nil},
		{"fwmark", Keys{Iface: "wg0", FwMark: 0x1234}, []string{
			"[!] FwMark = 0x1234: on FreeBSD this is a socket cookie (SO_USER_COOKIE) on wg0's UDP sockets that ipfw(8) and pf(4) rules can match, not a routing mark: no policy routing uses it, and PostUp rules written for Linux's fwmark will not work",
		}},
		{"full tunnel", Keys{Iface: "wg0", Default4: true, Default6: true}, []string{
			"[!] Table = auto: the default route goes through wg0 as 0.0.0.0/1 and 128.0.0.0/1, ::/1 and 8000::/1, plus a host route to each endpoint via the current default gateway, kept up to date by a route monitor; not Linux's table 51820 with fwmark rules",
		}},
		{"full tunnel v6 and fwmark", Keys{Iface: "tun9", FwMark: 51820, Table: "Auto", Default6: true}, []string{
			"[!] FwMark = 0xca6c: on FreeBSD this is a socket cookie (SO_USER_COOKIE) on tun9's UDP sockets that ipfw(8) and pf(4) rules can match, not a routing mark: no policy routing uses it, and PostUp rules written for Linux's fwmark will not work",
			"[!] Table = auto: the default route goes through tun9 as ::/1 and 8000::/1, plus a host route to each endpoint via the current default gateway, kept up to date by a route monitor; not Linux's table 51820 with fwmark rules",
		}},
		{"fib", Keys{Iface: "wg0", Table: "2"}, []string{
			"[!] Table = 2: FIB 2, not a Linux routing table: only processes run with setfib(1) 2 use these routes",
		}},
		{"fib with default", Keys{Iface: "wg0", Table: "3", Default4: true}, []string{
			"[!] Table = 3: FIB 3, not a Linux routing table; its default route is added as it is, without the /1 split or endpoint routes: only processes run with setfib(1) 3 use it",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Warnings(tt.k)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseTable(t *testing.T) {
	tests := []struct {
		in        string
		fibs      int
		fib       uint32
		auto, off bool
		wantErr   string
	}{
		{in: "", fibs: 1, auto: true},
		{in: "AUTO", fibs: 1, auto: true},
		{in: "off", fibs: 1, off: true},
		{in: "main", fibs: 1},
		{in: "3", fibs: 4, fib: 3},
		{in: "0", fibs: 1},
		{in: "7", fibs: 0, fib: 7}, // net.fibs unknown: the kernel decides
		{in: "51820", fibs: 4, wantErr: "platform/freebsd: Table = 51820: FIB 51820 does not exist (net.fibs=4)"},
		{in: "4", fibs: 4, wantErr: "FIB 4 does not exist"},
		{in: "vpn", fibs: 4, wantErr: "platform/freebsd: Table = vpn: FreeBSD has no named routing tables; use a FIB number, auto or off"},
		{in: "-1", fibs: 4, wantErr: "no named routing tables"},
	}
	for _, tt := range tests {
		fib, auto, off, err := ParseTable(tt.in, tt.fibs)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseTable(%q, %d) error = %v, want %q", tt.in, tt.fibs, err, tt.wantErr)
			}
			continue
		}
		if err != nil || fib != tt.fib || auto != tt.auto || off != tt.off {
			t.Errorf("ParseTable(%q, %d) = %d, %v, %v, %v; want %d, %v, %v", tt.in, tt.fibs, fib, auto, off, err, tt.fib, tt.auto, tt.off)
		}
	}
}

func TestDNS(t *testing.T) {
	args, stdin := SetDNS("wg0", []netip.Addr{netip.MustParseAddr("10.0.0.53"), netip.MustParseAddr("fd00::53")}, []string{"example.com", "corp.example"})
	if diff := cmp.Diff([]string{"resolvconf", "-a", "wg0", "-x"}, args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	if want := "nameserver 10.0.0.53\nnameserver fd00::53\nsearch example.com corp.example\n"; stdin != want {
		t.Errorf("stdin = %q, want %q", stdin, want)
	}
	if args, stdin := SetDNS("wg0", nil, []string{"example.com"}); args != nil || stdin != "" {
		t.Errorf("search domains alone ran %v", args)
	}
	if _, stdin := SetDNS("wg1", []netip.Addr{netip.MustParseAddr("1.1.1.1")}, nil); stdin != "nameserver 1.1.1.1\n" {
		t.Errorf("stdin = %q", stdin)
	}
	if diff := cmp.Diff([]string{"resolvconf", "-d", "wg0"}, UnsetDNS("wg0")); diff != "" {
		t.Errorf("unset (-want +got):\n%s", diff)
	}
}
