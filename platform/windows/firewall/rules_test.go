package firewall

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

var testAppID = []byte{'\\', 0, 'd', 0, 0, 0} // shape of a real one: UTF-16, NUL-terminated

// byLayer renders fs as one line per filter, grouped by layer.
func byLayer(fs []filter) map[layer][]string {
	m := map[layer][]string{}
	for _, f := range fs {
		var conds []string
		for _, c := range f.conds {
			conds = append(conds, c.String())
		}
		m[f.layer] = append(m[f.layer], strings.TrimSpace(fmt.Sprintf("%s: w%d %s", f.name, f.weight, strings.Join(conds, " "))))
	}
	return m
}

// The filters common to both options, per layer.
var (
	wantV4Connect = []string{
		"permit own program (v4 connect): w15 app_id==<6 bytes>",
		"permit tunnel interface (v4 connect): w15 local_interface==0x600000001",
		"permit loopback (v4 connect): w15 flags&1",
		"permit DHCPv4 (v4 connect): w15 protocol==17 local_port==68 remote_port==67",
	}
	wantV4Accept = []string{
		"permit own program (v4 accept): w15 app_id==<6 bytes>",
		"permit tunnel interface (v4 accept): w15 local_interface==0x600000001",
		"permit loopback (v4 accept): w15 flags&1",
		"permit DHCPv4 (v4 accept): w15 protocol==17 local_port==68 remote_port==67",
	}
	wantV6Connect = []string{
		"permit own program (v6 connect): w15 app_id==<6 bytes>",
		"permit tunnel interface (v6 connect): w15 local_interface==0x600000001",
		"permit loopback (v6 connect): w15 flags&1",
		"permit DHCPv6 (v6 connect): w15 protocol==17 local_port==546 remote_port==547",
		"permit NDP type 133 (v6 connect): w15 protocol==58 icmp_type==133",
		"permit NDP type 134 (v6 connect): w15 protocol==58 icmp_type==134",
		"permit NDP type 135 (v6 connect): w15 protocol==58 icmp_type==135",
		"permit NDP type 136 (v6 connect): w15 protocol==58 icmp_type==136",
	}
	wantV6Accept = []string{
		"permit own program (v6 accept): w15 app_id==<6 bytes>",
		"permit tunnel interface (v6 accept): w15 local_interface==0x600000001",
		"permit loopback (v6 accept): w15 flags&1",
		"permit DHCPv6 (v6 accept): w15 protocol==17 local_port==546 remote_port==547",
		"permit NDP type 133 (v6 accept): w15 protocol==58 icmp_type==133",
		"permit NDP type 134 (v6 accept): w15 protocol==58 icmp_type==134",
		"permit NDP type 135 (v6 accept): w15 protocol==58 icmp_type==135",
		"permit NDP type 136 (v6 accept): w15 protocol==58 icmp_type==136",
	}
)

func cat(parts ...[]string) []string { return slices.Concat(parts...) }

func TestBuildFilters(t *testing.T) {
	const luid = 0x0000000600000001 // made up
	tests := []struct {
		name string
		opts Options
		want map[layer][]string
	}{
		{
			name: "tunnel only",
			opts: Options{TunnelLUID: luid},
			want: map[layer][]string{
				connectV4: cat(wantV4Connect, []string{"block all (v4 connect): w0"}),
				acceptV4:  cat(wantV4Accept, []string{"block all (v4 accept): w0"}),
				connectV6: cat(wantV6Connect, []string{"block all (v6 connect): w0"}),
				acceptV6:  cat(wantV6Accept, []string{"block all (v6 accept): w0"}),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := buildFilters(tt.opts, testAppID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, byLayer(fs)); diff != "" {
				t.Errorf("filters (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildFiltersErrors(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		appID []byte
		want  string
	}{
		{"no LUID", Options{}, testAppID, "firewall: tunnel LUID is 0"},
		{"no app id", Options{TunnelLUID: 1}, nil, "firewall: empty application id"},
	}
	for _, tt := range tests {
		_, err := buildFilters(tt.opts, tt.appID)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestWeights checks the arbitration the kill switch relies on: on every
// layer one unconditional block, below every permit.
func TestWeights(t *testing.T) {
	fs, err := buildFilters(Options{TunnelLUID: 7}, testAppID)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range allLayers {
		var blocks int
		minPermit := uint8(255)
		maxBlock := uint8(0)
		for _, f := range fs {
			if f.layer != l {
				continue
			}
			if f.weight > maxWeightRange {
				t.Errorf("%s: weight %d is not a weight range (0..15)", f.name, f.weight)
			}
			switch f.action {
			case permit:
				minPermit = min(minPermit, f.weight)
			case block:
				blocks++
				maxBlock = max(maxBlock, f.weight)
				if len(f.conds) != 0 {
					t.Errorf("%s: block has conditions %v", f.name, f.conds)
				}
			}
		}
		if blocks != 1 {
			t.Errorf("%s: %d blocks, want 1", l, blocks)
		}
		if minPermit <= maxBlock {
			t.Errorf("%s: lowest permit weight %d <= block weight %d", l, minPermit, maxBlock)
		}
	}
}

// TestConditionTypes checks that every condition carries the data type
// "Filtering condition identifiers" documents for its field.
func TestConditionTypes(t *testing.T) {
	wantType := map[field]uint32{
		fieldAppID:          fwpByteBlobType,
		fieldLocalInterface: fwpUint64,
		fieldFlags:          fwpUint32,
		fieldProtocol:       fwpUint8,
		fieldLocalPort:      fwpUint16,
		fieldICMPType:       fwpUint16,
		fieldRemotePort:     fwpUint16,
	}
	fs, err := buildFilters(Options{TunnelLUID: 7}, testAppID)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range fs {
		if names[f.name] {
			t.Errorf("filter name %q used twice", f.name)
		}
		names[f.name] = true
		m, err := f.memory(sublayerKey)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		for i, c := range f.conds {
			got := m.conds[i].conditionValue.typ
			want, ok := wantType[c.field]
			if !ok || got != want {
				t.Errorf("%s: %s has FWP data type %#x, want %#x", f.name, c.field, got, want)
			}
		}
	}
}

// TestFilterMemory checks the conversion of one filter to the C layout:
// inline integers, pointers to the kept values, and the filter header.
func TestFilterMemory(t *testing.T) {
	f := filter{
		name:   "permit test (v6 accept)",
		layer:  acceptV6,
		action: permit,
		weight: 15,
		conds: []condition{
			{fieldAppID, matchEqual, testAppID},
			{fieldLocalInterface, matchEqual, uint64(0x0123456789abcdef)},
			{fieldFlags, matchFlagsAllSet, uint32(1)},
			{fieldProtocol, matchEqual, uint8(58)},
			{fieldICMPType, matchEqual, uint16(135)},
		},
	}
	m, err := f.memory(sublayerKey)
	if err != nil {
		t.Fatal(err)
	}
	if m.f.layerKey != layerALEAuthRecvAcceptV6 || m.f.subLayerKey != sublayerKey {
		t.Errorf("layer/sublayer = %s/%s", m.f.layerKey, m.f.subLayerKey)
	}
	if m.f.weight != (fwpValue0{typ: fwpUint8, value: 15}) {
		t.Errorf("weight = %+v, want FWP_UINT8 15", m.f.weight)
	}
	if m.f.action.typ != fwpActionPermit {
		t.Errorf("action = %#x, want FWP_ACTION_PERMIT", m.f.action.typ)
	}
	if m.f.numFilterConditions != 5 || m.f.filterCondition != &m.conds[0] {
		t.Errorf("conditions = %d at %p, want 5 at %p", m.f.numFilterConditions, m.f.filterCondition, &m.conds[0])
	}
	if got := string(utf16.Decode(m.name)); got != f.name+"\x00" || m.f.displayData.name != &m.name[0] {
		t.Errorf("display name = %q", got)
	}
	if m.f.providerKey != nil || m.f.flags != 0 {
		t.Errorf("provider/flags set: %v %#x", m.f.providerKey, m.f.flags)
	}

	c := m.conds
	if c[0].fieldKey != conditionALEAppID || c[0].conditionValue.typ != fwpByteBlobType {
		t.Errorf("app id condition = %+v", c[0])
	}
	blob, ok := m.keep[0].(*fwpByteBlob)
	if !ok || c[0].conditionValue.value != uintptr(unsafe.Pointer(blob)) || blob.size != uint32(len(testAppID)) || blob.data != &testAppID[0] {
		t.Errorf("app id blob = %+v (kept %T)", blob, m.keep[0])
	}
	var luid *uint64
	for _, k := range m.keep {
		if p, ok := k.(*uint64); ok {
			luid = p
		}
	}
	if c[1].fieldKey != conditionIPLocalInterface || c[1].conditionValue.typ != fwpUint64 ||
		luid == nil || *luid != 0x0123456789abcdef || c[1].conditionValue.value != uintptr(unsafe.Pointer(luid)) {
		t.Errorf("LUID condition = %+v", c[1])
	}
	inline := []struct {
		i          int
		key        guid
		match, typ uint32
		value      uintptr
	}{
		{2, conditionFlags, fwpMatchFlagsAll, fwpUint32, 1},
		{3, conditionIPProtocol, fwpMatchEqual, fwpUint8, 58},
		{4, conditionIPLocalPort, fwpMatchEqual, fwpUint16, 135},
	}
	for _, w := range inline {
		g := c[w.i]
		if g.fieldKey != w.key || g.matchType != w.match || g.conditionValue.typ != w.typ || g.conditionValue.value != w.value {
			t.Errorf("condition %d = {%s %d %#x %d}, want {%s %d %#x %d}", w.i,
				g.fieldKey, g.matchType, g.conditionValue.typ, g.conditionValue.value, w.key, w.match, w.typ, w.value)
		}
	}

	b, err := filter{name: "block all (v4 connect)", layer: connectV4, action: block}.memory(sublayerKey)
	if err != nil {
		t.Fatal(err)
	}
	if b.f.action.typ != fwpActionBlock || b.f.numFilterConditions != 0 || b.f.filterCondition != nil || b.f.layerKey != layerALEAuthConnectV4 {
		t.Errorf("block filter = %+v", b.f)
	}
}

func TestFilterMemoryErrors(t *testing.T) {
	tests := []filter{
		{name: "no action", layer: connectV4},
		{name: "bad value", layer: connectV4, action: permit, conds: []condition{{fieldProtocol, matchEqual, 17}}},
		{name: "empty blob", layer: connectV4, action: permit, conds: []condition{{fieldAppID, matchEqual, []byte{}}}},
	}
	for _, f := range tests {
		if _, err := f.memory(sublayerKey); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("filter %q", f.name)) {
			t.Errorf("%s: err = %v, want one naming the filter", f.name, err)
		}
	}
}
