package firewall

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

// fwpuclnt.dll exports the user-mode WFP management API (fwpmu.h). Every
// call returns a Win32 or FWP_E_* code (0 = success), except
// FwpmFreeMemory0, which returns nothing.
var (
	fwpuclnt                      = windows.NewLazySystemDLL("fwpuclnt.dll")
	procFwpmEngineOpen0           = fwpuclnt.NewProc("FwpmEngineOpen0")
	procFwpmEngineClose0          = fwpuclnt.NewProc("FwpmEngineClose0")
	procFwpmTransactionBegin0     = fwpuclnt.NewProc("FwpmTransactionBegin0")
	procFwpmTransactionCommit0    = fwpuclnt.NewProc("FwpmTransactionCommit0")
	procFwpmTransactionAbort0     = fwpuclnt.NewProc("FwpmTransactionAbort0")
	procFwpmSubLayerAdd0          = fwpuclnt.NewProc("FwpmSubLayerAdd0")
	procFwpmFilterAdd0            = fwpuclnt.NewProc("FwpmFilterAdd0")
	procFwpmGetAppIdFromFileName0 = fwpuclnt.NewProc("FwpmGetAppIdFromFileName0")
	procFwpmFreeMemory0           = fwpuclnt.NewProc("FwpmFreeMemory0")
)

// loadProcs finds every procedure up front: LazyProc.Call panics on a
// missing one.
func loadProcs() error {
	for _, p := range []*windows.LazyProc{
		procFwpmEngineOpen0, procFwpmEngineClose0,
		procFwpmTransactionBegin0, procFwpmTransactionCommit0, procFwpmTransactionAbort0,
		procFwpmSubLayerAdd0, procFwpmFilterAdd0,
		procFwpmGetAppIdFromFileName0, procFwpmFreeMemory0,
	} {
		if err := p.Find(); err != nil {
			return fmt.Errorf("firewall: %w", err)
		}
	}
	return nil
}

// Session is an enabled kill switch: an open, dynamic WFP engine session
// that owns the sublayer and its filters.
type Session struct {
	mu     sync.Mutex
	engine windows.Handle // 0 once closed
}

// Enable blocks all IPv4 and IPv6 traffic that does not go through the
// tunnel opts.TunnelLUID, except the traffic the package comment lists.
// The filters are added in one transaction: on error nothing is left
// behind. It needs an elevated administrator or LocalSystem (WFP refuses
// others with access denied), and only one kill switch can be enabled on
// a machine at a time.
func Enable(opts Options) (*Session, error) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		return nil, fmt.Errorf("firewall: the WFP kill switch is only built for 64-bit Windows: %w", errors.ErrUnsupported)
	}
	if opts.TunnelLUID == 0 {
		return nil, errors.New("firewall: tunnel LUID is 0")
	}
	if err := loadProcs(); err != nil {
		return nil, err
	}
	program := opts.Program
	if program == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("firewall: own executable: %w", err)
		}
		program = exe
	}
	appID, err := appIDFromFileName(program)
	if err != nil {
		return nil, err
	}
	filters, err := buildFilters(opts, appID)
	if err != nil {
		return nil, err
	}
	mems := make([]*filterMem, len(filters))
	for i, f := range filters {
		if mems[i], err = f.memory(sublayerKey); err != nil {
			return nil, fmt.Errorf("firewall: %w", err)
		}
	}

	engine, err := openEngine()
	if err != nil {
		return nil, err
	}
	if err := install(engine, filters, mems); err != nil {
		// Closing a dynamic session deletes whatever it added anyway.
		procFwpmEngineClose0.Call(uintptr(engine))
		return nil, err
	}
	return &Session{engine: engine}, nil
}

// Close removes the kill switch: closing the dynamic session deletes its
// sublayer and filters. Only the first call does anything.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.engine == 0 {
		return nil
	}
	r, _, _ := procFwpmEngineClose0.Call(uintptr(s.engine))
	s.engine = 0
	if r != 0 {
		return fmt.Errorf("firewall: FwpmEngineClose0: %w", windows.Errno(r))
	}
	return nil
}

// openEngine opens a dynamic session: WFP deletes every object it added
// when the handle is closed or the process exits.
func openEngine() (windows.Handle, error) {
	name := utf16z(sessionName)
	session := &fwpmSession0{
		displayData: fwpmDisplayData0{name: &name[0]},
		flags:       fwpmSessionFlagDynamic,
		// txnWaitTimeoutInMSec 0: the engine's default wait for the
		// transaction lock.
	}
	var engine windows.Handle
	r, _, _ := procFwpmEngineOpen0.Call(0, rpcCAuthnWinNT, 0,
		uintptr(unsafe.Pointer(session)), uintptr(unsafe.Pointer(&engine)))
	runtime.KeepAlive(session)
	runtime.KeepAlive(name)
	if r != 0 {
		return 0, fmt.Errorf("firewall: FwpmEngineOpen0: %w", windows.Errno(r))
	}
	return engine, nil
}

// install adds our sublayer and the filters in one transaction, aborted
// on the first error.
func install(engine windows.Handle, filters []filter, mems []*filterMem) (err error) {
	if r, _, _ := procFwpmTransactionBegin0.Call(uintptr(engine), 0); r != 0 {
		return fmt.Errorf("firewall: FwpmTransactionBegin0: %w", windows.Errno(r))
	}
	defer func() {
		if err != nil {
			procFwpmTransactionAbort0.Call(uintptr(engine))
		}
	}()

	name, desc := utf16z(sublayerName), utf16z(sublayerDesc)
	sub := &fwpmSublayer0{
		subLayerKey: sublayerKey,
		displayData: fwpmDisplayData0{name: &name[0], description: &desc[0]},
		weight:      sublayerWeight,
	}
	r, _, _ := procFwpmSubLayerAdd0.Call(uintptr(engine), uintptr(unsafe.Pointer(sub)), 0)
	runtime.KeepAlive(sub)
	runtime.KeepAlive(name)
	runtime.KeepAlive(desc)
	if r == fwpEAlreadyExists {
		return fmt.Errorf("firewall: add sublayer %s: %w (another kill switch is enabled)", sublayerKey, windows.Errno(r))
	}
	if r != 0 {
		return fmt.Errorf("firewall: add sublayer %s: %w", sublayerKey, windows.Errno(r))
	}

	for i, m := range mems {
		var id uint64
		r, _, _ := procFwpmFilterAdd0.Call(uintptr(engine), uintptr(unsafe.Pointer(&m.f)), 0, uintptr(unsafe.Pointer(&id)))
		runtime.KeepAlive(m)
		if r != 0 {
			return fmt.Errorf("firewall: add filter %q: %w", filters[i].name, windows.Errno(r))
		}
	}

	if r, _, _ := procFwpmTransactionCommit0.Call(uintptr(engine)); r != 0 {
		return fmt.Errorf("firewall: FwpmTransactionCommit0: %w", windows.Errno(r))
	}
	return nil
}

// appIDFromFileName returns the ALE application id WFP matches
// FWPM_CONDITION_ALE_APP_ID against: the program's path in NT device form
// (\device\harddiskvolume1\...), as bytes of a NUL-terminated lower-case
// UTF-16 string. The engine's copy is freed before returning.
func appIDFromFileName(path string) ([]byte, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, fmt.Errorf("firewall: application id of %q: %w", path, err)
	}
	var blob *fwpByteBlob // allocated by WFP, not Go
	r, _, _ := procFwpmGetAppIdFromFileName0.Call(uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&blob)))
	runtime.KeepAlive(p)
	if r != 0 {
		return nil, fmt.Errorf("firewall: FwpmGetAppIdFromFileName0 %q: %w", path, windows.Errno(r))
	}
	defer procFwpmFreeMemory0.Call(uintptr(unsafe.Pointer(&blob)))
	if blob == nil || blob.size == 0 || blob.data == nil {
		return nil, fmt.Errorf("firewall: FwpmGetAppIdFromFileName0 %q: empty application id", path)
	}
	return append([]byte(nil), unsafe.Slice(blob.data, blob.size)...), nil
}
