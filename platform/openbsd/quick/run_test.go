package quick

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/platform/bsd"
)

// fakeHost models what the steps change: interfaces with addresses, MTU
// and state, routes, DNS, monitors, and the hooks run.
type fakeHost struct {
	ifaces   map[string]bool
	addrs    map[string][]netip.Prefix
	routes   map[bsd.Route]bool
	dns      string
	monitors int
	hooks    []string
	failAt   int // fail the n-th Do (1-based); 0 never
	calls    int
}

func newFakeHost() *fakeHost {
	return &fakeHost{ifaces: map[string]bool{}, addrs: map[string][]netip.Prefix{}, routes: map[bsd.Route]bool{}}
}

var errInjected = errors.New("injected failure")

func (h *fakeHost) Do(_ context.Context, s Step) (*Step, error) {
	h.calls++
	if h.calls == h.failAt {
		return nil, errInjected
	}
	switch s.Kind {
	case CreateIface:
		if h.ifaces[s.Iface] {
			return nil, fmt.Errorf("%s exists", s.Iface)
		}
		h.ifaces[s.Iface] = true
	case DestroyIface:
		if !h.ifaces[s.Iface] {
			return nil, fmt.Errorf("no %s", s.Iface)
		}
		delete(h.ifaces, s.Iface)
		delete(h.addrs, s.Iface)
		for r := range h.routes {
			if r.Iface == s.Iface {
				delete(h.routes, r) // routes via the interface go with it
			}
		}
	case Hook:
		h.hooks = append(h.hooks, s.Text)
	case AddAddress:
		h.addrs[s.Iface] = append(h.addrs[s.Iface], s.Prefix)
	case SetConfig, SetMTU, SetUp:
		if !h.ifaces[s.Iface] {
			return nil, fmt.Errorf("no %s", s.Iface)
		}
	case SetDNS:
		h.dns = s.Iface
	case UnsetDNS:
		h.dns = ""
	case AddRoute:
		h.routes[s.Route] = true
	case DeleteRoute:
		delete(h.routes, s.Route)
	case StartMonitor:
		h.monitors++
	default:
		return nil, fmt.Errorf("unexpected step %v", s.Kind)
	}
	return s.Undo, nil
}

func TestRunUnwindsEveryStep(t *testing.T) {
	c, wc := parse(t, "vpn", full)
	plan, err := PlanUp(c, wc, &Facts{Gateways: gw, Resolvd: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range plan {
		if s.Kind != Note {
			n++
		}
	}
	// A clean run first.
	h := newFakeHost()
	var out bytes.Buffer
	if _, err := (&Runner{Exec: h, Stderr: &out}).Run(context.Background(), "up", "vpn", plan); err != nil {
		t.Fatal(err)
	}
	if !h.ifaces["wg0"] || h.dns != "wg0" || len(h.routes) != 7 || h.monitors != 1 {
		t.Fatalf("after up: %+v", h)
	}
	if !strings.Contains(out.String(), "[+] Backgrounding route monitor\n") {
		t.Errorf("notes not printed:\n%s", out.String())
	}
	for k := 1; k <= n; k++ {
		h := newFakeHost()
		h.failAt = k
		var out bytes.Buffer
		_, err := (&Runner{Exec: h, Stderr: &out}).Run(context.Background(), "up", "vpn", plan)
		if !errors.Is(err, errInjected) {
			t.Fatalf("fail at %d: err %v", k, err)
		}
		if len(h.ifaces) != 0 || len(h.routes) != 0 || h.dns != "" {
			t.Errorf("fail at %d: left behind ifaces %v routes %v dns %q\n%s", k, slices.Collect(maps.Keys(h.ifaces)), h.routes, h.dns, out.String())
		}
	}
}

func TestRunBestEffortAndDryRun(t *testing.T) {
	plan := []Step{
		{Kind: Hook, Text: "a", Display: "a"},
		{Kind: UnsetDNS, Iface: "wg0", Display: "unset", BestEffort: true},
		{Kind: Hook, Text: "b", Display: "b"},
	}
	h := newFakeHost()
	h.failAt = 2
	var out bytes.Buffer
	if _, err := (&Runner{Exec: h, Stderr: &out}).Run(context.Background(), "down", "vpn", plan); err != nil {
		t.Fatalf("best-effort failure stopped the run: %v", err)
	}
	if !slices.Equal(h.hooks, []string{"a", "b"}) || !strings.Contains(out.String(), "[!] unset: injected failure") {
		t.Errorf("hooks %v, output:\n%s", h.hooks, out.String())
	}
	dry := newFakeHost()
	out.Reset()
	if _, err := (&Runner{Exec: dry, Stderr: &out, DryRun: true}).Run(context.Background(), "down", "vpn", plan); err != nil {
		t.Fatal(err)
	}
	if dry.calls != 0 || out.String() != "[#] a\n[#] unset\n[#] b\n" {
		t.Errorf("dry run: %d calls, output %q", dry.calls, out.String())
	}
}

func TestRunInterrupted(t *testing.T) {
	c, wc := parse(t, "home", basic)
	plan, err := PlanUp(c, wc, &Facts{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &cancelHost{fakeHost: newFakeHost(), cancel: cancel}
	undone, err := (&Runner{Exec: h, Stderr: &bytes.Buffer{}}).Run(ctx, "up", "home", plan)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if len(h.ifaces) != 0 || len(undone) != 1 || undone[0].Kind != DestroyIface {
		t.Errorf("after interrupt: ifaces %v, undone %+v", h.ifaces, undone)
	}
}

// cancelHost cancels the run after creating the interface.
type cancelHost struct {
	*fakeHost
	cancel func()
}

func (h *cancelHost) Do(ctx context.Context, s Step) (*Step, error) {
	u, err := h.fakeHost.Do(ctx, s)
	if s.Kind == CreateIface {
		h.cancel()
	}
	return u, err
}

// The monitor's state crosses a process boundary as JSON.
func TestMonitorStateJSON(t *testing.T) {
	c, wc := parse(t, "vpn", full)
	plan, err := PlanUp(c, wc, &Facts{Gateways: gw})
	if err != nil {
		t.Fatal(err)
	}
	var st *bsd.Endpoints
	for _, s := range plan {
		if s.Kind == StartMonitor {
			st = s.State
		}
	}
	if st == nil || len(st.Routes) != 2 || !st.Auto4 || !st.Auto6 {
		t.Fatalf("monitor state %+v", st)
	}
	js, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var back bsd.Endpoints
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*st, back, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
}
