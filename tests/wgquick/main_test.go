//go:build linux

package wgquick_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wgshim/wgshim/internal/testenv"
	"github.com/wgshim/wgshim/tests/internal/snapshot"
)

// The interface name every run uses: each run has its own namespaces, so
// snapshots of different implementations compare directly.
const iface = "wgq0"

var (
	binDir   string // temporary directory with the binaries we built
	wgshim   string // our daemon
	ourQuick string // our wg-quick
	ourWG    string // our wg, next to ourQuick (on PATH for our runs)
	buildErr error
	seq      atomic.Int32
)

func TestMain(m *testing.M) {
	if os.Geteuid() == 0 || testenv.InCI() {
		binDir, buildErr = os.MkdirTemp("", "wgshim-wgquick-")
		if buildErr == nil {
			buildErr = build(binDir)
		}
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// build compiles wgshim, our wg-quick and our wg.
func build(dir string) error {
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	root := filepath.Join("..", "..")
	for _, p := range []string{"wgshim", "wg-quick", "wg"} {
		out, err := exec.Command(gobin, "build", "-o", filepath.Join(dir, p), "./"+filepath.ToSlash(filepath.Join(root, "cmd", p))).CombinedOutput()
		if err != nil {
			return fmt.Errorf("go build ./cmd/%s: %v\n%s", p, err, out)
		}
	}
	wgshim = filepath.Join(dir, "wgshim")
	ourQuick, ourWG = filepath.Join(dir, "wg-quick"), filepath.Join(dir, "wg")
	return nil
}

// prereq skips (or, with CI=true, fails) when the test cannot run here,
// and returns the path of Debian's wg-quick.
func prereq(t *testing.T) string {
	t.Helper()
	testenv.RequireRoot(t, "network and mount namespaces")
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	for _, c := range []string{"ip", "nft", "bash", "sysctl"} {
		testenv.RequireTool(t, c)
	}
	if _, err := os.Stat("/usr/bin/wg"); err != nil {
		testenv.Skip(t, "Debian's wg not found at /usr/bin/wg (apt-get install wireguard-tools)")
	}
	for _, p := range []string{"/usr/bin/wg-quick", "/usr/sbin/wg-quick"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	testenv.Skip(t, "Debian's wg-quick not found (apt-get install wireguard-tools)")
	return ""
}

// impl is one wg-quick under test.
type impl struct {
	name  string
	quick string // the wg-quick command
	ours  bool   // our wg-quick: our bin dir first in PATH
	toml  bool   // run from the TOML produced by `wg-quick convert`
}

// impls returns Debian's wg-quick, and ours with INI and with TOML.
func impls(debian string) []impl {
	return []impl{
		{name: "debian", quick: debian},
		{name: "ours-ini", quick: ourQuick, ours: true},
		{name: "ours-toml", quick: ourQuick, ours: true, toml: true},
	}
}

// run is one execution of the driver in a fresh namespace.
type run struct {
	dir   string                       // its output directory
	snaps map[string]snapshot.Snapshot // by step name
	rc    map[string]int               // exit status by step name
	logs  map[string]string            // output by step name
	conf  string                       // the configuration file used
	orig  string                       // its content before the run
}

// hostsFile and nsswitch make endpoint names resolve from files only.
const (
	hostsFile = "127.0.0.1 localhost\n::1 localhost\n192.0.2.7 peer.wgq.test\n2001:db8::7 peer6.wgq.test\n192.0.2.8 peer2.wgq.test\n"
	nsswitch  = "hosts: files\n"
)

// fakeResolvconf records what it is told in the namespace's /run, and
// fails when /run/fake-resolvconf/fail exists.
const fakeResolvconf = `#!/bin/sh
d=/run/fake-resolvconf
mkdir -p "$d"
if [ -e "$d/fail" ]; then echo "resolvconf: injected failure" >&2; exit 1; fi
case "$1" in
-a) { echo "# resolvconf $*"; cat; } > "$d/$2" ;;
-d) rm -f "$d/$2" ;;
-l) cat "$d/$2" 2>/dev/null | grep -v '^#' ;;
*) echo "resolvconf: unexpected arguments: $*" >&2; exit 2 ;;
esac
`

// driver runs inside `ip netns exec`: it isolates the mounts, builds the
// topology and performs the steps given as arguments:
//
//	snap:NAME          snapshot into $out/NAME
//	NAME=VERB          run "$WGQ_CMD VERB $WGQ_CONF" (output and status
//	                   into $out/NAME.log and $out/NAME.rc)
//	NAME@=VERB         the same with the alternate implementation
//	                   ($WGQ_ALT_CMD, $WGQ_ALT_CONF, $WGQ_ALT_PATH)
const driver = `set -u
out=$1; shift
mount -t tmpfs -o mode=0755 wgq-run /run || exit 90
mkdir -p /run/wireguard /run/fake-resolvconf
mount --bind "$WGQ_ETC/hosts" /etc/hosts || exit 90
mount --bind "$WGQ_ETC/nsswitch.conf" /etc/nsswitch.conf || exit 90
sysctl -q -w net.ipv6.conf.default.addr_gen_mode=1 || exit 91
ip link set lo up
ip link add uplink0 address 02:00:00:00:00:01 type veth peer name uplink1 address 02:00:00:00:00:02 || exit 92
ip link set uplink1 up
ip link set uplink0 mtu 1400 up
ip addr add 192.0.2.1/24 dev uplink0
ip addr add 2001:db8::1/64 dev uplink0 nodad
ip route add default via 192.0.2.254
ip -6 route add default via 2001:db8::fe
eval "$WGQ_SETUP" || exit 93
# IPv6 local routes appear asynchronously: wait for the topology to settle.
for i in $(seq 100); do
	ip -6 route show table local | grep -q '^local 2001:db8::1 ' && break
	sleep 0.05
done

snap() {
	local d=$out/$1 s n i
	mkdir -p "$d"
	# A userspace daemon exits shortly after its interface is deleted.
	for i in $(seq 100); do
		n=0
		for s in /run/wireguard/*.sock; do
			[ -e "$s" ] || continue
			s=${s##*/}
			ip link show dev "${s%.sock}" >/dev/null 2>&1 || n=1
		done
		[ $n = 0 ] && break
		sleep 0.05
	done
	# Read until two reads agree, so asynchronous kernel updates (routes
	# following an address or a link state) are not caught half way.
	for i in $(seq 40); do
		ip -j addr > "$d/addr.json"
		ip -j -4 route show table all > "$d/route4.json"
		ip -j -6 route show table all > "$d/route6.json"
		ip -j -4 rule > "$d/rule4.json"
		ip -j -6 rule > "$d/rule6.json"
		cat "$d"/addr.json "$d"/route?.json "$d"/rule?.json > "$d.now"
		if [ -e "$d.prev" ] && cmp -s "$d.prev" "$d.now"; then break; fi
		mv "$d.now" "$d.prev"
		sleep 0.05
	done
	rm -f "$d.prev" "$d.now"
	nft -j list ruleset > "$d/nft.json"
	/usr/bin/wg show all dump > "$d/wg.txt" 2>&1
	sysctl -n net.ipv4.conf.all.src_valid_mark > "$d/sysctl.txt"
	ls -A /run/wireguard > "$d/sockets.txt"
	for s in /run/fake-resolvconf/*; do [ -e "$s" ] && { echo "== ${s##*/}"; cat "$s"; }; done > "$d/resolvconf.txt"
	cat /run/marks > "$d/marks.txt" 2>/dev/null || true
}

for step; do
	case $step in
	snap:*) snap "${step#snap:}" ;;
	*@=*)
		name=${step%%@=*}
		env PATH="$WGQ_ALT_PATH" WG_QUICK_USERSPACE_IMPLEMENTATION="$WGQ_USERSPACE" WG_ENDPOINT_RESOLUTION_RETRIES=1 \
			"$WGQ_ALT_CMD" "${step#*@=}" "$WGQ_ALT_CONF" > "$out/$name.log" 2>&1 < /dev/null
		echo $? > "$out/$name.rc"
		;;
	*=*)
		name=${step%%=*}
		env PATH="$WGQ_PATH" WG_QUICK_USERSPACE_IMPLEMENTATION="$WGQ_USERSPACE" WG_ENDPOINT_RESOLUTION_RETRIES=1 \
			"$WGQ_CMD" "${step#*=}" "$WGQ_CONF" > "$out/$name.log" 2>&1 < /dev/null
		echo $? > "$out/$name.rc"
		;;
	*) echo "driver: bad step $step" >&2; exit 94 ;;
	esac
done
`

// scenario is one configuration and the conditions around it.
type scenario struct {
	name  string
	conf  string // INI configuration for wgq0
	setup string // shell run in the namespace before anything else
	noNft bool   // hide nft(8) from wg-quick's PATH
	// noTOML says why this configuration has no TOML form (our parser
	// rejects it while Debian's wg-quick only fails when applying it).
	noTOML     string
	resolvconf bool // put the fake resolvconf(8) in PATH
	randomPort bool // no ListenPort: the port is normalised
}

// execute runs the driver for one implementation and scenario.
func execute(t *testing.T, im impl, sc scenario, steps ...string) *run {
	t.Helper()
	return executeMixed(t, im, nil, sc, steps...)
}

// executeMixed is execute where steps written NAME@=VERB run the alternate
// implementation alt (with the INI file) instead of im.
func executeMixed(t *testing.T, im impl, alt *impl, sc scenario, steps ...string) *run {
	t.Helper()
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc")
	fake := filepath.Join(dir, "fakebin")
	out := filepath.Join(dir, "out")
	for _, d := range []string{etc, fake, out} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string, mode os.FileMode) {
		if err := os.WriteFile(p, []byte(s), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(etc, "hosts"), hostsFile, 0o644)
	write(filepath.Join(etc, "nsswitch.conf"), nsswitch, 0o644)
	write(filepath.Join(dir, "driver.sh"), driver, 0o755)
	if sc.resolvconf {
		write(filepath.Join(fake, "resolvconf"), fakeResolvconf, 0o755)
	}

	conf := filepath.Join(dir, iface+".conf")
	write(conf, sc.conf, 0o600)
	if im.toml {
		if sc.noTOML != "" {
			t.Logf("%s: skipped: %s", im.name, sc.noTOML)
			return nil
		}
		toml, err := exec.Command(im.quick, "convert", conf).Output()
		if err != nil {
			t.Fatalf("%s convert %s: %v\n%s", im.quick, conf, err, stderrOf(err))
		}
		conf = filepath.Join(dir, iface+".toml")
		write(conf, string(toml), 0o600)
	}

	orig, _ := os.ReadFile(conf)
	basePath := fake + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	if sc.noNft {
		// Everything wg-quick needs, without nft: /usr/bin holds ip, bash
		// and coreutils on Debian; sysctl is linked in.
		if err := os.Symlink("/usr/sbin/sysctl", filepath.Join(fake, "sysctl")); err != nil {
			t.Fatal(err)
		}
		basePath = fake + ":/usr/bin"
	}
	pathFor := func(im impl) string {
		if im.ours {
			return binDir + ":" + basePath
		}
		return basePath
	}
	altEnv := []string{"WGQ_ALT_CMD=", "WGQ_ALT_CONF=", "WGQ_ALT_PATH="}
	if alt != nil {
		altEnv = []string{"WGQ_ALT_CMD=" + alt.quick, "WGQ_ALT_CONF=" + filepath.Join(dir, iface+".conf"), "WGQ_ALT_PATH=" + pathFor(*alt)}
	}

	ns := fmt.Sprintf("wgq-%d-%d", os.Getpid(), seq.Add(1))
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v\n%s", ns, err, out)
	}
	defer destroyNetns(t, ns)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"netns", "exec", ns, "bash", filepath.Join(dir, "driver.sh"), out}, steps...)
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Env = append(os.Environ(),
		"WGQ_ETC="+etc, "WGQ_SETUP="+sc.setup, "WGQ_CMD="+im.quick, "WGQ_CONF="+conf,
		"WGQ_PATH="+pathFor(im), "WGQ_USERSPACE="+wgshim)
	cmd.Env = append(cmd.Env, altEnv...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: driver %v: %v\n%s", im.name, steps, err, buf.String())
	}

	r := &run{dir: out, snaps: map[string]snapshot.Snapshot{}, rc: map[string]int{}, logs: map[string]string{}, conf: conf, orig: string(orig)}
	for _, s := range steps {
		if name, ok := strings.CutPrefix(s, "snap:"); ok {
			r.snaps[name] = readSnapshot(t, filepath.Join(out, name), sc.randomPort)
			continue
		}
		name, _, _ := strings.Cut(s, "=")
		name = strings.TrimSuffix(name, "@")
		b, err := os.ReadFile(filepath.Join(out, name+".rc"))
		if err != nil {
			t.Fatalf("%s: step %s did not run: %v\n%s", im.name, name, err, buf.String())
		}
		r.rc[name], _ = strconv.Atoi(strings.TrimSpace(string(b)))
		log, _ := os.ReadFile(filepath.Join(out, name+".log"))
		r.logs[name] = string(log)
	}
	return r
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// destroyNetns kills what is left in the namespace (daemons this test
// started, by pid) and deletes it.
func destroyNetns(t *testing.T, ns string) {
	t.Helper()
	for i := 0; i < 50; i++ {
		out, _ := exec.Command("ip", "netns", "pids", ns).Output()
		pids := strings.Fields(string(out))
		if len(pids) == 0 {
			break
		}
		for _, p := range pids {
			if pid, err := strconv.Atoi(p); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
		t.Errorf("ip netns del %s: %v\n%s", ns, err, out)
	}
}
