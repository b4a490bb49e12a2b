package wgquick

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wgshim/wgshim/internal/testenv"
)

// The real tests run our wg-quick, wg and wgshim binaries inside a private
// network namespace and mount namespace (unshare -mn), so this machine's
// routes, rules, firewall and resolver are never touched:
//
//	+------------------------- unshare -mn --------------------------+
//	|  tmpfs on /run (uapi sockets, fake resolvconf state)           |
//	|  lo up                                                         |
//	|  veth0 192.0.2.10/24, mtu 1400  <-> veth1 (down)               |
//	|  default via 192.0.2.254 dev veth0                             |
//	|  wg0: created by `wg-quick up` (kernel module, else wgshim)    |
//	+----------------------------------------------------------------+
//
// Each case snapshots `ip -j addr/route/rule` and `nft -j list ruleset`
// before up, after up and after down; after down must equal before.

// requireRoot skips the test when not root, unless CI=true, where a
// missing prerequisite fails.
func requireRoot(t *testing.T, progs ...string) {
	t.Helper()
	testenv.RequireRoot(t, "network and mount namespaces")
	for _, p := range progs {
		testenv.RequireTool(t, p)
	}
}

// buildBinaries builds wg-quick, wg and wgshim into a temporary directory
// and adds a fake resolvconf that keeps its state under /run.
func buildBinaries(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	cmd := exec.Command("go", "build", "-o", bin,
		"github.com/wgshim/wgshim/cmd/wg-quick", "github.com/wgshim/wgshim/cmd/wg", "github.com/wgshim/wgshim/cmd/wgshim")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	fake := `#!/bin/sh
d=/run/fake-resolvconf
mkdir -p "$d"
echo "$*" >> "$d/log"
case "$1" in
-a) cat > "$d/$2" ;;
-d) rm -f "$d/$2" ;;
-l) cat "$d/$2" ;;
*) exit 2 ;;
esac
`
	if err := os.WriteFile(filepath.Join(bin, "resolvconf"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

const netnsSetup = `set -e
mount -t tmpfs tmpfs /run
ip link set lo up
ip link add veth0 mtu 1400 type veth peer name veth1
ip addr add 192.0.2.10/24 dev veth0
ip link set veth0 up
ip route add default via 192.0.2.254 dev veth0 onlink
snap() {
	ip -j addr show > "$OUT/$1.addr"
	ip -j route show table all > "$OUT/$1.route"
	ip -j -4 rule show > "$OUT/$1.rule4"
	ip -j -6 rule show > "$OUT/$1.rule6"
	nft -j list ruleset > "$OUT/$1.nft"
	ls /run/fake-resolvconf 2>/dev/null | grep -v '^log$' > "$OUT/$1.dns" || true
}
`

// runNetns runs script (after netnsSetup) in new namespaces with bin first
// in PATH and OUT set to a directory for results, which it returns.
func runNetns(t *testing.T, bin, script string) (string, string) {
	t.Helper()
	out := t.TempDir()
	cmd := exec.Command("unshare", "-mn", "--propagation", "private", "bash", "-c", netnsSetup+script)
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "OUT="+out, "WG_QUICK_USERSPACE_IMPLEMENTATION=wgshim")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("namespace script: %v\n%s", err, b)
	}
	return out, string(b)
}

func readOut(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkRestored(t *testing.T, out string) {
	t.Helper()
	for _, k := range []string{"addr", "route", "rule4", "rule6", "nft", "dns"} {
		if a, b := readOut(t, out, "before."+k), readOut(t, out, "after."+k); a != b {
			t.Errorf("%s after down differs from before up:\nbefore: %s\nafter:  %s", k, a, b)
		}
	}
}

func mustContain(t *testing.T, what, text string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(text, s) {
			t.Errorf("%s lacks %q:\n%s", what, s, text)
		}
	}
}

func TestNetnsFullTunnel(t *testing.T) {
	requireRoot(t, "unshare", "ip", "nft", "bash", "go")
	bin := buildBinaries(t)
	conf := `[Interface]
PrivateKey = ` + testPriv + `
Address = 10.0.0.1/24, fd00::1/64
DNS = 10.0.0.53, example.com
PostUp = echo "post-up %i" > /run/hook.out

[Peer]
PublicKey = ` + testPub1 + `
AllowedIPs = 0.0.0.0/0, ::/0, 10.9.0.0/16
Endpoint = 192.0.2.1:51820
`
	dir := privateDir(t)
	p := writeConf(t, dir, "wg0.conf", conf, 0o600)
	out, log := runNetns(t, bin, `
snap before
wg-quick up `+p+` 2> "$OUT/up.log"
snap up
ip -4 rule show > "$OUT/up.rules"; ip -6 rule show >> "$OUT/up.rules"
ip route show table 51820 > "$OUT/up.table"; ip -6 route show table 51820 >> "$OUT/up.table"
ip route show dev wg0 > "$OUT/up.main"
nft list ruleset > "$OUT/up.nftext"
cat /run/fake-resolvconf/wg0 > "$OUT/up.resolv"
cat /run/hook.out > "$OUT/up.hook"
ip link show dev wg0 > "$OUT/up.link"
wg show wg0 fwmark > "$OUT/up.fwmark"
sysctl -n net.ipv4.conf.all.src_valid_mark > "$OUT/up.sysctl"
wg-quick down `+p+` 2> "$OUT/down.log"
snap after
if wg-quick down `+p+` 2> "$OUT/down2.log"; then echo second down succeeded; exit 1; fi
`)
	t.Log(log)
	upLog := readOut(t, out, "up.log")
	mustContain(t, "up output", upLog, "[#] ip link add dev wg0 type wireguard\n", "[#] wg set wg0 fwmark 51820\n",
		"[#] ip -4 rule add not fwmark 51820 table 51820\n", "[#] nft -f /dev/fd/63\n")
	if _, err := os.Stat("/sys/module/wireguard"); err != nil {
		mustContain(t, "up output", upLog, missingModule+"\n[#] wgshim wg0\n")
	}
	mustContain(t, "rules", readOut(t, out, "up.rules"), "not from all fwmark 0xca6c lookup 51820", "from all lookup main suppress_prefixlength 0")
	mustContain(t, "table 51820", readOut(t, out, "up.table"), "default dev wg0", "default dev wg0 metric 1024")
	mustContain(t, "main table", readOut(t, out, "up.main"), "10.9.0.0/16 scope link", "10.0.0.0/24 proto kernel")
	mustContain(t, "nft ruleset", readOut(t, out, "up.nftext"), "table ip wg-quick-wg0", "table ip6 wg-quick-wg0",
		`iifname != "wg0" ip daddr 10.0.0.1 fib saddr type != local drop`, `iifname != "wg0" ip6 daddr fd00::1 fib saddr type != local drop`,
		"meta l4proto udp meta mark 0x0000ca6c ct mark set meta mark")
	if got := readOut(t, out, "up.resolv"); got != "nameserver 10.0.0.53\nsearch example.com\n" {
		t.Errorf("resolvconf input %q", got)
	}
	if got := readOut(t, out, "up.hook"); got != "post-up wg0\n" {
		t.Errorf("hook wrote %q", got)
	}
	mustContain(t, "link", readOut(t, out, "up.link"), "mtu 1320", ",UP,")
	if got := readOut(t, out, "up.fwmark"); got != "0xca6c\n" {
		t.Errorf("fwmark %q", got)
	}
	if got := readOut(t, out, "up.sysctl"); got != "1\n" {
		t.Errorf("src_valid_mark %q", got)
	}
	mustContain(t, "down output", readOut(t, out, "down.log"), "[#] ip -4 rule delete table 51820\n", "[#] ip link delete dev wg0\n", "[#] resolvconf -d wg0 -f\n")
	mustContain(t, "second down", readOut(t, out, "down2.log"), "wg-quick: `wg0' is not a WireGuard interface\n")
	checkRestored(t, out)
}

func TestNetnsSaveConfigAndFailure(t *testing.T) {
	requireRoot(t, "unshare", "ip", "nft", "bash", "go")
	bin := buildBinaries(t)
	dir := privateDir(t)
	toml := `[Interface]
PrivateKey = "` + testPriv + `"
Address = ["10.0.0.1/24"]
Table = "1234"
MTU = 1300
SaveConfig = true

[[Peer]]
PublicKey = "` + testPub1 + `"
AllowedIPs = ["10.0.0.0/24", "10.5.0.0/16"]
`
	p := writeConf(t, dir, "wg1.toml", toml, 0o600)
	failing := writeConf(t, dir, "wg2.conf", `[Interface]
PrivateKey = `+testPriv+`
Address = 10.0.2.1/24
DNS = 10.0.0.53
PostUp = exit 7

[Peer]
PublicKey = `+testPub1+`
AllowedIPs = 0.0.0.0/0
`, 0o600)
	out, log := runNetns(t, bin, `
snap before
wg-quick up `+p+` 2> "$OUT/up.log"
ip route show table 1234 > "$OUT/up.table"
wg set wg1 peer `+testPub1+` persistent-keepalive 25 endpoint 192.0.2.7:4444
ip addr add 10.0.1.1/24 dev wg1
wg-quick down `+p+` 2> "$OUT/down.log"
set +e
wg-quick up `+failing+` 2> "$OUT/fail.log"
echo $? > "$OUT/fail.code"
set -e
snap after
`)
	t.Log(log)
	mustContain(t, "table 1234", readOut(t, out, "up.table"), "10.0.0.0/24 dev wg1", "10.5.0.0/16 dev wg1")
	mustContain(t, "down output", readOut(t, out, "down.log"), "[#] wg showconf wg1\n")
	saved, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "saved config", string(saved), `Address = ["10.0.0.1/24", "10.0.1.1/24"]`, "MTU = 1300", "Table = 1234",
		"SaveConfig = true", `Endpoint = "192.0.2.7:4444"`, "PersistentKeepalive = 25", `PrivateKey = "`+testPriv+`"`)
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("saved file mode: %v %v", fi.Mode(), err)
	}
	if got := readOut(t, out, "fail.code"); got != "7\n" {
		t.Errorf("failed up exit status %q, want 7", got)
	}
	mustContain(t, "failed up", readOut(t, out, "fail.log"), "[#] ip link delete dev wg2\n", "[#] resolvconf -d wg2 -f\n",
		"wg-quick: up wg2: "+failing+":5: PostUp: exit 7: exit status 7\n")
	checkRestored(t, out)
}
