package wgtypes

import (
	"net/netip"
	"slices"
	"testing"
)

func TestEndpointAddrs(t *testing.T) {
	ap := netip.MustParseAddrPort
	d := Device{Peers: []Peer{
		{Endpoint: ap("[2001:db8::1]:51820")},
		{},
		{Endpoint: ap("[::ffff:192.0.2.7]:4500")},
		{Endpoint: ap("192.0.2.7:51820")},
		{Endpoint: ap("192.0.2.1:1")},
	}}
	got := d.EndpointAddrs()
	want := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("2001:db8::1")}
	if !slices.Equal(got, want) {
		t.Errorf("EndpointAddrs = %v, want %v", got, want)
	}
}
