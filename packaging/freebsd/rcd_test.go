package freebsd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/internal/testenv"
)

// stubRCSubr stands in for /etc/rc.subr: checkyesno, load_rc_config
// (reads $RCCONF) and a run_rc_command that honours rcvar like the real
// one (start refuses a disabled service unless forced with "one").
const stubRCSubr = `
checkyesno() {
	eval _v=\$$1
	case $_v in [Yy][Ee][Ss]|[Tt][Rr][Uu][Ee]|[Oo][Nn]|1) return 0 ;; esac
	return 1
}
load_rc_config() { [ -n "$RCCONF" ] && . "$RCCONF"; }
run_rc_command() {
	_cmd=$1
	case $_cmd in one*) _cmd=${_cmd#one} ;; *)
		if ! checkyesno "$rcvar"; then echo "$name not enabled"; return 0; fi ;;
	esac
	case $_cmd in
	start) eval $start_cmd ;;
	stop) eval $stop_cmd ;;
	status) eval $status_cmd ;;
	*) echo "unknown $_cmd"; return 1 ;;
	esac
}
`

// fakeWGQuick logs its arguments and environment, keeps $STATE, and fails
// for configuration "bad".
const fakeWGQuick = `#!/bin/sh
echo "$* ${WG_QUICK_USERSPACE_IMPLEMENTATION:-}" >> "$LOG"
case $1 in
up)
	[ "$2" = bad ] && exit 1
	echo "$2" >> "$STATE" ;;
down)
	grep -vx "$2" "$STATE" > "$STATE.new"; mv "$STATE.new" "$STATE" ;;
esac
exit 0
`

// fakeIfconfig succeeds for interfaces in $STATE (by base name).
const fakeIfconfig = `#!/bin/sh
for c in $(cat "$STATE" 2>/dev/null); do
	c=${c##*/}; c=${c%.conf}
	[ "$c" = "$1" ] && exit 0
done
exit 1
`

type rc struct {
	t                               *testing.T
	dir, script, log, state, rcconf string
}

func setup(t *testing.T, rcconf string) *rc {
	t.Helper()
	testenv.RequireTool(t, "sh")
	dir := t.TempDir()
	src, err := os.ReadFile("rc.d/wireguard")
	if err != nil {
		t.Fatal(err)
	}
	r := &rc{t: t, dir: dir, log: filepath.Join(dir, "log"), state: filepath.Join(dir, "state"), rcconf: filepath.Join(dir, "rc.conf")}
	text := strings.Replace(string(src), ". /etc/rc.subr", ". "+filepath.Join(dir, "rc.subr"), 1)
	if text == string(src) {
		t.Fatal("script does not source /etc/rc.subr")
	}
	r.script = filepath.Join(dir, "wireguard")
	for name, body := range map[string]string{
		"rc.subr": stubRCSubr, "wireguard": text, "wg-quick": fakeWGQuick, "ifconfig": fakeIfconfig,
		"rc.conf": rcconf + "\nwireguard_wgquick=" + filepath.Join(dir, "wg-quick") + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func (r *rc) run(action string) (string, bool) {
	r.t.Helper()
	cmd := exec.Command("sh", r.script, action)
	cmd.Env = append(os.Environ(), "RCCONF="+r.rcconf, "LOG="+r.log, "STATE="+r.state, "PATH="+r.dir+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

func (r *rc) lines(path string) []string {
	b, _ := os.ReadFile(path)
	return strings.Fields(strings.ReplaceAll(string(b), " \n", "\n"))
}

func (r *rc) logLines() []string {
	b, _ := os.ReadFile(r.log)
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l != "" {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

func TestStartStop(t *testing.T) {
	r := setup(t, `wireguard_enable="YES"
wireguard_interfaces="wg0 /usr/local/etc/wireguard/office.conf wg2"
wireguard_env="WG_QUICK_USERSPACE_IMPLEMENTATION=wgshim"`)
	if out, ok := r.run("start"); !ok {
		t.Fatalf("start failed:\n%s", out)
	}
	if out, ok := r.run("status"); !ok || !strings.Contains(out, "office is up.") {
		t.Errorf("status after start (ok %v):\n%s", ok, out)
	}
	if out, ok := r.run("stop"); !ok {
		t.Fatalf("stop failed:\n%s", out)
	}
	want := []string{
		"up wg0 wgshim", "up /usr/local/etc/wireguard/office.conf wgshim", "up wg2 wgshim",
		"down wg2 wgshim", "down /usr/local/etc/wireguard/office.conf wgshim", "down wg0 wgshim",
	}
	if diff := cmp.Diff(want, r.logLines()); diff != "" {
		t.Errorf("wg-quick calls (-want +got):\n%s", diff)
	}
	if out, ok := r.run("status"); ok || !strings.Contains(out, "wg0 is down.") {
		t.Errorf("status after stop (ok %v):\n%s", ok, out)
	}
}

func TestFailureGoesOn(t *testing.T) {
	r := setup(t, `wireguard_enable="YES"
wireguard_interfaces="wg0 bad wg1"`)
	out, ok := r.run("start")
	if ok {
		t.Errorf("start succeeded although one tunnel failed:\n%s", out)
	}
	if diff := cmp.Diff([]string{"up wg0", "up bad", "up wg1"}, r.logLines()); diff != "" {
		t.Errorf("wg-quick calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"wg0", "wg1"}, r.lines(r.state)); diff != "" {
		t.Errorf("tunnels up (-want +got):\n%s", diff)
	}
}

func TestDisabled(t *testing.T) {
	r := setup(t, `wireguard_interfaces="wg0"`)
	out, _ := r.run("start")
	if !strings.Contains(out, "not enabled") || len(r.logLines()) != 0 {
		t.Errorf("disabled service started tunnels: %s %v", out, r.logLines())
	}
	if _, ok := r.run("onestart"); !ok || len(r.logLines()) != 1 {
		t.Errorf("onestart: %v", r.logLines())
	}
}
