package wg

import (
	"strings"
	"testing"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// On OpenBSD wg-quick's configuration name is not the interface name;
// the pretty output shows it next to the wgN, as wg-quick's users expect.
func TestShowAlias(t *testing.T) {
	priv, _ := wgtypes.GeneratePrivateKey()
	b := &fakeBackend{names: []string{"wg1"}, devs: map[string]*wgtypes.Device{
		"wg1": {Name: "wg1", Alias: "office", PrivateKey: priv, PublicKey: priv.PublicKey(), ListenPort: 51820},
	}}
	out, _, code := run{args: []string{"show", "wg1"}, env: map[string]string{"WG_COLOR_MODE": "never"}}.do(b)
	if code != 0 || !strings.HasPrefix(out, "interface: wg1 (office)\n") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	// Machine-readable forms keep the plain interface name.
	out, _, _ = run{args: []string{"show", "wg1", "dump"}}.do(b)
	if strings.Contains(out, "office") {
		t.Fatalf("dump mentions the alias:\n%s", out)
	}
}
