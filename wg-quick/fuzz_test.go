package wgquick

import (
	"context"
	"errors"
	"io/fs"
	"net/netip"
	"strings"
	"testing"

	"github.com/wgshim/wgshim/wg-quick/config"
)

// FuzzPlanUpDown parses a configuration, plans `up` on a fake host, runs
// it, plans and runs `down`, and requires the host to be as before; and
// failing the middle step must unwind to the same state.
func FuzzPlanUpDown(f *testing.F) {
	for _, pc := range planCases {
		if pc.file == "" {
			f.Add(pc.conf)
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		c, err := config.ParseINI("wg0.conf", []byte(src))
		if err != nil {
			return
		}
		c.Name = "wg0"
		wc, err := c.WGConfig(context.Background(), config.ResolverFunc(func(context.Context, string, string) (netip.AddrPort, error) {
			return netip.MustParseAddrPort("192.0.2.1:51820"), nil
		}))
		if err != nil {
			return
		}
		for _, fail := range []bool{false, true} {
			h := baseHost()
			h.Installed["resolvectl"] = true
			before := h.State()
			fu, err := GatherUp(h, "wg0", &wc, tableOf(c), NeedsDefaultRoute(c))
			if errors.Is(err, fs.ErrNotExist) {
				return // a Table name the host does not know: refused, as it should be
			}
			if err != nil {
				t.Fatal(err)
			}
			plan, err := PlanUp(c, &wc, fu)
			if err != nil {
				return // e.g. a table name not in rt_tables
			}
			if fail {
				h.FailAt = len(plan)/2 + 1
			}
			r := &Runner{Exec: h, Stderr: new(strings.Builder)}
			if _, err := r.Run(context.Background(), "up", "wg0", plan); err != nil {
				if !fail {
					t.Fatalf("up: %v\nplan:\n%s", err, formatPlan(plan))
				}
				if s := h.State(); s != before {
					t.Fatalf("failed up left\n%s", s)
				}
				continue
			}
			fd, err := GatherDown(h, "wg0")
			if err != nil {
				t.Fatal(err)
			}
			down, err := PlanDown(c, fd)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Run(context.Background(), "down", "wg0", down); err != nil {
				t.Fatalf("down: %v", err)
			}
			if s := h.State(); s != before {
				t.Fatalf("after up and down:\n%s\nplan:\n%s", s, formatPlan(plan))
			}
		}
	})
}

func BenchmarkPlanUp(b *testing.B) {
	c, wc := planCases[1].load(b)
	h := baseHost()
	f, err := GatherUp(h, "wg0", wc, "", NeedsDefaultRoute(c))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PlanUp(c, wc, f); err != nil {
			b.Fatal(err)
		}
	}
}
