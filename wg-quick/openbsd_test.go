package wgquick

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/bsd"
	"github.com/wgshim/wgshim/platform/openbsd/ifwg"
	"github.com/wgshim/wgshim/platform/openbsd/quick"
	"github.com/wgshim/wgshim/wg-quick/config"
)

// fakeOpenBSD is an OpenBSDHost answering with fixed facts and recording
// the steps it performs.
type fakeOpenBSD struct {
	up, down *quick.Facts
	done     []quick.Step
	closed   bool
}

func (f *fakeOpenBSD) GatherUp(*config.Config, *wgtypes.Config) (*quick.Facts, error) {
	return f.up, nil
}
func (f *fakeOpenBSD) GatherDown(*config.Config) (*quick.Facts, error) { return f.down, nil }
func (f *fakeOpenBSD) Close() error                                    { f.closed = true; return nil }
func (f *fakeOpenBSD) Do(_ context.Context, s quick.Step) (*quick.Step, error) {
	f.done = append(f.done, s)
	return s.Undo, nil
}

func TestMainOpenBSDDryRun(t *testing.T) {
	h := &fakeOpenBSD{
		up: &quick.Facts{
			Existing:     []ifwg.Iface{{Name: "wg0", Description: "wg-quick: other"}},
			EndpointMTUs: []int{1500}, DefaultMTU: 1500, Resolvd: true,
			Gateways: bsd.Gateways{V4: netip.MustParseAddr("198.51.100.1"), V6: netip.MustParseAddr("fe80::1%em0")},
		},
		down: &quick.Facts{Existing: []ifwg.Iface{{Name: "wg3", Description: "wg-quick: wg0"}}, DNSBackup: true},
	}
	code, stderr := bsdDryRun(t, "openbsd", bsdFullTunnel, "up", nil, h)
	if code != 0 {
		t.Fatalf("up: exit %d: %s", code, stderr)
	}
	checkGolden(t, "main-openbsd-up-full-tunnel", stderr)
	if len(h.done) != 0 || !h.closed {
		t.Errorf("dry run performed %d steps, closed %v", len(h.done), h.closed)
	}
	code, stderr = bsdDryRun(t, "openbsd", bsdFullTunnel, "down", nil, h)
	if code != 0 {
		t.Fatalf("down: exit %d: %s", code, stderr)
	}
	checkGolden(t, "main-openbsd-down", stderr)
}

func TestMainOpenBSDErrors(t *testing.T) {
	tests := []struct {
		name, verb, conf, want string
	}{
		{"save", "save", bsdFullTunnel, "not implemented on OpenBSD"},
		{"named table", "up", strings.Replace(bsdFullTunnel, "[Peer]", "Table = vpn\n\n[Peer]", 1), "not names"},
		{"already up", "up", bsdFullTunnel, "already exists as `wg5'"},
		{"not up", "down", bsdFullTunnel, "is not a WireGuard interface"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &fakeOpenBSD{
				up:   &quick.Facts{Existing: []ifwg.Iface{{Name: "wg5", Description: "wg-quick: wg0"}}},
				down: &quick.Facts{},
			}
			code, stderr := bsdDryRun(t, "openbsd", tt.conf, tt.verb, nil, h)
			if code != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q, want %q", code, stderr, tt.want)
			}
		})
	}
}
