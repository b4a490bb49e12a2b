package rtnl

import (
	"errors"
	"os"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ipRules returns `ip -N -j [-6] rule` output as Rules. iproute2 prints
// "not" as a key with a null value, and a mask other than all ones as
// "fwmask".
func (n *netns) ipRules(t *testing.T, f Family) []Rule {
	t.Helper()
	var raw []map[string]any
	fam := "-4"
	if f == IPv6 {
		fam = "-6"
	}
	n.ip(t, &raw, fam, "rule", "show")
	var out []Rule
	for _, m := range raw {
		r := Rule{Family: f, Action: ActionToTable}
		if v, ok := m["priority"].(float64); ok {
			r.Priority = uint32(v)
		}
		if _, ok := m["not"]; ok {
			r.Invert = true
		}
		if s, ok := m["table"].(string); ok {
			v, err := strconv.ParseUint(s, 10, 32)
			if err != nil {
				t.Fatalf("ip rule table %q: %v", s, err)
			}
			r.Table = uint32(v)
		}
		if s, ok := m["fwmark"].(string); ok {
			v, err := strconv.ParseUint(s, 0, 32)
			if err != nil {
				t.Fatalf("ip rule fwmark %q: %v", s, err)
			}
			r.Mark, r.Mask = uint32(v), 0xffffffff
		}
		if s, ok := m["fwmask"].(string); ok {
			v, err := strconv.ParseUint(s, 0, 32)
			if err != nil {
				t.Fatalf("ip rule fwmask %q: %v", s, err)
			}
			r.Mask = uint32(v)
		}
		if v, ok := m["suppress_prefixlen"].(float64); ok {
			r.Suppress, r.SuppressPrefixLen = true, uint32(v)
		}
		out = append(out, r)
	}
	return out
}

func TestNetnsRules(t *testing.T) {
	n := newNetns(t)
	c := n.c
	const T = 51820
	// FamilyAll is exactly IPv4 then IPv6: the kernel also dumps its
	// multicast-routing rules (families 128 and 129), which must not leak.
	all, err := c.Rules(FamilyAll)
	if err != nil {
		t.Fatal(err)
	}
	want := append(n.ipRules(t, IPv4), n.ipRules(t, IPv6)...)
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("Rules(FamilyAll) vs ip -4 rule + ip -6 rule (-ip +ours):\n%s", diff)
	}
	for _, f := range []Family{IPv4, IPv6} {
		before, err := c.Rules(f)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(n.ipRules(t, f), before); diff != "" {
			t.Errorf("%v: default Rules vs ip rule (-ip +ours):\n%s", f, diff)
		}

		// What wg-quick adds for a full tunnel, in its order.
		a := Rule{Family: f, Invert: true, Mark: T, Table: T}
		b := Rule{Family: f, Table: TableMain, Suppress: true}
		extra := Rule{Family: f, Priority: 1000, Mark: 0x10, Mask: 0xf0, Table: 7}
		for _, r := range []Rule{a, b, extra} {
			if err := c.AddRule(r); err != nil {
				t.Fatal(err)
			}
		}
		// NLM_F_EXCL catches a duplicate only when the priority is given:
		// without one the copy gets a fresh priority and differs
		// (net/core/fib_rules.c rule_exists compares pref).
		if err := c.AddRule(extra); !errors.Is(err, os.ErrExist) {
			t.Errorf("%v: duplicate AddRule: err = %v, want os.ErrExist", f, err)
		}
		got, err := c.Rules(f)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(n.ipRules(t, f), got); diff != "" {
			t.Errorf("%v: Rules vs ip rule (-ip +ours):\n%s", f, diff)
		}
		// The kernel places a rule without priority just above the first
		// rule after "local": A lands at 32765, then B above it at 32764,
		// so the suppress rule is consulted first (linux-netlink.md §5.5).
		prio := map[string]uint32{}
		for _, r := range got {
			switch {
			case r.Invert && r.Mark == T && r.Table == T:
				prio["a"] = r.Priority
			case r.Suppress && r.SuppressPrefixLen == 0 && r.Table == TableMain:
				prio["b"] = r.Priority
			case r.Mark == 0x10 && r.Mask == 0xf0 && r.Table == 7:
				prio["extra"] = r.Priority
			}
		}
		if want := map[string]uint32{"a": 32765, "b": 32764, "extra": 1000}; !cmp.Equal(prio, want) {
			t.Errorf("%v: priorities %v, want %v", f, prio, want)
		}

		// wg-quick's teardown: delete while present.
		for _, r := range []Rule{{Family: f, Table: T}, {Family: f, Table: TableMain, Suppress: true}, extra} {
			deleted := 0
			for {
				err := c.DeleteRule(r)
				if errors.Is(err, os.ErrNotExist) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				deleted++
			}
			if deleted != 1 {
				t.Errorf("%v: deleted %d rules matching %v, want 1", f, deleted, r)
			}
		}
		after, err := c.Rules(f)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("%v: rules after teardown (-before +after):\n%s", f, diff)
		}
	}
}
