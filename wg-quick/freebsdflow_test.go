package wgquick

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/platform/bsd"
	"github.com/wgshim/wgshim/platform/openbsd/quick"
)

func TestFlowFor(t *testing.T) {
	tests := []struct {
		goos string
		want Flow
	}{
		{"linux", FlowLinux}, {"", FlowLinux}, {"darwin", FlowLinux},
		{"windows", FlowWindows}, {"freebsd", FlowFreeBSD}, {"openbsd", FlowOpenBSD},
	}
	for _, tt := range tests {
		if got := FlowFor(tt.goos); got != tt.want {
			t.Errorf("FlowFor(%q) = %d, want %d", tt.goos, got, tt.want)
		}
	}
}

func TestHidden(t *testing.T) {
	ptr := func(f func([]string) int) uintptr { return reflect.ValueOf(f).Pointer() }
	tests := []struct {
		args []string
		want func([]string) int
	}{
		{nil, nil},
		{[]string{"wg-quick"}, nil},
		{[]string{"wg-quick", "up", "wg0"}, nil},
		{[]string{"wg-quick", "__route-monitor", "wg0"}, nil},
		{[]string{"wg-quick", quick.MonitorArg, "wg0"}, quick.MonitorMain},
		{[]string{"wg-quick", FreeBSDMonitorArg, "wg0"}, FreeBSDMonitorMain},
	}
	for _, tt := range tests {
		got := Hidden(tt.args)
		if (got == nil) != (tt.want == nil) || got != nil && ptr(got) != ptr(tt.want) {
			t.Errorf("Hidden(%q) is not the expected main", tt.args)
		}
	}
}

// fakeFreeBSD is a FreeBSDHost answering from its fields and recording
// the ops it performs.
type fakeFreeBSD struct {
	links     []string // existing interfaces
	wg        []string // WireGuard interfaces
	userspace map[string]bool
	mtus      map[netip.Addr]int
	table     []bsd.TableEntry
	tableErr  error
	fibs      int
	done      []Op
	closed    bool
}

func (f *fakeFreeBSD) LinkExists(name string) (bool, error) {
	return slices.Contains(f.links, name), nil
}
func (f *fakeFreeBSD) WireGuardInterfaces() ([]string, error) {
	return f.wg, nil
}
func (f *fakeFreeBSD) Userspace(name string) bool { return f.userspace[name] }
func (f *fakeFreeBSD) RouteMTU(dst netip.Addr) (int, error) {
	m, ok := f.mtus[dst]
	if !ok {
		return 0, errors.New("no route")
	}
	return m, nil
}
func (f *fakeFreeBSD) RouteTable() ([]bsd.TableEntry, error) { return f.table, f.tableErr }
func (f *fakeFreeBSD) FIBs() (int, error)                    { return f.fibs, nil }
func (f *fakeFreeBSD) Close() error                          { f.closed = true; return nil }
func (f *fakeFreeBSD) Do(_ context.Context, op Op) (*Op, error) {
	f.done = append(f.done, op)
	return op.Undo, nil
}

var (
	gw4 = netip.MustParseAddr("198.51.100.1")
	gw6 = netip.MustParseAddr("fe80::1%em0")
)

func fullTunnelFreeBSDHost() *fakeFreeBSD {
	return &fakeFreeBSD{
		links: []string{"em0", "lo0"},
		mtus: map[netip.Addr]int{
			netip.MustParseAddr("192.0.2.1"): 9000,
			netip.IPv4Unspecified():          1500,
		},
		table: []bsd.TableEntry{
			{Dst: netip.MustParsePrefix("10.1.0.0/16"), Gateway: netip.MustParseAddr("10.1.0.1")},
			{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: gw4, Index: 1},
			{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("203.0.113.1"), Index: 1},
			{Dst: netip.MustParsePrefix("::/0"), Gateway: gw6, Index: 1},
		},
		fibs: 2,
	}
}

func TestGatherUpFreeBSD(t *testing.T) {
	_, wc := planCase{conf: freebsdCases[0].conf}.load(t)
	tests := []struct {
		name string
		host *fakeFreeBSD
		want FreeBSDFacts
	}{{
		name: "full",
		host: fullTunnelFreeBSDHost(),
		want: FreeBSDFacts{Iface: "wg0", EndpointMTUs: []int{9000}, DefaultMTU: 1500,
			Gateways: bsd.Gateways{V4: gw4, V6: gw6}, FIBs: 2},
	}, {
		name: "exists, no routes, no table",
		host: &fakeFreeBSD{links: []string{"wg0"}, tableErr: errors.New("sysctl: denied"), fibs: 1},
		want: FreeBSDFacts{Iface: "wg0", LinkExists: true, FIBs: 1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := GatherUpFreeBSD(tt.host, "wg0", wc)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, *got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
				t.Errorf("facts (-want +got):\n%s", d)
			}
		})
	}
}

func TestGatherDownFreeBSD(t *testing.T) {
	tests := []struct {
		name string
		host *fakeFreeBSD
		want FreeBSDFacts
	}{
		{"kernel", &fakeFreeBSD{wg: []string{"wg1", "wg0"}}, FreeBSDFacts{Iface: "wg0", IsWireGuard: true}},
		{"userspace", &fakeFreeBSD{wg: []string{"wg0"}, userspace: map[string]bool{"wg0": true}},
			FreeBSDFacts{Iface: "wg0", IsWireGuard: true, Userspace: true}},
		{"absent", &fakeFreeBSD{wg: []string{"wg1"}, userspace: map[string]bool{"wg0": true}}, FreeBSDFacts{Iface: "wg0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := GatherDownFreeBSD(tt.host, "wg0")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestFreeBSDUpPlanMonitor(t *testing.T) {
	for _, tc := range freebsdCases {
		t.Run(tc.name, func(t *testing.T) {
			c, wc := planCase{conf: tc.conf}.load(t)
			f := tc.facts
			f.Iface = "wg0"
			base, err := PlanUpFreeBSD(c, wc, &f)
			if err != nil {
				t.Fatal(err)
			}
			p, err := FreeBSDUpPlan(c, wc, &f)
			if err != nil {
				t.Fatal(err)
			}
			var mons []int
			for i, op := range p.Ops {
				if isMonitorOp(op) {
					mons = append(mons, i)
				}
			}
			if base.Monitor == nil {
				if len(mons) != 0 || len(p.Ops) != len(base.Ops) {
					t.Fatalf("monitor started without a default route taken over: %v", mons)
				}
				return
			}
			if len(mons) != 1 || len(p.Ops) != len(base.Ops)+1 {
				t.Fatalf("want one monitor op, got at %v", mons)
			}
			at := mons[0]
			if want := len(base.Ops) - len(c.Interface.PostUp); at != want {
				t.Errorf("monitor at %d, want %d (before the PostUp hooks)", at, want)
			}
			if op := p.Ops[at]; op.Undo != nil || op.Iface != "wg0" || op.Cmds[0].Args[1] != "wg0" {
				t.Errorf("monitor op %+v", op)
			}
			var st bsd.Endpoints
			if err := json.Unmarshal([]byte(p.Ops[at].Cmds[0].Stdin), &st); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(*base.Monitor, st, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
				cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
				t.Errorf("monitor state does not round-trip (-want +got):\n%s", d)
			}
			// Every route(8) step must be one the executor can perform
			// through the routing socket.
			for _, op := range p.Ops {
				for _, o := range []*Op{&op, op.Undo} {
					if o == nil || o.Kind != Exec || o.Cmds[0].Args[0] != "route" {
						continue
					}
					if _, _, err := ParseRouteArgs(o.Cmds[0].Args); err != nil {
						t.Errorf("%s: %v", o.Display, err)
					}
				}
			}
		})
	}
}

// bsdDryRun runs `wg-quick --dry-run VERB wg0.conf` for goos with the
// given hosts and returns the exit status and stderr.
func bsdDryRun(t *testing.T, goos, conf, verb string, fb *fakeFreeBSD, ob *fakeOpenBSD) (int, string) {
	t.Helper()
	path := writeConf(t, privateDir(t), "wg0.conf", conf, 0o600)
	var out, errb strings.Builder
	env := Env{Stdout: &out, Stderr: &errb, Context: context.Background(),
		Geteuid: func() int { return 1000 }, GOOS: goos,
		NewHost: func(io.Writer, io.Writer) (Host, error) { return nil, errors.New("linux host opened") },
		FreeBSD: func(io.Writer, io.Writer) (FreeBSDHost, error) { return fb, nil },
		OpenBSD: func(io.Writer, io.Writer) (OpenBSDHost, error) { return ob, nil },
	}
	code := Main([]string{"wg-quick", "--dry-run", verb, path}, env)
	if out.Len() != 0 {
		t.Errorf("stdout: %q", out.String())
	}
	return code, errb.String()
}

const bsdFullTunnel = `[Interface]
PrivateKey = ` + testPriv + `
Address = 10.0.0.2/32, fd00::2/128
DNS = 10.0.0.53, example.com
PostUp = echo up %i
PreDown = echo down %i

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = 192.0.2.1:51820
`

func TestMainFreeBSDDryRun(t *testing.T) {
	h := fullTunnelFreeBSDHost()
	code, stderr := bsdDryRun(t, "freebsd", bsdFullTunnel, "up", h, nil)
	if code != 0 {
		t.Fatalf("up: exit %d: %s", code, stderr)
	}
	checkGolden(t, "main-freebsd-up-full-tunnel", stderr)
	if len(h.done) != 0 || !h.closed {
		t.Errorf("dry run performed %d ops, closed %v", len(h.done), h.closed)
	}

	h = &fakeFreeBSD{wg: []string{"wg0"}, userspace: map[string]bool{"wg0": true}}
	code, stderr = bsdDryRun(t, "freebsd", bsdFullTunnel, "down", h, nil)
	if code != 0 {
		t.Fatalf("down: exit %d: %s", code, stderr)
	}
	checkGolden(t, "main-freebsd-down-userspace", stderr)

	code, stderr = bsdDryRun(t, "freebsd", bsdFullTunnel, "save", h, nil)
	if code != 0 || stderr != "[#] wg showconf wg0\n" {
		t.Errorf("save: exit %d: %q", code, stderr)
	}

	// Errors of the plan reach the user, with status 1.
	code, stderr = bsdDryRun(t, "freebsd", bsdFullTunnel, "up", &fakeFreeBSD{links: []string{"wg0"}}, nil)
	if code != 1 || !strings.Contains(stderr, "`wg0' already exists") {
		t.Errorf("existing: exit %d: %q", code, stderr)
	}
	code, stderr = bsdDryRun(t, "freebsd", bsdFullTunnel, "down", &fakeFreeBSD{}, nil)
	if code != 1 || !strings.Contains(stderr, "is not a WireGuard interface") {
		t.Errorf("absent: exit %d: %q", code, stderr)
	}
}
