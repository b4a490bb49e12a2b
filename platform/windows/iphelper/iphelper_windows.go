package iphelper

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

// Apply configures the IP interface of the adapter luid all or nothing
// (see Config). Undo on the result reverts it: a created Wintun adapter
// loses its own settings when deleted anyway, but the endpoint host routes
// live on other interfaces and must be removed.
//
// Right after boot the stack may not know a new adapter yet: like
// wireguard-windows, Apply retries for up to 15 s while a call fails with
// ERROR_NOT_FOUND (apply has undone its partial work each time).
func Apply(luid uint64, cfg Config) (*Applied, error) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		a, err := apply(winSystem{}, luid, cfg)
		if err == nil {
			return a, nil
		}
		if !errors.Is(err, windows.ERROR_NOT_FOUND) || time.Now().After(deadline) {
			return nil, fmt.Errorf("iphelper: %w", err)
		}
		time.Sleep(time.Second)
	}
}

// WatchRoutes calls fn from its own goroutine after the route table
// changed (NotifyRouteChange2), once per burst of changes, until ctx is
// done. A tunnel calls Applied.Replan from fn.
func WatchRoutes(ctx context.Context, fn func()) error {
	routeCallbackOnce.Do(func() { routeCallback = windows.NewCallback(onRouteChange) })
	ch := make(chan struct{}, 1)
	watchers.Lock()
	watchers.m[ch] = struct{}{}
	watchers.Unlock()
	var h windows.Handle
	if err := windows.NotifyRouteChange2(windows.AF_UNSPEC, routeCallback, nil, false, &h); err != nil {
		watchers.Lock()
		delete(watchers.m, ch)
		watchers.Unlock()
		return fmt.Errorf("iphelper: NotifyRouteChange2: %w", err)
	}
	go func() {
		defer func() {
			windows.CancelMibChangeNotify2(h)
			watchers.Lock()
			delete(watchers.m, ch)
			watchers.Unlock()
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
			}
			// Gateways change in bursts (a link going down removes
			// many routes): let the table settle, then act once.
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
			select {
			case <-ch:
			default:
			}
			fn()
		}
	}()
	return nil
}

// One callback for the process: windows.NewCallback slots are never freed.
var (
	routeCallbackOnce sync.Once
	routeCallback     uintptr
	watchers          = struct {
		sync.Mutex
		m map[chan struct{}]struct{}
	}{m: map[chan struct{}]struct{}{}}
)

func onRouteChange(callerContext, row, notificationType uintptr) uintptr {
	watchers.Lock()
	defer watchers.Unlock()
	for ch := range watchers.m {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	return 0
}

var (
	iphlpapi                            = windows.NewLazySystemDLL("iphlpapi.dll")
	procInitializeUnicastIpAddressEntry = iphlpapi.NewProc("InitializeUnicastIpAddressEntry")
	procCreateUnicastIpAddressEntry     = iphlpapi.NewProc("CreateUnicastIpAddressEntry")
	procDeleteUnicastIpAddressEntry     = iphlpapi.NewProc("DeleteUnicastIpAddressEntry")
	procInitializeIpForwardEntry        = iphlpapi.NewProc("InitializeIpForwardEntry")
	procCreateIpForwardEntry2           = iphlpapi.NewProc("CreateIpForwardEntry2")
	procDeleteIpForwardEntry2           = iphlpapi.NewProc("DeleteIpForwardEntry2")
	procSetIpInterfaceEntry             = iphlpapi.NewProc("SetIpInterfaceEntry")
	procConvertInterfaceLuidToGuid      = iphlpapi.NewProc("ConvertInterfaceLuidToGuid")
	procSetInterfaceDnsSettings         = iphlpapi.NewProc("SetInterfaceDnsSettings")
)

// netio calls an IP Helper function returning a NETIO_STATUS (a Win32
// code, 0 on success; GetLastError is not used).
func netio(p *windows.LazyProc, args ...uintptr) error {
	if err := p.Find(); err != nil {
		return err
	}
	r, _, _ := syscall.SyscallN(p.Addr(), args...)
	if r != 0 {
		return windows.Errno(r)
	}
	return nil
}

// initialize calls a void Initialize*Entry function.
func initialize(p *windows.LazyProc, row unsafe.Pointer) error {
	if err := p.Find(); err != nil {
		return err
	}
	syscall.SyscallN(p.Addr(), uintptr(row))
	return nil
}

func setSockaddr(sa *windows.RawSockaddrInet, a netip.Addr) {
	*sa = windows.RawSockaddrInet{}
	a = a.Unmap()
	if a.Is4() {
		s4 := (*windows.RawSockaddrInet4)(unsafe.Pointer(sa))
		s4.Family = windows.AF_INET
		s4.Addr = a.As4()
		return
	}
	s6 := (*windows.RawSockaddrInet6)(unsafe.Pointer(sa))
	s6.Family = windows.AF_INET6
	s6.Addr = a.As16()
}

func sockaddrAddr(sa *windows.RawSockaddrInet) netip.Addr {
	switch sa.Family {
	case windows.AF_INET:
		return netip.AddrFrom4((*windows.RawSockaddrInet4)(unsafe.Pointer(sa)).Addr)
	case windows.AF_INET6:
		return netip.AddrFrom16((*windows.RawSockaddrInet6)(unsafe.Pointer(sa)).Addr)
	}
	return netip.Addr{}
}

type winSystem struct{}

func (winSystem) Routes() ([]SystemRoute, error) {
	metrics := map[[2]uint64]uint32{} // (luid, family) -> interface metric
	var itab *windows.MibIpInterfaceTable
	if err := windows.GetIpInterfaceTable(windows.AF_UNSPEC, &itab); err != nil {
		return nil, fmt.Errorf("GetIpInterfaceTable: %w", err)
	}
	for _, r := range unsafe.Slice(&itab.Table[0], itab.NumEntries) {
		metrics[[2]uint64{r.InterfaceLuid, uint64(r.Family)}] = r.Metric
	}
	windows.FreeMibTable(unsafe.Pointer(itab))

	var tab *windows.MibIpForwardTable2
	if err := windows.GetIpForwardTable2(windows.AF_UNSPEC, &tab); err != nil {
		return nil, fmt.Errorf("GetIpForwardTable2: %w", err)
	}
	defer windows.FreeMibTable(unsafe.Pointer(tab))
	var out []SystemRoute
	for _, r := range tab.Rows() {
		dst := sockaddrAddr(&r.DestinationPrefix.Prefix)
		if !dst.IsValid() {
			continue
		}
		pfx := netip.PrefixFrom(dst, int(r.DestinationPrefix.PrefixLength))
		if !pfx.IsValid() {
			continue
		}
		out = append(out, SystemRoute{
			Prefix:  pfx,
			LUID:    r.InterfaceLuid,
			NextHop: sockaddrAddr(&r.NextHop),
			Metric:  r.Metric + metrics[[2]uint64{r.InterfaceLuid, uint64(r.DestinationPrefix.Prefix.Family)}],
		})
	}
	return out, nil
}

func (winSystem) Addresses(luid uint64) ([]netip.Prefix, error) {
	var tab *windows.MibUnicastIpAddressTable
	if err := windows.GetUnicastIpAddressTable(windows.AF_UNSPEC, &tab); err != nil {
		return nil, fmt.Errorf("GetUnicastIpAddressTable: %w", err)
	}
	defer windows.FreeMibTable(unsafe.Pointer(tab))
	var out []netip.Prefix
	for _, r := range unsafe.Slice(&tab.Table[0], tab.NumEntries) {
		if r.InterfaceLuid != luid {
			continue
		}
		a := sockaddrAddr((*windows.RawSockaddrInet)(unsafe.Pointer(&r.Address)))
		if p := netip.PrefixFrom(a, int(r.OnLinkPrefixLength)); p.IsValid() {
			out = append(out, p)
		}
	}
	return out, nil
}

func addressRow(luid uint64, p netip.Prefix) (*windows.MibUnicastIpAddressRow, error) {
	row := new(windows.MibUnicastIpAddressRow)
	if err := initialize(procInitializeUnicastIpAddressEntry, unsafe.Pointer(row)); err != nil {
		return nil, err
	}
	row.InterfaceLuid = luid
	setSockaddr((*windows.RawSockaddrInet)(unsafe.Pointer(&row.Address)), p.Addr())
	row.OnLinkPrefixLength = uint8(p.Bits())
	return row, nil
}

func (winSystem) AddAddress(luid uint64, p netip.Prefix) error {
	row, err := addressRow(luid, p)
	if err != nil {
		return err
	}
	const ipDadStatePreferred = 4 // no duplicate detection on a tunnel
	row.DadState = ipDadStatePreferred
	row.ValidLifetime, row.PreferredLifetime = 0xffffffff, 0xffffffff
	err = netio(procCreateUnicastIpAddressEntry, uintptr(unsafe.Pointer(row)))
	if errors.Is(err, windows.ERROR_OBJECT_ALREADY_EXISTS) {
		return fmt.Errorf("%w: %s is already assigned to another interface", err, p.Addr())
	}
	return err
}

func (winSystem) DeleteAddress(luid uint64, p netip.Prefix) error {
	row, err := addressRow(luid, p)
	if err != nil {
		return err
	}
	return netio(procDeleteUnicastIpAddressEntry, uintptr(unsafe.Pointer(row)))
}

func (winSystem) SetInterface(luid uint64, s Settings) (func() error, error) {
	var row windows.MibIpInterfaceRow
	row.Family = uint16(s.Family)
	row.InterfaceLuid = luid
	if err := windows.GetIpInterfaceEntry(&row); err != nil {
		if s.Family == IPv6 && errors.Is(err, windows.ERROR_NOT_FOUND) {
			return nil, nil // IPv6 is disabled on this adapter
		}
		return nil, err
	}
	old := row
	if s.MTU != 0 {
		row.NlMtu = s.MTU
	}
	row.UseAutomaticMetric = b2u8(s.AutoMetric)
	if !s.AutoMetric {
		row.Metric = s.Metric
	}
	row.RouterDiscoveryBehavior = 0 // RouterDiscoveryDisabled
	if s.RouterDiscovery {
		row.RouterDiscoveryBehavior = 1
	}
	row.DadTransmits = s.DadTransmits
	row.ManagedAddressConfigurationSupported = b2u8(s.ManagedConfig)
	row.OtherStatefulConfigurationSupported = b2u8(s.OtherConfig)
	if err := setInterfaceRow(&row); err != nil {
		return nil, err
	}
	return func() error { return setInterfaceRow(&old) }, nil
}

func setInterfaceRow(row *windows.MibIpInterfaceRow) error {
	if row.Family == windows.AF_INET {
		// SetIpInterfaceEntry rejects an IPv4 row whose SitePrefixLength
		// is not 0 (MSDN, MIB_IPINTERFACE_ROW).
		row.SitePrefixLength = 0
	}
	return netio(procSetIpInterfaceEntry, uintptr(unsafe.Pointer(row)))
}

func b2u8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func routeRow(tunnel uint64, r Route) (*windows.MibIpForwardRow2, error) {
	row := new(windows.MibIpForwardRow2)
	if err := initialize(procInitializeIpForwardEntry, unsafe.Pointer(row)); err != nil {
		return nil, err
	}
	row.InterfaceLuid = r.LUID
	if r.LUID == 0 {
		row.InterfaceLuid = tunnel
	}
	setSockaddr(&row.DestinationPrefix.Prefix, r.Prefix.Addr())
	row.DestinationPrefix.PrefixLength = uint8(r.Prefix.Bits())
	hop := r.NextHop
	if !hop.IsValid() { // on-link: the unspecified address of the family
		hop = netip.IPv6Unspecified()
		if r.Prefix.Addr().Is4() {
			hop = netip.IPv4Unspecified()
		}
	}
	setSockaddr(&row.NextHop, hop)
	row.Metric = 0
	return row, nil
}

func (winSystem) AddRoute(tunnel uint64, r Route) error {
	row, err := routeRow(tunnel, r)
	if err != nil {
		return err
	}
	return netio(procCreateIpForwardEntry2, uintptr(unsafe.Pointer(row)))
}

func (winSystem) DeleteRoute(tunnel uint64, r Route) error {
	row, err := routeRow(tunnel, r)
	if err != nil {
		return err
	}
	err = netio(procDeleteIpForwardEntry2, uintptr(unsafe.Pointer(row)))
	if errors.Is(err, windows.ERROR_NOT_FOUND) {
		return nil // gone with its interface
	}
	return err
}

// dnsInterfaceSettings is DNS_INTERFACE_SETTINGS version 1 (netioapi.h).
// The explicit pad puts Flags at offset 8 on 32-bit systems too, where Go
// aligns uint64 to 4 and MSVC to 8.
type dnsInterfaceSettings struct {
	Version             uint32
	_                   uint32
	Flags               uint64
	Domain              *uint16
	NameServer          *uint16
	SearchList          *uint16
	RegistrationEnabled uint32
	RegisterAdapterName uint32
	EnableLLMNR         uint32
	QueryAdapterName    uint32
	ProfileNameServer   *uint16
}

func luidGUID(luid uint64) (windows.GUID, error) {
	var g windows.GUID
	err := netio(procConvertInterfaceLuidToGuid, uintptr(unsafe.Pointer(&luid)), uintptr(unsafe.Pointer(&g)))
	return g, err
}

func (winSystem) SetDNS(luid uint64, f DNSFamily) error {
	g, err := luidGUID(luid)
	if err != nil {
		return fmt.Errorf("ConvertInterfaceLuidToGuid: %w", err)
	}
	ns, err := windows.UTF16PtrFromString(f.NameServer)
	if err != nil {
		return err
	}
	sl, err := windows.UTF16PtrFromString(f.SearchList)
	if err != nil {
		return err
	}
	settings := &dnsInterfaceSettings{Version: 1, Flags: f.Flags, NameServer: ns, SearchList: sl}
	err = setInterfaceDNSSettings(g, settings)
	runtime.KeepAlive(settings)
	if errors.Is(err, windows.ERROR_PROC_NOT_FOUND) {
		return setDNSRegistry(f, g) // Windows older than 10 1809
	}
	return err
}

func setInterfaceDNSSettings(g windows.GUID, s *dnsInterfaceSettings) error {
	words, byPointer, err := guidArgs(*(*[16]byte)(unsafe.Pointer(&g)), runtime.GOARCH)
	if err != nil {
		return err
	}
	var args []uintptr
	if byPointer {
		args = append(args, uintptr(unsafe.Pointer(&g)))
	}
	for _, w := range words {
		args = append(args, uintptr(w))
	}
	args = append(args, uintptr(unsafe.Pointer(s)))
	err = netio(procSetInterfaceDnsSettings, args...)
	runtime.KeepAlive(&g)
	return err
}

func setDNSRegistry(f DNSFamily, g windows.GUID) error {
	path := dnsRegistryPath(f.Family, g.String())
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf(`open HKLM\%s: %w`, path, err)
	}
	defer k.Close()
	if err := k.SetStringValue("NameServer", f.NameServer); err != nil {
		return fmt.Errorf(`set HKLM\%s\NameServer: %w`, path, err)
	}
	if err := k.SetStringValue("SearchList", f.SearchList); err != nil {
		return fmt.Errorf(`set HKLM\%s\SearchList: %w`, path, err)
	}
	// The DNS client rereads its parameters on PARAMCHANGE.
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("notify dnscache: %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService("dnscache")
	if err != nil {
		return fmt.Errorf("notify dnscache: %w", err)
	}
	defer s.Close()
	if _, err := s.Control(svc.ParamChange); err != nil {
		return fmt.Errorf("notify dnscache: %w", err)
	}
	return nil
}
