package firewall

import (
	"fmt"
	"unicode/utf16"
	"unsafe"
)

// This file mirrors the C types of the WFP management API (fwptypes.h,
// fwpmtypes.h) and its GUIDs and constants (fwpmu.h). It builds on every
// OS so that the layout test and the conversion from filter to C memory
// run on Linux too.
//
// Sources: the Windows SDK headers um/fwpmu.h, shared/fwptypes.h and
// shared/fwpmtypes.h (as mirrored in marlersoft/microsoft_windows_sdk_cpp),
// and the learn.microsoft.com pages of the same types. The 64-bit sizes and
// offsets asserted in abi_test.go were computed from those declarations
// under the LLP64 rules (pointers 8 bytes, every field naturally aligned)
// and checked by compiling the same structs with mingw-w64's headers for
// x86_64-w64-mingw32 (sizeof/offsetof). Windows on arm64 uses the same
// alignment rules for these types.
//
// The mirrors lay out right only where pointers are 8 bytes: Enable
// refuses 32-bit Windows, whose FWPM_FILTER0 needs padding Go does not
// insert (a UINT64 union is 8-byte aligned in MSVC, 4-byte in Go on 386).

// guid is the GUID struct of guiddef.h: Data1..Data3 are native integers.
type guid struct {
	Data1 uint32
	Data2 uint16
	Data3 uint16
	Data4 [8]byte
}

// String formats g in the registry form, lower case, without braces
// (as fwpmu.h writes them in its comments).
func (g guid) String() string {
	return fmt.Sprintf("%08x-%04x-%04x-%02x-%x", g.Data1, g.Data2, g.Data3, g.Data4[:2], g.Data4[2:])
}

// Layers: fwpmu.h, "GUIDs for built-in layers".
var (
	layerALEAuthConnectV4    = guid{0xc38d57d1, 0x05a7, 0x4c33, [8]byte{0x90, 0x4f, 0x7f, 0xbc, 0xee, 0xe6, 0x0e, 0x82}}
	layerALEAuthConnectV6    = guid{0x4a72393b, 0x319f, 0x44bc, [8]byte{0x84, 0xc3, 0xba, 0x54, 0xdc, 0xb3, 0xb6, 0xb4}}
	layerALEAuthRecvAcceptV4 = guid{0xe1cd9fe7, 0xf4b5, 0x4273, [8]byte{0x96, 0xc0, 0x59, 0x2e, 0x48, 0x7b, 0x86, 0x50}}
	layerALEAuthRecvAcceptV6 = guid{0xa3b42c97, 0x9f04, 0x4672, [8]byte{0xb8, 0x7e, 0xce, 0xe9, 0xc4, 0x83, 0x25, 0x7f}}
)

// Conditions: fwpmu.h, "GUIDs for built-in conditions". fwpmu.h defines
// FWPM_CONDITION_ICMP_TYPE as FWPM_CONDITION_IP_LOCAL_PORT (and ICMP_CODE
// as IP_REMOTE_PORT): at the ALE layers the ICMP type travels in the
// local-port field, so NDP is matched with conditionIPLocalPort.
var (
	conditionALEAppID         = guid{0xd78e1e87, 0x8644, 0x4ea5, [8]byte{0x94, 0x37, 0xd8, 0x09, 0xec, 0xef, 0xc9, 0x71}}
	conditionIPLocalInterface = guid{0x4cd62a49, 0x59c3, 0x4969, [8]byte{0xb7, 0xf3, 0xbd, 0xa5, 0xd3, 0x28, 0x90, 0xa4}}
	conditionFlags            = guid{0x632ce23b, 0x5167, 0x435c, [8]byte{0x86, 0xd7, 0xe9, 0x03, 0x68, 0x4a, 0xa8, 0x0c}}
	conditionIPProtocol       = guid{0x3971ef2b, 0x623e, 0x4f9a, [8]byte{0x8c, 0xb1, 0x6e, 0x79, 0xb8, 0x06, 0xb9, 0xa7}}
	conditionIPLocalPort      = guid{0x0c1ba1af, 0x5765, 0x453f, [8]byte{0xaf, 0x22, 0xa8, 0xf7, 0x91, 0xac, 0x77, 0x5b}}
	conditionIPRemotePort     = guid{0xc35a604d, 0xd22b, 0x4e1a, [8]byte{0x91, 0xb4, 0x68, 0xf6, 0x74, 0xee, 0x67, 0x4b}}
	conditionICMPType         = conditionIPLocalPort
)

// sublayerKey is our own sublayer (a random GUID made for wgshim). It is
// fixed so that a second kill switch on the same machine fails with
// FWP_E_ALREADY_EXISTS instead of stacking, and so that its filters are
// easy to find (netsh wfp show filters).
var sublayerKey = guid{0x0dd92809, 0xc333, 0x4079, [8]byte{0x96, 0xc5, 0x36, 0x92, 0x24, 0x9a, 0x69, 0x12}}

// FWP_DATA_TYPE and FWP_MATCH_TYPE (fwptypes.h).
const (
	fwpUint8         = 1
	fwpUint16        = 2
	fwpUint32        = 3
	fwpUint64        = 4
	fwpByteBlobType  = 12
	fwpMatchEqual    = 0 // FWP_MATCH_EQUAL
	fwpMatchFlagsAll = 6 // FWP_MATCH_FLAGS_ALL_SET
)

// Actions, flags and other constants (fwptypes.h, fwpmtypes.h, rpcdce.h).
const (
	fwpActionFlagTerminating = 0x00001000
	fwpActionBlock           = 0x00000001 | fwpActionFlagTerminating
	fwpActionPermit          = 0x00000002 | fwpActionFlagTerminating
	fwpConditionFlagLoopback = 0x00000001 // FWP_CONDITION_FLAG_IS_LOOPBACK
	fwpmSessionFlagDynamic   = 0x00000001 // FWPM_SESSION_FLAG_DYNAMIC
	rpcCAuthnWinNT           = 10         // RPC_C_AUTHN_WINNT
	fwpEAlreadyExists        = 0x80320009 // FWP_E_ALREADY_EXISTS (winerror.h)
	ipprotoUDP               = 17
	ipprotoICMPv6            = 58
	sublayerWeight           = 0xffff // FWPM_SUBLAYER0.weight: evaluated before lighter sublayers
)

const (
	sessionName  = "wgshim kill switch"
	sublayerName = "wgshim kill switch"
	sublayerDesc = "Blocks IPv4 and IPv6 traffic that does not go through the WireGuard tunnel"
)

// fwpmDisplayData0 is FWPM_DISPLAY_DATA0.
type fwpmDisplayData0 struct {
	name        *uint16
	description *uint16
}

// fwpByteBlob is FWP_BYTE_BLOB.
type fwpByteBlob struct {
	size uint32
	data *byte
}

// fwpValue0 is FWP_VALUE0 and fwpConditionValue0 is FWP_CONDITION_VALUE0:
// a type tag and a pointer-sized union. Integers up to 32 bits are stored
// in the union itself (little-endian, so in its low bytes); 64-bit
// integers, blobs and address masks are pointers. The union is a uintptr,
// invisible to the garbage collector: whoever fills it keeps the value it
// points to alive (filterMem.keep).
type fwpValue0 struct {
	typ   uint32
	value uintptr
}

type fwpConditionValue0 fwpValue0

// fwpmFilterCondition0 is FWPM_FILTER_CONDITION0.
type fwpmFilterCondition0 struct {
	fieldKey       guid
	matchType      uint32
	conditionValue fwpConditionValue0
}

// fwpmAction0 is FWPM_ACTION0; the union (filterType or calloutKey) is a
// GUID, unused by permit and block.
type fwpmAction0 struct {
	typ        uint32
	filterType guid
}

// fwpmFilter0 is FWPM_FILTER0.
type fwpmFilter0 struct {
	filterKey           guid
	displayData         fwpmDisplayData0
	flags               uint32
	providerKey         *guid
	providerData        fwpByteBlob
	layerKey            guid
	subLayerKey         guid
	weight              fwpValue0
	numFilterConditions uint32
	filterCondition     *fwpmFilterCondition0
	action              fwpmAction0
	providerContext     [2]uint64 // union { UINT64 rawContext; GUID providerContextKey; }
	reserved            *guid
	filterID            uint64
	effectiveWeight     fwpValue0
}

// fwpmSession0 is FWPM_SESSION0.
type fwpmSession0 struct {
	sessionKey           guid
	displayData          fwpmDisplayData0
	flags                uint32
	txnWaitTimeoutInMSec uint32
	processID            uint32
	sid                  *byte
	username             *uint16
	kernelMode           int32
}

// fwpmSublayer0 is FWPM_SUBLAYER0.
type fwpmSublayer0 struct {
	subLayerKey  guid
	displayData  fwpmDisplayData0
	flags        uint32
	providerKey  *guid
	providerData fwpByteBlob
	weight       uint16
}

// layerGUID maps our layers to WFP's.
func (l layer) guid() guid {
	switch l {
	case connectV4:
		return layerALEAuthConnectV4
	case acceptV4:
		return layerALEAuthRecvAcceptV4
	case connectV6:
		return layerALEAuthConnectV6
	default:
		return layerALEAuthRecvAcceptV6
	}
}

// fieldGUID maps condition fields to WFP's condition GUIDs.
func (f field) guid() guid {
	switch f {
	case fieldAppID:
		return conditionALEAppID
	case fieldLocalInterface:
		return conditionIPLocalInterface
	case fieldFlags:
		return conditionFlags
	case fieldProtocol:
		return conditionIPProtocol
	case fieldLocalPort:
		return conditionIPLocalPort
	case fieldICMPType:
		return conditionICMPType
	default:
		return conditionIPRemotePort
	}
}

// filterMem is one filter laid out as FwpmFilterAdd0 reads it, with every
// Go value its C pointers refer to. Windows copies the filter during the
// call and keeps no pointer to it, so filterMem only has to outlive the
// call (runtime.KeepAlive). Heap values do not move in Go, and everything
// here is reached from the heap-allocated filterMem.
type filterMem struct {
	f     fwpmFilter0
	conds []fwpmFilterCondition0
	name  []uint16
	keep  []any // pointees of the uintptr unions
}

// utf16z returns s as a NUL-terminated UTF-16 string.
func utf16z(s string) []uint16 {
	return append(utf16.Encode([]rune(s)), 0)
}

// memory lays f out for FwpmFilterAdd0 under the sublayer sub.
func (f filter) memory(sub guid) (*filterMem, error) {
	m := &filterMem{name: utf16z(f.name)}
	m.f = fwpmFilter0{
		displayData: fwpmDisplayData0{name: &m.name[0]},
		layerKey:    f.layer.guid(),
		subLayerKey: sub,
		weight:      fwpValue0{typ: fwpUint8, value: uintptr(f.weight)},
	}
	switch f.action {
	case permit:
		m.f.action.typ = fwpActionPermit
	case block:
		m.f.action.typ = fwpActionBlock
	default:
		return nil, fmt.Errorf("filter %q: unknown action %d", f.name, f.action)
	}
	if len(f.conds) > 0 {
		m.conds = make([]fwpmFilterCondition0, len(f.conds))
		for i, c := range f.conds {
			v, err := m.value(c.value)
			if err != nil {
				return nil, fmt.Errorf("filter %q: condition %d: %w", f.name, i, err)
			}
			m.conds[i] = fwpmFilterCondition0{fieldKey: c.field.guid(), conditionValue: v}
			switch c.match {
			case matchEqual:
				m.conds[i].matchType = fwpMatchEqual
			case matchFlagsAllSet:
				m.conds[i].matchType = fwpMatchFlagsAll
			default:
				return nil, fmt.Errorf("filter %q: condition %d: unknown match %d", f.name, i, c.match)
			}
		}
		m.f.numFilterConditions = uint32(len(m.conds))
		m.f.filterCondition = &m.conds[0]
	}
	return m, nil
}

// value encodes one condition value as FWP_CONDITION_VALUE0: the Go type
// picks the FWP_DATA_TYPE.
func (m *filterMem) value(v any) (fwpConditionValue0, error) {
	switch v := v.(type) {
	case uint8:
		return fwpConditionValue0{typ: fwpUint8, value: uintptr(v)}, nil
	case uint16:
		return fwpConditionValue0{typ: fwpUint16, value: uintptr(v)}, nil
	case uint32:
		return fwpConditionValue0{typ: fwpUint32, value: uintptr(v)}, nil
	case uint64:
		p := new(uint64)
		*p = v
		m.keep = append(m.keep, p)
		return fwpConditionValue0{typ: fwpUint64, value: uintptr(unsafe.Pointer(p))}, nil
	case []byte:
		if len(v) == 0 {
			return fwpConditionValue0{}, fmt.Errorf("empty byte blob")
		}
		b := &fwpByteBlob{size: uint32(len(v)), data: &v[0]}
		m.keep = append(m.keep, b, v)
		return fwpConditionValue0{typ: fwpByteBlobType, value: uintptr(unsafe.Pointer(b))}, nil
	}
	return fwpConditionValue0{}, fmt.Errorf("unsupported value type %T", v)
}
