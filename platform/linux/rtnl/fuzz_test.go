package rtnl

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The decoders read kernel replies; fuzzing checks that no input makes
// them panic and that whatever they accept survives a trip through the
// matching encoder.

func seedRoutes(f *testing.F) {
	for _, r := range []Route{
		{Dst: netip.MustParsePrefix("10.10.0.0/16"), LinkIndex: 5, Table: 51820},
		{Dst: netip.MustParsePrefix("::/0"), LinkIndex: 1},
		{Dst: netip.MustParsePrefix("2001:db8::/32"), Gateway: netip.MustParseAddr("fe80::1"),
			PrefSrc: netip.MustParseAddr("2001:db8::5"), LinkIndex: 3, Table: 7, Metric: 9, MTU: 1280},
	} {
		m, err := routeMsg(rtmNewRoute, flagsCreate, r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(m.Data)
	}
}

func FuzzParseRoute(f *testing.F) {
	seedRoutes(f)
	f.Add([]byte{2, 32, 0, 0, 254, 0, 0, 1, 0, 0, 0, 0, 12, 0, 8, 0x80, 8, 0, 2, 0, 0xc8, 5, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseRoute(b)
		if err != nil {
			return
		}
		// routeMsg fills in add defaults and masks the destination.
		want := r
		want.Dst = r.Dst.Masked()
		if want.Table == 0 {
			want.Table = TableMain
		}
		if want.Protocol == 0 {
			want.Protocol = ProtoBoot
		}
		if want.Type == 0 {
			want.Type = TypeUnicast
		}
		if want.Scope == ScopeUniverse && want.Type == TypeUnicast && !want.Gateway.IsValid() {
			want.Scope = ScopeLink
		}
		m, err := routeMsg(rtmNewRoute, flagsCreate, r)
		if err != nil {
			t.Fatalf("parsed %+v but cannot encode it: %v", r, err)
		}
		got, err := parseRoute(m.Data)
		if err != nil {
			t.Fatalf("cannot parse own encoding of %+v: %v", r, err)
		}
		if diff := cmp.Diff(want, got, addrCmp...); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	})
}

func FuzzParseRule(f *testing.F) {
	for _, r := range []Rule{
		{Family: IPv4, Invert: true, Mark: 51820, Table: 51820},
		{Family: IPv6, Table: TableMain, Suppress: true},
		{Family: IPv4, Priority: 1000, Mark: 1, Mask: 3, Table: 300, Suppress: true, SuppressPrefixLen: 8},
	} {
		m, err := ruleMsg(rtmNewRule, flagsCreate, r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(m.Data)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseRule(b)
		if err != nil {
			return
		}
		m, err := ruleMsg(rtmNewRule, flagsCreate, r)
		if err != nil {
			return // e.g. a family or table-less rule we refuse to add
		}
		got, err := parseRule(m.Data)
		if err != nil {
			t.Fatalf("cannot parse own encoding of %+v: %v", r, err)
		}
		want := r
		if want.Action == 0 {
			want.Action = ActionToTable
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	})
}

func FuzzParseAddr(f *testing.F) {
	for _, p := range []string{"10.0.0.1/24", "fd00::1/64", "0.0.0.0/0"} {
		m, err := addrMsg(rtmNewAddr, flagsCreate, 4, netip.MustParsePrefix(p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(m.Data)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, p, err := parseAddr(b)
		if err != nil {
			return
		}
		m, err := addrMsg(rtmNewAddr, flagsCreate, idx, p)
		if err != nil {
			t.Fatalf("parsed %d %v but cannot encode it: %v", idx, p, err)
		}
		idx2, p2, err := parseAddr(m.Data)
		if err != nil || idx2 != idx || p2 != p {
			t.Errorf("round trip: %d %v -> %d %v, %v", idx, p, idx2, p2, err)
		}
	})
}

func FuzzParseLink(f *testing.F) {
	for _, name := range []string{"wg0", "a", "123456789012345"} {
		m, err := newLinkMsg(name, "wireguard")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(m.Data)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := parseLink(b)
		if err != nil {
			return
		}
		// A name that came back must address the link in a request.
		if l.Name != "" && checkName(l.Name) == nil {
			m, err := linkNameMsg(rtmGetLink, 0, l.Name, 0, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseLink(m.Data)
			if err != nil || got.Name != l.Name {
				t.Errorf("name %q round trip: %q, %v", l.Name, got.Name, err)
			}
		}
	})
}
