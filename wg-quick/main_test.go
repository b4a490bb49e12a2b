package wgquick

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wgshim/wgshim/wg-quick/config"
)

type mainResult struct {
	code           int
	stdout, stderr string
}

// runMain runs Main against h as root (uid 0) unless uid says otherwise.
func runMain(h *Fake, uid int, args ...string) mainResult {
	var out, errb strings.Builder
	code := Main(append([]string{"wg-quick"}, args...), Env{
		Stdout: &out, Stderr: &errb, Context: context.Background(),
		Geteuid: func() int { return uid },
		NewHost: func(io.Writer, io.Writer) (Host, error) { return h, nil },
		GOOS:    "linux",
	})
	return mainResult{code, out.String(), errb.String()}
}

func writeConf(t *testing.T, dir, name, text string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func privateDir(t *testing.T) string {
	d := t.TempDir()
	if err := os.Chmod(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestMainUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"help", []string{"help"}, 0},
		{"-h", []string{"-h"}, 0},
		{"--help", []string{"--help"}, 0},
		{"no args", nil, 1},
		{"one arg", []string{"up"}, 1},
		{"unknown command", []string{"start", "wg0"}, 1},
		{"too many", []string{"up", "wg0", "wg1"}, 1},
		{"dry-run strip", []string{"--dry-run", "strip", "wg0"}, 1},
		{"dry-run convert", []string{"--dry-run", "convert", "wg0.conf"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runMain(&Fake{}, 0, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d", r.code, tt.code)
			}
			if !strings.HasPrefix(r.stderr, "Usage: wg-quick [ up | down | save | strip ]") || r.stdout != "" {
				t.Errorf("usage not on stderr alone: stdout %q stderr %q", r.stdout, r.stderr)
			}
		})
	}
}

func TestMainErrors(t *testing.T) {
	dir := privateDir(t)
	good := writeConf(t, dir, "wg0.conf", planCases[0].conf, 0o600)
	bad := writeConf(t, dir, "wg1.conf", "[Interface]\nPrivateKey = "+testPriv+"\nAddress = 10.0.0.300/24\nTabel = off\n", 0o600)
	badName := writeConf(t, dir, "not-an-interface-name.conf", planCases[0].conf, 0o600)
	kill := writeConf(t, dir, "wg2.conf", "[Interface]\nPrivateKey = "+testPriv+"\nKillSwitch = true\n", 0o600)
	tests := []struct {
		name string
		uid  int
		args []string
		want []string // lines expected in stderr
	}{
		{"not root", 1000, []string{"up", good}, []string{"wg-quick: wg-quick must be run as root; try: sudo wg-quick up " + good}},
		{"missing", 0, []string{"up", filepath.Join(dir, "wg9.conf")}, []string{"wg-quick: `" + filepath.Join(dir, "wg9.conf") + "' does not exist"}},
		{"bad name", 0, []string{"up", badName}, []string{"wg-quick: The config file must be a valid interface name, followed by .conf or .toml"}},
		{"config errors", 0, []string{"up", bad}, []string{
			"wg-quick: " + bad + `:3: [Interface]: Address: "10.0.0.300/24" is not a valid prefix`,
			"wg-quick: " + bad + `:4: [Interface]: unknown key "Tabel" (did you mean "Table"?)`,
		}},
		{"kill switch", 0, []string{"up", kill}, []string{
			"wg-quick: " + kill + ":3: [Interface]: KillSwitch: not available on linux (only on Windows); remove it and block untunnelled traffic with PostUp firewall rules",
		}},
		{"down absent", 0, []string{"down", good}, []string{"wg-quick: `wg0' is not a WireGuard interface"}},
		{"save absent", 0, []string{"save", good}, []string{"wg-quick: `wg0' is not a WireGuard interface"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &Fake{}
			r := runMain(h, tt.uid, tt.args...)
			if r.code != 1 {
				t.Errorf("exit %d, want 1 (stderr %q)", r.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w+"\n") {
					t.Errorf("stderr %q lacks %q", r.stderr, w)
				}
			}
			if len(h.Log) != 0 {
				t.Errorf("steps were run: %q", h.Log)
			}
		})
	}
}

func TestMainWorldAccessible(t *testing.T) {
	for _, tt := range []struct {
		name          string
		file, dirMode os.FileMode
		warn          bool
	}{
		{"private file in open dir", 0o600, 0o755, false},
		{"open file in private dir", 0o644, 0o700, false},
		{"open file in open dir", 0o644, 0o755, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeConf(t, dir, "wg0.conf", planCases[0].conf, tt.file)
			if err := os.Chmod(dir, tt.dirMode); err != nil {
				t.Fatal(err)
			}
			r := runMain(baseHost(), 0, "--dry-run", "up", p)
			want := "Warning: `" + p + "' is world accessible\n"
			if got := strings.Contains(r.stderr, want); got != tt.warn {
				t.Errorf("warning printed = %v, want %v; stderr:\n%s", got, tt.warn, r.stderr)
			}
			if r.code != 0 {
				t.Errorf("exit %d: %s", r.code, r.stderr)
			}
		})
	}
}

func TestMainUpDown(t *testing.T) {
	dir := privateDir(t)
	p := writeConf(t, dir, "wg0.conf", planCases[1].conf, 0o600) // full tunnel with DNS
	h := baseHost()
	empty := h.State()

	r := runMain(h, 1000, "--dry-run", "up", p)
	if r.code != 0 || len(h.Log) != 0 || h.State() != empty {
		t.Fatalf("dry run: exit %d, steps %q; stderr:\n%s", r.code, h.Log, r.stderr)
	}
	c, wc := planCases[1].load(t)
	if want := formatDisplays(planUp(t, baseHost(), c, wc)); r.stderr != want {
		t.Errorf("dry run printed\n%s\nwant\n%s", r.stderr, want)
	}

	r = runMain(h, 0, "up", p)
	if r.code != 0 {
		t.Fatalf("up: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(h.State(), "link wg0 wireguard=true mtu=1420 up=true fwmark=51820") {
		t.Errorf("after up:\n%s", h.State())
	}
	if r := runMain(h, 0, "up", p); r.code != 1 || r.stderr != "wg-quick: `wg0' already exists\n" {
		t.Errorf("second up: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runMain(h, 0, "down", "--dry-run", p)
	if r.code != 0 || !strings.Contains(r.stderr, "[#] ip link delete dev wg0\n") || !strings.Contains(h.State(), "link wg0") {
		t.Errorf("dry-run down: exit %d, stderr %q, state:\n%s", r.code, r.stderr, h.State())
	}
	if r := runMain(h, 0, "down", p); r.code != 0 {
		t.Fatalf("down: exit %d: %s", r.code, r.stderr)
	}
	if s := h.State(); s != empty {
		t.Errorf("state after down:\n%s\nwant:\n%s", s, empty)
	}
}

func formatDisplays(plan []Op) string {
	var b strings.Builder
	for _, op := range plan {
		b.WriteString(op.String() + "\n")
	}
	return b.String()
}

func TestMainHookFailureUnwinds(t *testing.T) {
	dir := privateDir(t)
	p := writeConf(t, dir, "wg0.conf", planCases[1].conf+"\n[Interface]\nPostUp = fail-here %i\n", 0o600)
	h := baseHost()
	h.FailHook = "fail-here"
	empty := h.State()
	r := runMain(h, 0, "up", p)
	if r.code != 3 {
		t.Errorf("exit %d, want the hook's 3", r.code)
	}
	wantTail := "[#] fail-here wg0\n" +
		"[#] nft -f /dev/fd/63\n" +
		"[#] ip -4 route delete 0.0.0.0/0 dev wg0 table 51820\n" +
		"[#] ip -4 rule delete table main suppress_prefixlength 0\n" +
		"[#] ip -4 rule delete table 51820\n" +
		"[#] nft -f /dev/fd/63\n" +
		"[#] ip -6 route delete ::/0 dev wg0 table 51820\n" +
		"[#] ip -6 rule delete table main suppress_prefixlength 0\n" +
		"[#] ip -6 rule delete table 51820\n" +
		"[#] resolvconf -d wg0 -f\n" +
		"[#] ip -6 address delete fd00::1/128 dev wg0\n" +
		"[#] ip -4 address delete 10.0.0.1/32 dev wg0\n" +
		"[#] ip link delete dev wg0\n" +
		"wg-quick: up wg0: " + p + ":12: PostUp: fail-here wg0: exit status 3\n"
	if !strings.HasSuffix(r.stderr, wantTail) {
		t.Errorf("stderr:\n%s\nwant it to end with:\n%s", r.stderr, wantTail)
	}
	if s := h.State(); s != empty {
		t.Errorf("state after failed up:\n%s", s)
	}
}

func TestMainStripConvert(t *testing.T) {
	dir := privateDir(t)
	conf := "[Interface]\nPrivateKey = " + testPriv + "\nAddress = 10.0.0.1/24\nDNS = 1.1.1.1\nListenPort = 51820\n\n[Peer]\nPublicKey = " + testPub1 + "\nAllowedIPs = 10.0.0.0/24\nEndpoint = 192.0.2.1:51820\n"
	p := writeConf(t, dir, "wg0.conf", conf, 0o600)
	r := runMain(&Fake{}, 0, "strip", p)
	want := "[Interface]\nListenPort = 51820\nPrivateKey = " + testPriv + "\n\n[Peer]\nPublicKey = " + testPub1 + "\nAllowedIPs = 10.0.0.0/24\nEndpoint = 192.0.2.1:51820\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("strip: exit %d, stdout\n%s\nwant\n%s\nstderr %s", r.code, r.stdout, want, r.stderr)
	}

	r = runMain(&Fake{}, 1000, "convert", p)
	if r.code != 0 {
		t.Fatalf("convert: exit %d: %s", r.code, r.stderr)
	}
	tp := writeConf(t, dir, "wg0.toml", r.stdout, 0o600)
	a, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := config.Load(tp)
	if err != nil {
		t.Fatalf("converted file does not parse: %v\n%s", err, r.stdout)
	}
	if !a.Equal(b) {
		t.Errorf("convert changed the settings:\n%s", r.stdout)
	}
	r = runMain(&Fake{}, 1000, "convert", tp)
	if r.code != 0 || !strings.Contains(r.stdout, "[Interface]\nAddress = 10.0.0.1/24\n") {
		t.Errorf("convert back: exit %d, stdout\n%s", r.code, r.stdout)
	}
}
