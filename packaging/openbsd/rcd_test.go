package openbsd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wgshim/wgshim/internal/testenv"
)

// stubRCSubr stands in for /etc/rc.d/rc.subr: rc_cmd dispatches to the
// script's functions, rcexec runs a command line, and daemon points at a
// fake wg-quick.
const stubRCSubr = `
daemon="$FAKE_WGQUICK"
daemon_flags="$FAKE_FLAGS"
rcexec="sh -c"
rc_cmd() {
	case $1 in
	start) rc_start ;;
	stop) rc_stop ;;
	check) rc_check ;;
	*) echo "unknown action $1"; return 2 ;;
	esac
}
`

// fakeIfconfig prints one interface per name in $STATE, as ifconfig(8)
// does, with the description line wg-quick sets.
const fakeIfconfig = `#!/bin/sh
n=0
for c in $(cat "$STATE" 2>/dev/null); do
	printf 'wg%d: flags=80c3<UP,BROADCAST,RUNNING,NOARP,MULTICAST> mtu 1420\n\tindex 5 priority 0 llprio 3\n\tdescription: wg-quick: %s\n' $n "$c"
	n=$((n+1))
done
printf 'em0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n\tdescription: wg-quick: not-wg\n'
`

// fakeWGQuick logs its arguments and keeps $STATE; configuration "bad"
// fails to come up.
const fakeWGQuick = `#!/bin/sh
echo "$*" >> "$LOG"
case $1 in
up)
	[ "$2" = bad ] && exit 1
	echo "$2" >> "$STATE" ;;
down)
	grep -vx "$2" "$STATE" > "$STATE.new"; mv "$STATE.new" "$STATE" ;;
esac
`

func writeExec(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
}

type rig struct {
	dir, state, log, conf string
	flags                 string
}

func newRig(t *testing.T) *rig {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	writeExec(t, filepath.Join(bin, "ifconfig"), fakeIfconfig)
	writeExec(t, filepath.Join(dir, "wg-quick"), fakeWGQuick)
	writeExec(t, filepath.Join(dir, "rc.subr"), stubRCSubr)
	return &rig{dir: dir, state: filepath.Join(dir, "state"), log: filepath.Join(dir, "log"), conf: filepath.Join(dir, "rc.conf.local")}
}

// run runs the script (under bash; OpenBSD runs it with ksh, and the
// script sticks to what both accept) with action and returns whether it
// succeeded.
func (r *rig) run(t *testing.T, action string) bool {
	t.Helper()
	bash := testenv.RequireTool(t, "bash")
	cmd := exec.Command(bash, "rc.d/wireguard", action)
	cmd.Env = append(os.Environ(),
		"PATH="+filepath.Join(r.dir, "bin")+":"+os.Getenv("PATH"),
		"_WIREGUARD_RC_SUBR="+filepath.Join(r.dir, "rc.subr"),
		"_WIREGUARD_RC_CONF_LOCAL="+r.conf,
		"FAKE_WGQUICK="+filepath.Join(r.dir, "wg-quick"),
		"FAKE_FLAGS="+r.flags,
		"STATE="+r.state, "LOG="+r.log)
	out, err := cmd.CombinedOutput()
	if len(out) > 0 {
		t.Logf("%s: %s", action, out)
	}
	return err == nil
}

func (r *rig) calls(t *testing.T) []string {
	b, _ := os.ReadFile(r.log)
	os.Remove(r.log)
	return strings.Fields(strings.ReplaceAll(string(b), " ", "_"))
}

func TestRCScript(t *testing.T) {
	r := newRig(t)
	r.flags = "wg0 office home"
	if r.run(t, "check") {
		t.Error("check succeeded with nothing up")
	}
	if !r.run(t, "start") {
		t.Fatal("start failed")
	}
	if diff := cmp.Diff([]string{"up_wg0", "up_office", "up_home"}, r.calls(t)); diff != "" {
		t.Errorf("start (-want +got):\n%s", diff)
	}
	if !r.run(t, "check") {
		t.Error("check failed with everything up")
	}
	if !r.run(t, "start") || len(r.calls(t)) != 0 {
		t.Error("second start brought tunnels up again")
	}
	if !r.run(t, "stop") {
		t.Fatal("stop failed")
	}
	if diff := cmp.Diff([]string{"down_home", "down_office", "down_wg0"}, r.calls(t)); diff != "" {
		t.Errorf("stop (-want +got):\n%s", diff)
	}
	if r.run(t, "check") {
		t.Error("check succeeded after stop")
	}
}

func TestRCScriptPartial(t *testing.T) {
	r := newRig(t)
	r.flags = "a bad c"
	if r.run(t, "start") {
		t.Error("start succeeded although bad failed")
	}
	if diff := cmp.Diff([]string{"up_a", "up_bad", "up_c"}, r.calls(t)); diff != "" {
		t.Errorf("start (-want +got):\n%s", diff)
	}
	if !r.run(t, "check") {
		t.Error("check failed with a and c up")
	}
	if !r.run(t, "stop") {
		t.Fatal("stop failed")
	}
	if diff := cmp.Diff([]string{"down_c", "down_a"}, r.calls(t)); diff != "" {
		t.Errorf("stop (-want +got):\n%s", diff)
	}
}

func TestRCScriptInterfacesVariable(t *testing.T) {
	r := newRig(t)
	r.flags = "ignored"
	conf := "pkg_scripts=foo\nwireguard_interfaces=\"x y\"\n"
	if err := os.WriteFile(r.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if !r.run(t, "start") {
		t.Fatal("start failed")
	}
	if diff := cmp.Diff([]string{"up_x", "up_y"}, r.calls(t)); diff != "" {
		t.Errorf("wireguard_interfaces (-want +got):\n%s", diff)
	}
	// "not-wg" on em0 carries a wg-quick description but is not in the
	// list: nothing touches it.
	if !r.run(t, "stop") {
		t.Fatal("stop failed")
	}
	if diff := cmp.Diff([]string{"down_y", "down_x"}, r.calls(t)); diff != "" {
		t.Errorf("stop (-want +got):\n%s", diff)
	}
}

func TestRCScriptSyntax(t *testing.T) {
	for _, sh := range []string{"bash", "ksh", "mksh"} {
		p, err := exec.LookPath(sh)
		if err != nil {
			continue
		}
		if out, err := exec.Command(p, "-n", "rc.d/wireguard").CombinedOutput(); err != nil {
			t.Errorf("%s -n: %v: %s", sh, err, out)
		}
	}
	fi, err := os.Stat("rc.d/wireguard")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o755 {
		t.Errorf("mode %v, want 0755 (rc.d scripts are executable)", fi.Mode().Perm())
	}
}
