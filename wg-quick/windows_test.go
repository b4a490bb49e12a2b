package wgquick

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/windows"
	"github.com/wgshim/wgshim/platform/windows/iphelper"
	"github.com/wgshim/wgshim/platform/windows/service"
	"github.com/wgshim/wgshim/wg-quick/config"
)

const testExe = `C:\Program Files\wgshim\wgshim.exe`

// fakeWin is a WindowsHost in memory: services and pipes by tunnel name.
type fakeWin struct {
	notElevated bool
	hooks       bool
	dirs        []string
	installed   map[string]bool
	running     map[string]bool
	did         []string
	failOn      Kind
	noWgshim    bool
}

func newFakeWin(dirs ...string) *fakeWin {
	return &fakeWin{dirs: dirs, installed: map[string]bool{}, running: map[string]bool{}}
}

func (f *fakeWin) Elevated() bool       { return !f.notElevated }
func (f *fakeWin) HooksEnabled() bool   { return f.hooks }
func (f *fakeWin) ConfigDirs() []string { return f.dirs }
func (f *fakeWin) Wgshim() (string, error) {
	if f.noWgshim {
		return "", errors.New("wgshim.exe, which runs the tunnel service, is not next to wg-quick.exe")
	}
	return testExe, nil
}

func (f *fakeWin) Tunnel(name string) (bool, bool, error) {
	return f.installed[name], f.running[name], nil
}

func (f *fakeWin) Do(_ context.Context, op Op) (*Op, error) {
	line := op.Kind.String()
	for _, c := range op.Cmds {
		line += " " + strings.Join(c.Args, "|")
	}
	f.did = append(f.did, line)
	if op.Kind == f.failOn {
		return nil, errors.New("injected failure")
	}
	switch op.Kind {
	case CreateLink:
		f.installed[op.Iface], f.running[op.Iface] = true, true
		return op.Undo, nil
	case DeleteLink:
		delete(f.installed, op.Iface)
		delete(f.running, op.Iface)
	}
	return nil, nil
}

func TestWindowsConfigDirs(t *testing.T) {
	got := WindowsConfigDirs(`C:\Program Files`, `D:\tools\wgshim`)
	want := []string{`C:\Program Files\wgshim\Data\Configurations`, `D:\tools\wgshim`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := WindowsConfigDirs(`C:\Program Files\`, ""); !slices.Equal(got, []string{`C:\Program Files\wgshim\Data\Configurations`}) {
		t.Errorf("trailing backslash, no exe dir: %q", got)
	}
	if got := WindowsConfigDirs("", ""); len(got) != 0 {
		t.Errorf("nothing known: %q", got)
	}
}

func TestFindWindows(t *testing.T) {
	files := map[string]bool{
		`C:\PF\wgshim\Data\Configurations\wg0.conf`: true,
		`C:\PF\wgshim\Data\Configurations\wg1.conf`: true,
		`C:\PF\wgshim\Data\Configurations\wg1.toml`: true,
		`D:\bin\office.conf`:                        true,
		`C:\Users\me\home.conf`:                     true,
	}
	stat := func(p string) (fs.FileInfo, error) {
		if files[p] {
			return nil, nil
		}
		if strings.Contains(p, "denied") {
			return nil, fs.ErrPermission
		}
		return nil, fs.ErrNotExist
	}
	dirs := []string{`C:\PF\wgshim\Data\Configurations`, `D:\bin`}
	tests := []struct {
		arg, want, wantErr string
	}{
		{arg: "wg0", want: `C:\PF\wgshim\Data\Configurations\wg0.conf`},
		{arg: "wg1", want: `C:\PF\wgshim\Data\Configurations\wg1.toml`},
		{arg: "office", want: `D:\bin\office.conf`},
		{arg: `C:\Users\me\home.conf`, want: `C:\Users\me\home.conf`},
		{arg: `C:\Users\me\gone.conf`, wantErr: "`C:\\Users\\me\\gone.conf' does not exist"},
		{arg: "nope", wantErr: "`D:\\bin\\nope.conf' does not exist (also tried C:\\PF\\wgshim\\Data\\Configurations\\nope.toml, C:\\PF\\wgshim\\Data\\Configurations\\nope.conf, D:\\bin\\nope.toml)"},
		{arg: "bad name!", wantErr: "neither a path nor a valid interface name"},
	}
	for _, tt := range tests {
		got, err := FindWindows(stat, tt.arg, dirs)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("FindWindows(%q) = %q, %v; want error containing %q", tt.arg, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("FindWindows(%q) = %q, %v; want %q", tt.arg, got, err, tt.want)
		}
	}
	if _, err := FindWindows(stat, "wg0", nil); err == nil || !strings.Contains(err.Error(), "give a path") {
		t.Errorf("no directories: %v", err)
	}
	if _, err := FindWindows(stat, "wg0", []string{`C:\denied`}); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("stat error: %v", err)
	}
}

// TestServiceSpec: the configuration argument becomes the service's
// command line, which Windows parses back into the same arguments.
func TestServiceSpec(t *testing.T) {
	tests := []struct {
		arg, tunnel, cmdline, wantErr string
	}{
		{
			arg:     `C:\Program Files\wgshim\Data\Configurations\wg0.conf`,
			tunnel:  "wg0",
			cmdline: `"C:\Program Files\wgshim\wgshim.exe" /tunnelservice "C:\Program Files\wgshim\Data\Configurations\wg0.conf"`,
		},
		{
			arg:     `D:\vpn\office.toml`,
			tunnel:  "office",
			cmdline: `"C:\Program Files\wgshim\wgshim.exe" /tunnelservice D:\vpn\office.toml`,
		},
		{arg: "wg7", tunnel: "wg7", cmdline: `"C:\Program Files\wgshim\wgshim.exe" /tunnelservice wg7`},
		{arg: `D:\vpn\not a name.conf`, wantErr: "must be a valid interface name"},
		{arg: `D:\vpn\wg0.txt`, wantErr: "must be a valid interface name"},
		{arg: "", wantErr: "empty tunnel name"},
	}
	for _, tt := range tests {
		spec, err := ServiceSpec(testExe, tt.arg)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ServiceSpec(%q) = %+v, %v; want error containing %q", tt.arg, spec, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ServiceSpec(%q): %v", tt.arg, err)
			continue
		}
		line, err := spec.CommandLine()
		if err != nil || spec.Tunnel != tt.tunnel || line != tt.cmdline {
			t.Errorf("ServiceSpec(%q): tunnel %q command line %q, %v; want %q, %q", tt.arg, spec.Tunnel, line, err, tt.tunnel, tt.cmdline)
		}
		if name, err := TunnelName(tt.arg); err != nil || name != tt.tunnel {
			t.Errorf("TunnelName(%q) = %q, %v", tt.arg, name, err)
		}
	}
}

// winCases are configurations run through the Windows conversion and
// planners; their golden files are testdata/golden/windows-NAME.txt.
var winCases = []struct {
	name, file, conf string
}{
	{name: "simple", conf: `[Interface]
PrivateKey = ` + testPriv + `
Address = 10.0.0.2/24
ListenPort = 51820

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 10.0.0.0/24, 10.10.0.0/16
Endpoint = 192.0.2.1:51820
PersistentKeepalive = 25
`},
	{name: "full-tunnel", conf: `[Interface]
PrivateKey = ` + testPriv + `
Address = 10.0.0.2/32, fd00::2/128
DNS = 10.0.0.53, fd00::53, corp.example
MTU = 1380

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = 192.0.2.1:51820

[Peer]
PublicKey = ` + testPub2 + `
AllowedIPs = 10.20.0.0/16
Endpoint = [2001:db8::1]:51820
`},
	{name: "linux-only-keys", conf: `[Interface]
PrivateKey = ` + testPriv + `
Address = 10.0.0.2/24
FwMark = 0xca6c
Table = 1234
PreUp = echo pre-up %i
PostUp = iptables -A FORWARD -i %i -j ACCEPT
PostDown = iptables -D FORWARD -i %i -j ACCEPT
SaveConfig = true

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 0.0.0.0/0
Endpoint = 192.0.2.1:51820
`},
	{name: "table-off", file: "wg0.toml", conf: `[Interface]
PrivateKey = "` + testPriv + `"
Address = ["10.0.0.2/24"]
Table = "off"

[[Peer]]
PublicKey = "` + testPub1 + `"
AllowedIPs = ["0.0.0.0/0"]
Endpoint = "192.0.2.1:51820"
`},
}

// winSystemRoutes is the route table the golden route plans are made
// against: a default route through a home router on interface 7, and an
// IPv6 one on the same interface.
var winSystemRoutes = []iphelper.SystemRoute{
	{Prefix: netip.MustParsePrefix("0.0.0.0/0"), LUID: 7, NextHop: netip.MustParseAddr("192.168.1.1"), Metric: 35},
	{Prefix: netip.MustParsePrefix("192.168.1.0/24"), LUID: 7, Metric: 291},
	{Prefix: netip.MustParsePrefix("::/0"), LUID: 7, NextHop: netip.MustParseAddr("fe80::1"), Metric: 35},
}

func formatTunnel(tn windows.Tunnel) string {
	var b strings.Builder
	fmt.Fprintf(&b, "tunnel %s\n", tn.Name)
	fmt.Fprintf(&b, "engine: private key %v, listen port %v, fwmark %v\n", tn.WG.PrivateKey != nil, deref(tn.WG.ListenPort), deref(tn.WG.FirewallMark))
	for _, p := range tn.WG.Peers {
		ep := "none"
		if p.Endpoint != nil {
			ep = p.Endpoint.String()
		}
		fmt.Fprintf(&b, "  peer %s endpoint %s allowed %v keepalive %v\n", p.PublicKey, ep, p.AllowedIPs, deref(p.PersistentKeepalive))
	}
	ip := tn.IP
	fmt.Fprintf(&b, "addresses %v\nmtu %d\ndns %v search %q\n", ip.Addresses, ip.MTU, ip.DNS, ip.DNSSearch)
	if ip.NoRoutes {
		b.WriteString("routes: none (Table = off)\n")
	} else {
		plan := iphelper.PlanRoutes(ip.AllowedIPs, ip.Endpoints, winSystemRoutes, 99)
		b.WriteString("routes:\n")
		for _, r := range plan.Routes {
			fmt.Fprintf(&b, "  %s\n", r)
		}
		for _, w := range plan.Warnings {
			fmt.Fprintf(&b, "  warning: %s\n", w)
		}
	}
	for _, h := range []struct {
		key  string
		cmds []string
	}{{"PreUp", tn.PreUp}, {"PostUp", tn.PostUp}, {"PreDown", tn.PreDown}, {"PostDown", tn.PostDown}} {
		for _, c := range h.cmds {
			fmt.Fprintf(&b, "%s (run %v): %s\n", h.key, tn.RunHooks, c)
		}
	}
	fmt.Fprintf(&b, "save on stop: %v\n", tn.Save != nil)
	return b.String()
}

func deref[T any](p *T) any {
	if p == nil {
		return "unset"
	}
	return *p
}

// TestWindowsGolden checks, for every case, the warnings, what the
// service brings up and the up, down and save plans.
func TestWindowsGolden(t *testing.T) {
	for _, wc := range winCases {
		t.Run(wc.name, func(t *testing.T) {
			file := wc.file
			if file == "" {
				file = "wg0.conf"
			}
			path := filepath.Join(t.TempDir(), file)
			if err := os.WriteFile(path, []byte(wc.conf), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := LoadWindows(path)
			if err != nil {
				t.Fatalf("LoadWindows: %v", err)
			}
			var b strings.Builder
			for _, hooks := range []bool{false, true} {
				fmt.Fprintf(&b, "# warnings, hooks enabled: %v\n", hooks)
				for _, w := range WindowsWarnings(c, hooks) {
					fmt.Fprintf(&b, "[!] %s\n", w)
				}
			}
			w, err := c.WGConfig(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString("\n# service\n" + formatTunnel(WindowsTunnel(c, &w, false)))

			f := &WindowsFacts{Iface: "wg0", Path: `C:\Program Files\wgshim\Data\Configurations\` + file, Wgshim: testExe}
			up, err := PlanWindowsUp(f)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString("\n# up\n" + formatPlan(up))
			f.Installed, f.Running = true, true
			down, err := PlanWindowsDown(f)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString("\n# down\n" + formatPlan(down))
			save, err := PlanWindowsSave(c, f)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString("\n# save\n" + formatPlan(save))
			checkGolden(t, "windows-"+wc.name, b.String())

			// The commands run what is printed.
			if got := up[0].Cmds[0].Args; !slices.Equal(got, []string{testExe, "/installtunnelservice", f.Path}) {
				t.Errorf("install command %q", got)
			}
			if got := down[0].Cmds[0].Args; !slices.Equal(got, []string{testExe, "/uninstalltunnelservice", "wg0"}) {
				t.Errorf("uninstall command %q", got)
			}
		})
	}
}

func TestPlanWindowsStates(t *testing.T) {
	tests := []struct {
		name                string
		installed, running  bool
		upErr, downErr, sav string
	}{
		{name: "absent", downErr: "`wg0' is not a WireGuard interface", sav: "`wg0' is not a WireGuard interface"},
		{name: "service up", installed: true, running: true, upErr: "`wg0' already exists (its service WgshimTunnel$wg0 is installed; `wg-quick down wg0' removes it)"},
		{name: "service failing", installed: true, upErr: "`wg0' already exists (its service", sav: "not a WireGuard interface"},
		{name: "foreground", running: true, upErr: "`wg0' already exists (a process serves its pipe)", downErr: "is not run by a tunnel service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &WindowsFacts{Iface: "wg0", Path: `C:\wg0.conf`, Wgshim: testExe, Installed: tt.installed, Running: tt.running}
			check := func(what string, err error, want string) {
				t.Helper()
				if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
					t.Errorf("%s: %v, want %q", what, err, want)
				}
			}
			_, err := PlanWindowsUp(f)
			check("up", err, tt.upErr)
			_, err = PlanWindowsDown(f)
			check("down", err, tt.downErr)
			_, err = PlanWindowsSave(&config.Config{Name: "wg0"}, f)
			check("save", err, tt.sav)
		})
	}
}

// runWin runs Main in its Windows flow against h.
func runWin(h *fakeWin, args ...string) mainResult {
	var out, errb strings.Builder
	code := Main(append([]string{"wg-quick"}, args...), Env{
		Stdout: &out, Stderr: &errb, Context: context.Background(),
		GOOS: "windows", Windows: h,
	})
	return mainResult{code, out.String(), errb.String()}
}

func TestMainWindows(t *testing.T) {
	dir := t.TempDir()
	conf := winCases[2].conf // FwMark, Table, hooks
	path := writeConf(t, dir, "wg0.conf", conf, 0o600)
	h := newFakeWin(dir)

	r := runWin(h, "up", "wg0")
	wantErr := `[!] FwMark: "0xca6c" ignored: Windows has no packet marks; the tunnel's own UDP traffic is kept out of the tunnel by endpoint host routes instead
[!] Table: "1234" ignored: Windows has one routing table; routes go to the main table as with Table = auto (use Table = off to add none)
[!] PreUp: 1 command skipped: hooks are not run on Windows unless enabled (they run with the service's LocalSystem rights)
[!] PostUp: 1 command skipped: hooks are not run on Windows unless enabled (they run with the service's LocalSystem rights)
[!] PostDown: 1 command skipped: hooks are not run on Windows unless enabled (they run with the service's LocalSystem rights)
[#] wgshim /installtunnelservice ` + path + "\n"
	if r.code != 0 || r.stdout != "" || r.stderr != wantErr {
		t.Fatalf("up: exit %d stdout %q stderr:\n%s\nwant:\n%s", r.code, r.stdout, r.stderr, wantErr)
	}
	if want := []string{"create-link " + testExe + "|/installtunnelservice|" + path}; !slices.Equal(h.did, want) {
		t.Errorf("up did %q, want %q", h.did, want)
	}

	r = runWin(h, "up", path)
	if r.code != 1 || !strings.Contains(r.stderr, "wg-quick: `wg0' already exists") {
		t.Errorf("second up: exit %d stderr %q", r.code, r.stderr)
	}

	h.did = nil
	r = runWin(h, "--dry-run", "down", path)
	if r.code != 0 || r.stderr != "[#] wgshim /uninstalltunnelservice wg0\n" || len(h.did) != 0 {
		t.Errorf("dry-run down: exit %d stderr %q did %q", r.code, r.stderr, h.did)
	}
	r = runWin(h, "down", "wg0")
	if r.code != 0 || r.stderr != "[#] wgshim /uninstalltunnelservice wg0\n" || h.installed["wg0"] {
		t.Errorf("down: exit %d stderr %q installed %v", r.code, r.stderr, h.installed)
	}
	r = runWin(h, "down", "wg0")
	if r.code != 1 || r.stderr != "wg-quick: `wg0' is not a WireGuard interface\n" {
		t.Errorf("second down: exit %d stderr %q", r.code, r.stderr)
	}

	// Hooks enabled by the administrator: a different warning.
	h.hooks = true
	r = runWin(h, "--dry-run", "up", "wg0")
	if r.code != 0 || !strings.Contains(r.stderr, "[!] PreUp: 1 command run by cmd.exe, not bash") || len(h.installed) != 0 {
		t.Errorf("dry-run up with hooks: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestMainWindowsErrors(t *testing.T) {
	dir := t.TempDir()
	path := writeConf(t, dir, "wg0.conf", winCases[0].conf, 0o600)
	writeConf(t, dir, "bad.conf", "[Interface]\nPrivateKey = nope\n", 0o600)

	h := newFakeWin(dir)
	h.notElevated = true
	if r := runWin(h, "up", "wg0"); r.code != 1 || r.stderr != "wg-quick: wg-quick must be run as Administrator; try an elevated prompt (Run as administrator)\n" {
		t.Errorf("not elevated: exit %d stderr %q", r.code, r.stderr)
	}
	// strip needs no rights and prints the wg(8) part.
	r := runWin(h, "strip", "wg0")
	if r.code != 0 || !strings.Contains(r.stdout, "PrivateKey = "+testPriv) || strings.Contains(r.stdout, "Address") {
		t.Errorf("strip: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}

	h = newFakeWin(dir)
	if r := runWin(h, "up", "bad"); r.code != 1 || !strings.Contains(r.stderr, "bad.conf:2") {
		t.Errorf("bad config: exit %d stderr %q", r.code, r.stderr)
	}
	if r := runWin(h, "up", "missing"); r.code != 1 || !strings.Contains(r.stderr, "missing.conf' does not exist") {
		t.Errorf("missing config: exit %d stderr %q", r.code, r.stderr)
	}
	// down works by name when the file is gone.
	h.installed["gone"] = true
	if r := runWin(h, "down", "gone"); r.code != 0 || h.installed["gone"] {
		t.Errorf("down without a file: exit %d stderr %q", r.code, r.stderr)
	}
	h.noWgshim = true
	if r := runWin(h, "up", path); r.code != 1 || !strings.Contains(r.stderr, "wgshim.exe") {
		t.Errorf("no wgshim.exe: exit %d stderr %q", r.code, r.stderr)
	}

	// A failed install reports the step; nothing is left installed.
	h = newFakeWin(dir)
	h.failOn = CreateLink
	r = runWin(h, "up", "wg0")
	if r.code != 1 || !strings.Contains(r.stderr, "wg-quick: up wg0: wgshim /installtunnelservice "+path+": injected failure") || len(h.installed) != 0 {
		t.Errorf("failed install: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestResolveWindows(t *testing.T) {
	c, err := config.ParseINI("wg0.conf", []byte(`[Interface]
PrivateKey = `+testPriv+`
[Peer]
PublicKey = `+testPub1+`
Endpoint = vpn.example:51820
`))
	if err != nil {
		t.Fatal(err)
	}
	failures := 0
	r := config.ResolverFunc(func(_ context.Context, host, port string) (netip.AddrPort, error) {
		if failures > 0 {
			failures--
			return netip.AddrPort{}, errors.New("no such host")
		}
		return netip.MustParseAddrPort("198.51.100.4:51820"), nil
	})
	failures = 2
	wc, err := ResolveWindows(context.Background(), c, r, 3, time.Millisecond)
	if err != nil || wc.Peers[0].Endpoint.String() != "198.51.100.4:51820" {
		t.Errorf("after two failures: %v, %v", wc.Peers, err)
	}
	failures = 3
	if _, err := ResolveWindows(context.Background(), c, r, 3, time.Millisecond); err == nil || !strings.Contains(err.Error(), "no such host") {
		t.Errorf("three failures in three attempts: %v", err)
	}
}

// TestSaveWindows: SaveConfig on Windows writes the running peers with
// the file's interface settings.
func TestSaveWindows(t *testing.T) {
	conf := strings.Replace(winCases[1].conf, "MTU = 1380\n", "MTU = 1380\nSaveConfig = true\n", 1)
	path := writeConf(t, t.TempDir(), "wg0.conf", conf, 0o600)
	c, err := LoadWindows(path)
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := wgtypes.ParseKey(testPriv)
	pub, _ := wgtypes.ParseKey(testPub1)
	dev := &wgtypes.Device{PrivateKey: priv, ListenPort: 40000, Peers: []wgtypes.Peer{{
		PublicKey: pub, Endpoint: netip.MustParseAddrPort("203.0.113.9:1234"),
		AllowedIPs: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")},
	}}}
	w, _ := c.WGConfig(context.Background(), nil)
	tn := WindowsTunnel(c, &w, false)
	if tn.Save == nil {
		t.Fatal("SaveConfig = true gave no Save")
	}
	if err := tn.Save(dev); err != nil {
		t.Fatal(err)
	}
	back, err := LoadWindows(path)
	if err != nil {
		t.Fatal(err)
	}
	in := back.Interface
	if len(in.Address) != 2 || len(in.DNS) != 2 || in.MTU == nil || in.MTU.V != 1380 || in.ListenPort == nil || in.ListenPort.V != 40000 {
		t.Errorf("saved interface: %+v", in)
	}
	if len(back.Peers) != 1 || back.Peers[0].Endpoint.V != "203.0.113.9:1234" {
		t.Errorf("saved peers: %+v", back.Peers)
	}
}

func TestLastLines(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a\r\nb\r\nc\r\n", "b\nc"},
		{"one\n", "one"},
		{"", ""},
		{"1\n2\n3\n4", "3\n4"},
	}
	for _, tt := range tests {
		if got := lastLines([]byte(tt.in), 2); got != tt.want {
			t.Errorf("lastLines(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := windows.LogPath(`C:\Program Files\wgshim`, "wg0"); got != `C:\Program Files\wgshim\Data\Logs\wg0.log` {
		t.Errorf("LogPath = %q", got)
	}
}

func TestAwaitTunnel(t *testing.T) {
	S := func(s ...service.State) []service.State { return s }
	tests := []struct {
		name    string
		states  []service.State // the last one repeats
		pipeAt  int             // the pipe answers from this query on
		wantErr string
	}{
		{name: "comes up", states: S(service.Starting, service.Starting, service.Running)},
		{name: "running before the pipe", states: S(service.Running), pipeAt: 3},
		{name: "fails", states: S(service.Starting, service.Stopped), wantErr: "the tunnel service stopped"},
		{name: "hangs", states: S(service.Starting), wantErr: "did not come up within 20ms (service starting)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			query := func() (service.State, error) {
				st := tt.states[min(n, len(tt.states)-1)]
				n++
				return st, nil
			}
			err := awaitTunnel(context.Background(), 20*time.Millisecond, time.Millisecond, query, func() bool { return n > tt.pipeAt })
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("awaitTunnel = %v, want %q", err, tt.wantErr)
			}
		})
	}
	gone := func() (service.State, error) { return 0, fs.ErrNotExist }
	if err := awaitTunnel(context.Background(), time.Second, time.Millisecond, gone, nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("service gone: %v", err)
	}
}
