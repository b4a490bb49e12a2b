package iphelper

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDNSSettings(t *testing.T) {
	tests := []struct {
		name    string
		servers []netip.Addr
		search  []string
		want    []DNSFamily
	}{
		{
			name:    "both families",
			servers: []netip.Addr{addr("1.1.1.1"), addr("2606:4700::1111"), addr("1.0.0.1"), addr("::ffff:9.9.9.9"), addr("1.1.1.1")},
			search:  []string{"corp.example.", " lab.example ", "corp.example", ""},
			want: []DNSFamily{
				{Family: IPv4, NameServer: "1.1.1.1,1.0.0.1,9.9.9.9", SearchList: "corp.example,lab.example", Flags: 0x6},
				{Family: IPv6, NameServer: "2606:4700::1111", SearchList: "corp.example,lab.example", Flags: 0x7},
			},
		},
		{
			name: "clear",
			want: []DNSFamily{{Family: IPv4, Flags: 0x6}, {Family: IPv6, Flags: 0x7}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, DNSSettings(tt.servers, tt.search)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiffAddresses(t *testing.T) {
	tests := []struct {
		name      string
		cur, want []netip.Prefix
		del, add  []netip.Prefix
	}{
		{name: "fresh", cur: nil, want: []netip.Prefix{pfx("10.0.0.2/24")}, add: []netip.Prefix{pfx("10.0.0.2/24")}},
		{name: "same", cur: []netip.Prefix{pfx("10.0.0.2/24")}, want: []netip.Prefix{pfx("10.0.0.2/24")}},
		{name: "length change", cur: []netip.Prefix{pfx("10.0.0.2/24")}, want: []netip.Prefix{pfx("10.0.0.2/32")}, del: []netip.Prefix{pfx("10.0.0.2/24")}, add: []netip.Prefix{pfx("10.0.0.2/32")}},
		{name: "link-local kept", cur: []netip.Prefix{pfx("fe80::5/64"), pfx("169.254.3.4/16"), pfx("10.1.1.1/8")}, want: []netip.Prefix{pfx("fd00::2/64")}, del: []netip.Prefix{pfx("10.1.1.1/8")}, add: []netip.Prefix{pfx("fd00::2/64")}},
		{name: "link-local wanted with another length", cur: []netip.Prefix{pfx("fe80::5/64")}, want: []netip.Prefix{pfx("fe80::5/128")}, del: []netip.Prefix{pfx("fe80::5/64")}, add: []netip.Prefix{pfx("fe80::5/128")}},
		{name: "mapped and duplicates", cur: nil, want: []netip.Prefix{pfx("::ffff:10.0.0.2/120"), pfx("10.0.0.2/24")}, add: []netip.Prefix{pfx("10.0.0.2/24")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			del, add := DiffAddresses(tt.cur, tt.want)
			opt := cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })
			if diff := cmp.Diff(tt.del, del, opt); diff != "" {
				t.Errorf("del (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.add, add, opt); diff != "" {
				t.Errorf("add (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInterfaceSettings(t *testing.T) {
	got := InterfaceSettings(1380, RoutePlan{FullTunnel6: true})
	want := []Settings{
		{Family: IPv4, MTU: 1380, AutoMetric: true},
		{Family: IPv6, MTU: 1380, AutoMetric: false, Metric: 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestGUIDArgs(t *testing.T) {
	// {01020304-0506-0708-090A-0B0C0D0E0F10} in memory.
	g := [16]byte{0x04, 0x03, 0x02, 0x01, 0x06, 0x05, 0x08, 0x07, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10}
	tests := []struct {
		arch    string
		words   []uint64
		byPtr   bool
		wantErr bool
	}{
		{arch: "amd64", byPtr: true},
		{arch: "arm64", words: []uint64{0x0708050601020304, 0x100f0e0d0c0b0a09}},
		{arch: "386", words: []uint64{0x01020304, 0x07080506, 0x0c0b0a09, 0x100f0e0d}},
		{arch: "arm", words: []uint64{0x01020304, 0x07080506, 0x0c0b0a09, 0x100f0e0d}},
		{arch: "riscv64", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.arch, func(t *testing.T) {
			words, byPtr, err := guidArgs(g, tt.arch)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if byPtr != tt.byPtr {
				t.Errorf("byPointer = %v, want %v", byPtr, tt.byPtr)
			}
			if diff := cmp.Diff(tt.words, words); diff != "" {
				t.Errorf("words (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDNSRegistryPath(t *testing.T) {
	const g = "{01020304-0506-0708-090A-0B0C0D0E0F10}"
	if got, want := dnsRegistryPath(IPv4, g), `SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces\`+g; got != want {
		t.Errorf("IPv4: %s, want %s", got, want)
	}
	if got, want := dnsRegistryPath(IPv6, g), `SYSTEM\CurrentControlSet\Services\Tcpip6\Parameters\Interfaces\`+g; got != want {
		t.Errorf("IPv6: %s, want %s", got, want)
	}
}
