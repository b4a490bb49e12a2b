package firewall

import (
	"testing"
	"unsafe"
)

// TestLayout checks the mirrors against the 64-bit Windows layout of
// fwptypes.h and fwpmtypes.h (see the comment at the top of abi.go for
// how the numbers were obtained: LLP64 rules, cross-checked with
// x86_64-w64-mingw32-gcc sizeof/offsetof).
func TestLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("offsets are for 64-bit Windows")
	}
	var (
		dd   fwpmDisplayData0
		blob fwpByteBlob
		val  fwpValue0
		cval fwpConditionValue0
		cond fwpmFilterCondition0
		act  fwpmAction0
		f    fwpmFilter0
		sess fwpmSession0
		sub  fwpmSublayer0
	)
	tests := []struct {
		name      string
		got, want uintptr
	}{
		{"GUID size", unsafe.Sizeof(guid{}), 16},

		{"FWPM_DISPLAY_DATA0 size", unsafe.Sizeof(dd), 16},
		{"FWPM_DISPLAY_DATA0.description", unsafe.Offsetof(dd.description), 8},

		{"FWP_BYTE_BLOB size", unsafe.Sizeof(blob), 16},
		{"FWP_BYTE_BLOB.data", unsafe.Offsetof(blob.data), 8},

		{"FWP_VALUE0 size", unsafe.Sizeof(val), 16},
		{"FWP_VALUE0 union", unsafe.Offsetof(val.value), 8},
		{"FWP_CONDITION_VALUE0 size", unsafe.Sizeof(cval), 16},
		{"FWP_CONDITION_VALUE0 union", unsafe.Offsetof(cval.value), 8},

		{"FWPM_FILTER_CONDITION0 size", unsafe.Sizeof(cond), 40},
		{"FWPM_FILTER_CONDITION0.matchType", unsafe.Offsetof(cond.matchType), 16},
		{"FWPM_FILTER_CONDITION0.conditionValue", unsafe.Offsetof(cond.conditionValue), 24},

		{"FWPM_ACTION0 size", unsafe.Sizeof(act), 20},
		{"FWPM_ACTION0 union", unsafe.Offsetof(act.filterType), 4},
		{"FWPM_ACTION0 alignment", unsafe.Alignof(act), 4},

		{"FWPM_FILTER0 size", unsafe.Sizeof(f), 200},
		{"FWPM_FILTER0.displayData", unsafe.Offsetof(f.displayData), 16},
		{"FWPM_FILTER0.flags", unsafe.Offsetof(f.flags), 32},
		{"FWPM_FILTER0.providerKey", unsafe.Offsetof(f.providerKey), 40},
		{"FWPM_FILTER0.providerData", unsafe.Offsetof(f.providerData), 48},
		{"FWPM_FILTER0.layerKey", unsafe.Offsetof(f.layerKey), 64},
		{"FWPM_FILTER0.subLayerKey", unsafe.Offsetof(f.subLayerKey), 80},
		{"FWPM_FILTER0.weight", unsafe.Offsetof(f.weight), 96},
		{"FWPM_FILTER0.numFilterConditions", unsafe.Offsetof(f.numFilterConditions), 112},
		{"FWPM_FILTER0.filterCondition", unsafe.Offsetof(f.filterCondition), 120},
		{"FWPM_FILTER0.action", unsafe.Offsetof(f.action), 128},
		{"FWPM_FILTER0 rawContext union", unsafe.Offsetof(f.providerContext), 152},
		{"FWPM_FILTER0.reserved", unsafe.Offsetof(f.reserved), 168},
		{"FWPM_FILTER0.filterId", unsafe.Offsetof(f.filterID), 176},
		{"FWPM_FILTER0.effectiveWeight", unsafe.Offsetof(f.effectiveWeight), 184},

		{"FWPM_SESSION0 size", unsafe.Sizeof(sess), 72},
		{"FWPM_SESSION0.displayData", unsafe.Offsetof(sess.displayData), 16},
		{"FWPM_SESSION0.flags", unsafe.Offsetof(sess.flags), 32},
		{"FWPM_SESSION0.txnWaitTimeoutInMSec", unsafe.Offsetof(sess.txnWaitTimeoutInMSec), 36},
		{"FWPM_SESSION0.processId", unsafe.Offsetof(sess.processID), 40},
		{"FWPM_SESSION0.sid", unsafe.Offsetof(sess.sid), 48},
		{"FWPM_SESSION0.username", unsafe.Offsetof(sess.username), 56},
		{"FWPM_SESSION0.kernelMode", unsafe.Offsetof(sess.kernelMode), 64},

		{"FWPM_SUBLAYER0 size", unsafe.Sizeof(sub), 72},
		{"FWPM_SUBLAYER0.displayData", unsafe.Offsetof(sub.displayData), 16},
		{"FWPM_SUBLAYER0.flags", unsafe.Offsetof(sub.flags), 32},
		{"FWPM_SUBLAYER0.providerKey", unsafe.Offsetof(sub.providerKey), 40},
		{"FWPM_SUBLAYER0.providerData", unsafe.Offsetof(sub.providerData), 48},
		{"FWPM_SUBLAYER0.weight", unsafe.Offsetof(sub.weight), 64},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}

// TestGUIDs checks each GUID literal against the text form fwpmu.h gives
// in the comment above its DEFINE_GUID (Windows SDK um/fwpmu.h).
func TestGUIDs(t *testing.T) {
	tests := []struct {
		name string
		g    guid
		want string
	}{
		{"FWPM_LAYER_ALE_AUTH_CONNECT_V4", layerALEAuthConnectV4, "c38d57d1-05a7-4c33-904f-7fbceee60e82"},
		{"FWPM_LAYER_ALE_AUTH_CONNECT_V6", layerALEAuthConnectV6, "4a72393b-319f-44bc-84c3-ba54dcb3b6b4"},
		{"FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4", layerALEAuthRecvAcceptV4, "e1cd9fe7-f4b5-4273-96c0-592e487b8650"},
		{"FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V6", layerALEAuthRecvAcceptV6, "a3b42c97-9f04-4672-b87e-cee9c483257f"},
		{"FWPM_CONDITION_ALE_APP_ID", conditionALEAppID, "d78e1e87-8644-4ea5-9437-d809ecefc971"},
		{"FWPM_CONDITION_IP_LOCAL_INTERFACE", conditionIPLocalInterface, "4cd62a49-59c3-4969-b7f3-bda5d32890a4"},
		{"FWPM_CONDITION_FLAGS", conditionFlags, "632ce23b-5167-435c-86d7-e903684aa80c"},
		{"FWPM_CONDITION_IP_PROTOCOL", conditionIPProtocol, "3971ef2b-623e-4f9a-8cb1-6e79b806b9a7"},
		{"FWPM_CONDITION_IP_LOCAL_PORT", conditionIPLocalPort, "0c1ba1af-5765-453f-af22-a8f791ac775b"},
		{"FWPM_CONDITION_ICMP_TYPE (= IP_LOCAL_PORT)", conditionICMPType, "0c1ba1af-5765-453f-af22-a8f791ac775b"},
		{"FWPM_CONDITION_IP_REMOTE_PORT", conditionIPRemotePort, "c35a604d-d22b-4e1a-91b4-68f674ee674b"},
		{"our sublayer", sublayerKey, "0dd92809-c333-4079-96c5-3692249a6912"},
	}
	for _, tt := range tests {
		if got := tt.g.String(); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestConstants pins the enum and flag values of fwptypes.h, fwpmtypes.h
// and rpcdce.h that go into the structs.
func TestConstants(t *testing.T) {
	tests := []struct {
		name      string
		got, want uint64
	}{
		{"FWP_UINT8", fwpUint8, 1},
		{"FWP_UINT16", fwpUint16, 2},
		{"FWP_UINT32", fwpUint32, 3},
		{"FWP_UINT64", fwpUint64, 4},
		{"FWP_BYTE_BLOB_TYPE", fwpByteBlobType, 12},
		{"FWP_MATCH_EQUAL", fwpMatchEqual, 0},
		{"FWP_MATCH_FLAGS_ALL_SET", fwpMatchFlagsAll, 6},
		{"FWP_ACTION_BLOCK", fwpActionBlock, 0x1001},
		{"FWP_ACTION_PERMIT", fwpActionPermit, 0x1002},
		{"FWP_CONDITION_FLAG_IS_LOOPBACK", fwpConditionFlagLoopback, 1},
		{"FWPM_SESSION_FLAG_DYNAMIC", fwpmSessionFlagDynamic, 1},
		{"RPC_C_AUTHN_WINNT", rpcCAuthnWinNT, 10},
		{"FWP_E_ALREADY_EXISTS", fwpEAlreadyExists, 0x80320009},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %#x, want %#x", tt.name, tt.got, tt.want)
		}
	}
}
