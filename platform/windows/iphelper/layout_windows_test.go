package iphelper

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"
)

// TestLayout checks the row types against the 64-bit offsets of spec
// windows.md §4.2 and netioapi.h.
func TestLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("offsets are for 64-bit Windows")
	}
	var u windows.MibUnicastIpAddressRow
	var f windows.MibIpForwardRow2
	var i windows.MibIpInterfaceRow
	var d dnsInterfaceSettings
	tests := []struct {
		name      string
		got, want uintptr
	}{
		{"MIB_UNICASTIPADDRESS_ROW size", unsafe.Sizeof(u), 80},
		{"InterfaceLuid", unsafe.Offsetof(u.InterfaceLuid), 32},
		{"ValidLifetime", unsafe.Offsetof(u.ValidLifetime), 52},
		{"PreferredLifetime", unsafe.Offsetof(u.PreferredLifetime), 56},
		{"OnLinkPrefixLength", unsafe.Offsetof(u.OnLinkPrefixLength), 60},
		{"DadState", unsafe.Offsetof(u.DadState), 64},
		{"MIB_IPFORWARD_ROW2 size", unsafe.Sizeof(f), 104},
		{"DestinationPrefix", unsafe.Offsetof(f.DestinationPrefix), 12},
		{"PrefixLength", unsafe.Offsetof(f.DestinationPrefix) + unsafe.Offsetof(f.DestinationPrefix.PrefixLength), 40},
		{"NextHop", unsafe.Offsetof(f.NextHop), 44},
		{"Metric", unsafe.Offsetof(f.Metric), 84},
		{"Protocol", unsafe.Offsetof(f.Protocol), 88},
		// netioapi.h's row is 168 bytes: TransmitOffload and
		// ReceiveOffload are one-byte bitfield structs, which x/sys
		// declares as uint32, making its row 176 bytes. Windows then
		// fills less than the Go value holds, and Get-modify-Set keeps
		// the bytes it wrote; nothing here touches the fields past NlMtu.
		{"MIB_IPINTERFACE_ROW size (x/sys)", unsafe.Sizeof(i), 176},
		{"ReachableTime", unsafe.Offsetof(i.ReachableTime), 160},
		{"TransmitOffload", unsafe.Offsetof(i.TransmitOffload), 164},
		{"InterfaceLuid", unsafe.Offsetof(i.InterfaceLuid), 8},
		{"UseAutomaticMetric", unsafe.Offsetof(i.UseAutomaticMetric), 44},
		{"ManagedAddressConfigurationSupported", unsafe.Offsetof(i.ManagedAddressConfigurationSupported), 46},
		{"OtherStatefulConfigurationSupported", unsafe.Offsetof(i.OtherStatefulConfigurationSupported), 47},
		{"RouterDiscoveryBehavior", unsafe.Offsetof(i.RouterDiscoveryBehavior), 52},
		{"DadTransmits", unsafe.Offsetof(i.DadTransmits), 56},
		{"Metric", unsafe.Offsetof(i.Metric), 148},
		{"NlMtu", unsafe.Offsetof(i.NlMtu), 152},
		{"DNS_INTERFACE_SETTINGS size", unsafe.Sizeof(d), 64},
		{"Flags", unsafe.Offsetof(d.Flags), 8},
		{"NameServer", unsafe.Offsetof(d.NameServer), 24},
		{"SearchList", unsafe.Offsetof(d.SearchList), 32},
		{"ProfileNameServer", unsafe.Offsetof(d.ProfileNameServer), 56},
		{"SOCKADDR_INET size", unsafe.Sizeof(windows.RawSockaddrInet{}), 28},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}
