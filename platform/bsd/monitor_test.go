package bsd

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeSystem is a routing table keyed by destination and a few settable
// answers.
type fakeSystem struct {
	exists   bool
	gw       Gateways
	eps      []netip.Addr
	routes   map[netip.Prefix]Route
	log      []string
	failAdd  map[netip.Prefix]bool
	gwErr    error
	existErr error
}

func newFake() *fakeSystem {
	return &fakeSystem{exists: true, gw: gw, routes: map[netip.Prefix]Route{}}
}

func (f *fakeSystem) IfaceExists() (bool, error)       { return f.exists, f.existErr }
func (f *fakeSystem) Gateways() (Gateways, error)      { return f.gw, f.gwErr }
func (f *fakeSystem) Endpoints() ([]netip.Addr, error) { return slices.Clone(f.eps), nil }
func (f *fakeSystem) AddRoute(r Route) error {
	f.log = append(f.log, r.AddCommand())
	if f.failAdd[r.Dst] {
		return errors.New("boom")
	}
	if _, ok := f.routes[r.Dst]; ok {
		return errors.New("route exists")
	}
	f.routes[r.Dst] = r
	return nil
}
func (f *fakeSystem) DeleteRoute(r Route) error {
	f.log = append(f.log, r.DeleteCommand())
	if _, ok := f.routes[r.Dst]; !ok {
		return errors.New("no such route")
	}
	delete(f.routes, r.Dst)
	return nil
}

func (f *fakeSystem) table() []string {
	var out []string
	for _, r := range f.routes {
		out = append(out, r.AddCommand())
	}
	slices.Sort(out)
	return out
}

func TestRunMonitor(t *testing.T) {
	sys := newFake()
	sys.eps = addrs("192.0.2.1")
	p := PlanRoutes(PlanInput{Iface: "wg0", AllowedIPs: pfx("0.0.0.0/0"), Endpoints: sys.eps, Gateways: sys.gw})
	if err := Apply(sys, Changes{Add: p.All()}); err != nil {
		t.Fatal(err)
	}
	sys.log = nil

	st := p.Endpoints
	step := func() bool {
		t.Helper()
		next, more, err := Handle(sys, st)
		if err != nil {
			t.Fatal(err)
		}
		st = next
		return more
	}
	// Nothing changed: nothing done.
	step()
	// The gateway moves: the endpoint route follows.
	sys.gw = Gateways{V4: netip.MustParseAddr("203.0.113.1")}
	step()
	// A second endpoint appears.
	sys.eps = addrs("192.0.2.1", "192.0.2.5")
	step()
	// The interface goes: the monitor stops, and RunMonitor cleans up.
	sys.exists = false
	if step() {
		t.Fatal("Handle goes on without the interface")
	}
	events := make(chan struct{}, 1)
	events <- struct{}{}
	final := RunMonitor(context.Background(), sys, st, events, t.Logf)
	want := []string{
		"route -q -n delete -inet 192.0.2.1",
		"route -q -n add -inet 192.0.2.1 -gateway 203.0.113.1",
		"route -q -n add -inet 192.0.2.5 -gateway 203.0.113.1",
		"route -q -n delete -inet 192.0.2.1",
		"route -q -n delete -inet 192.0.2.5",
	}
	if diff := cmp.Diff(want, sys.log); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
	// Only the /1 routes remain; they go with the interface.
	if diff := cmp.Diff([]string{
		"route -q -n add -inet 0.0.0.0/1 -interface wg0",
		"route -q -n add -inet 128.0.0.0/1 -interface wg0",
	}, sys.table()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
	if len(final.Routes) != 0 {
		t.Errorf("final state still has routes: %v", final.Routes)
	}
}

func TestRunMonitorStops(t *testing.T) {
	for _, tt := range []struct {
		name string
		stop func(cancel context.CancelFunc, events chan struct{})
	}{
		{"context", func(cancel context.CancelFunc, _ chan struct{}) { cancel() }},
		{"events closed", func(_ context.CancelFunc, events chan struct{}) { close(events) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sys := newFake()
			sys.eps = addrs("192.0.2.1")
			p := PlanRoutes(PlanInput{Iface: "wg0", AllowedIPs: pfx("0.0.0.0/0"), Endpoints: sys.eps, Gateways: sys.gw})
			if err := Apply(sys, Changes{Add: p.All()}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			events := make(chan struct{})
			done := make(chan struct{})
			go func() { RunMonitor(ctx, sys, p.Endpoints, events, nil); close(done) }()
			tt.stop(cancel, events)
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("monitor did not stop")
			}
			if _, ok := sys.routes[netip.MustParsePrefix("192.0.2.1/32")]; ok {
				t.Error("endpoint route left behind")
			}
		})
	}
}

func TestStepErrors(t *testing.T) {
	sys := newFake()
	sys.eps = addrs("192.0.2.1", "192.0.2.2")
	st := Endpoints{Auto4: true}
	sys.failAdd = map[netip.Prefix]bool{netip.MustParsePrefix("192.0.2.1/32"): true}
	next, ch, err := Step(sys, st)
	if err == nil {
		t.Fatal("Step hid a failed add")
	}
	// The other route is still added, as upstream's `|| true` goes on.
	if len(ch.Add) != 2 || len(sys.routes) != 1 {
		t.Errorf("changes %v, table %v", ch, sys.table())
	}
	if len(next.Routes) != 2 {
		t.Errorf("state %v", next.Routes)
	}
	sys.gwErr = errors.New("no routing socket")
	again, _, err := Step(sys, next)
	if err == nil || !cmp.Equal(again, next, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })) {
		t.Errorf("Step on a read error: err %v, state changed to %+v", err, again)
	}
}
