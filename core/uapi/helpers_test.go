package uapi

import (
	"bufio"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/wgshim/wgshim/core/wgtypes"
)

// Keys of the spec's example exchange (uapi.md §9).
const (
	hexPriv = "b81df89cc9533b9941ea1b3f5fb2c8cac464441a88c3105f28ce08c9a5052c46"
	hexPub  = "3ffce19aa715baf360f7664e10f2d53b28d8782340ec1f421ef06ac165f7c944"
	hexPub2 = "5d7920b9c8d8c5d3c1e4b2f3a6e7d8c9b0a1f2e3d4c5b6a7988776655443322a"
	hexPSK  = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	hexZero = "0000000000000000000000000000000000000000000000000000000000000000"
)

// cmpOpts treats nil and empty slices alike and compares netip values and
// times by value.
var cmpOpts = []cmp.Option{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b }),
}

func hexKey(t testing.TB, s string) wgtypes.Key {
	t.Helper()
	k, err := wgtypes.ParseHexKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keyPtr(t testing.TB, s string) *wgtypes.Key {
	k := hexKey(t, s)
	return &k
}

func ptr[T any](v T) *T { return &v }

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func pfxs(ss ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, pfx(s))
	}
	return out
}

func reader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }
