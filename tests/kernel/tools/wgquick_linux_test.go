//go:build linux

package tools_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wgshim/wgshim/tests/internal/snapshot"
)

// quickDriver runs in the test's namespace: it builds an uplink with a
// default route (so wg-quick finds an MTU and the endpoint a route), then
// snapshots, brings wgq0 up, snapshots, takes it down and snapshots.
// $1: output directory, $2: wg-quick, $3: configuration, $4: Debian's wg.
const quickDriver = `set -u
out=$1 quick=$2 conf=$3 wg=$4
# Few process starts: each one is slow in the VM.
echo 1 > /proc/sys/net/ipv6/conf/default/addr_gen_mode || exit 90
ip -batch - <<EOB || exit 91
link set lo up
link add uplink0 address 02:00:00:00:00:01 type veth peer name uplink1 address 02:00:00:00:00:02
link set uplink1 up
link set uplink0 mtu 1400 up
addr add 192.0.2.1/24 dev uplink0
addr add 2001:db8::1/64 dev uplink0 nodad
route add default via 192.0.2.254
route add default via 2001:db8::fe
EOB
for ((i = 0; i < 100; i++)); do
	[[ $(ip -6 route show table local) == *"local 2001:db8::1 "* ]] && break
done

snap() {
	local prev= cur i
	# Read until two reads agree: routes follow addresses asynchronously.
	for ((i = 0; i < 40; i++)); do
		cur=$(ip -j addr; echo "@@ route4.json"; ip -j -4 route show table all; echo "@@ route6.json"
			ip -j -6 route show table all; echo "@@ rule4.json"; ip -j -4 rule; echo "@@ rule6.json"; ip -j -6 rule)
		[[ $cur == "$prev" ]] && break
		prev=$cur
	done
	{
		echo "@@ addr.json"; echo "$cur"; echo "@@ nft.json"; nft -j list ruleset
		echo "@@ wg.txt"; "$wg" show all dump 2>&1
		echo "@@ sysctl.txt"; echo "$(< /proc/sys/net/ipv4/conf/all/src_valid_mark)"
	} > "$out/$1.txt"
}

snap before
"$quick" up "$conf" > "$out/up.log" 2>&1 < /dev/null
echo $? > "$out/up.rc"
snap up
"$quick" down "$conf" > "$out/down.log" 2>&1 < /dev/null
echo $? > "$out/down.rc"
snap down
`

// quickRun is what one wg-quick did to one namespace.
type quickRun struct {
	snaps        map[string]snapshot.Snapshot // before, up, down
	upRC, downRC string
	logs         string
}

// runQuick runs quick (with PATH path) on conf in a fresh namespace.
func runQuick(t *testing.T, e env, quick, path, conf string, randomPort bool) quickRun {
	t.Helper()
	n := newNetns(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o700); err != nil {
		t.Fatal(err)
	}
	driver := writeFile(t, "driver.sh", quickDriver)
	confFile := filepath.Join(dir, "wgq0.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	r := n.exec(t, []string{"PATH=" + path, "WG_ENDPOINT_RESOLUTION_RETRIES=0"}, "bash", driver, out, quick, confFile, e.debianWG)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatalf("%s: %v\ndriver: %v", name, err, r)
		}
		return string(b)
	}
	q := quickRun{snaps: map[string]snapshot.Snapshot{}, upRC: strings.TrimSpace(read("up.rc")), downRC: strings.TrimSpace(read("down.rc"))}
	q.logs = "up:\n" + read("up.log") + "down:\n" + read("down.log")
	for _, s := range []string{"before", "up", "down"} {
		snap := snapshot.Snapshot{}
		parts := strings.Split(read(s+".txt"), "@@ ")
		for _, part := range parts[1:] {
			c, text, _ := strings.Cut(part, "\n")
			switch {
			case c == "wg.txt":
				text = snapshot.NormaliseDump(text, randomPort)
			case strings.HasSuffix(c, ".json"):
				if strings.TrimSpace(text) == "" {
					text = "[]" // ip prints nothing for an empty list
				}
				var err error
				if text, err = snapshot.NormaliseJSON(c, []byte(text)); err != nil {
					t.Fatalf("%s/%s: %v\n%s", s, c, err, text)
				}
			}
			snap[c] = text
		}
		if len(snap) != 8 || parts[0] != "" {
			t.Fatalf("snapshot %s: %d components %v, want 8\n%s", s, len(snap), parts, r)
		}
		q.snaps[s] = snap
	}
	return q
}

// TestKernelWgQuick brings the same configurations up and down with
// Debian's wg-quick and ours on the kernel driver and compares the state
// each leaves.
func TestKernelWgQuick(t *testing.T) {
	e := kernelVM(t)
	priv, peer, psk := genKey(t), genKey(t), genKey(t)
	configs := []struct {
		name, conf string
		randomPort bool
		check      func(t *testing.T, up snapshot.Snapshot)
	}{
		{"table", fmt.Sprintf("[Interface]\nPrivateKey = %s\nListenPort = 51820\nAddress = 10.60.0.2/24, fd60::2/64\nTable = 1234\n\n"+
			"[Peer]\nPublicKey = %s\nAllowedIPs = 10.61.0.0/16, fd61::/48\nEndpoint = 192.0.2.7:51820\n", priv, peer.PublicKey()), false,
			func(t *testing.T, up snapshot.Snapshot) {
				for c, s := range map[string]string{"route4.json": `"table": "1234"`, "route6.json": `"dst": "fd61::/48"`, "addr.json": `"mtu": 1320`} {
					if !strings.Contains(up[c], s) {
						t.Errorf("after up, %s lacks %s:\n%s", c, s, up[c])
					}
				}
			}},
		{"fulltunnel", fmt.Sprintf("[Interface]\nPrivateKey = %s\nAddress = 10.62.0.2/32, fd62::2/128\n\n"+
			"[Peer]\nPublicKey = %s\nPresharedKey = %s\nAllowedIPs = 0.0.0.0/0, ::/0\nEndpoint = 192.0.2.7:51820\nPersistentKeepalive = 25\n",
			priv, peer.PublicKey(), psk), true,
			func(t *testing.T, up snapshot.Snapshot) {
				for c, s := range map[string]string{"rule4.json": `"suppress_prefixlen": 0`, "rule6.json": `"fwmark": "0xca6c"`,
					"nft.json": `"wg-quick-wgq0"`, "sysctl.txt": "1"} {
					if !strings.Contains(up[c], s) {
						t.Errorf("after up, %s lacks %s:\n%s", c, s, up[c])
					}
				}
			}},
	}
	debianPath := "/usr/sbin:/usr/bin:/sbin:/bin"
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			debian := runQuick(t, e, e.debianQuick, debianPath, c.conf, c.randomPort)
			ours := runQuick(t, e, e.ourQuick, e.ours+":"+debianPath, c.conf, c.randomPort)
			for _, r := range []struct {
				name string
				q    quickRun
			}{{"debian", debian}, {"ours", ours}} {
				if r.q.upRC != "0" || r.q.downRC != "0" {
					t.Fatalf("%s: up exit %s, down exit %s\n%s", r.name, r.q.upRC, r.q.downRC, r.q.logs)
				}
				// sysctl.txt: wg-quick sets src_valid_mark and leaves it.
				before, down := r.q.snaps["before"], r.q.snaps["down"]
				delete(before, "sysctl.txt")
				delete(down, "sysctl.txt")
				if d := snapshot.Diff(before, down); d != "" {
					t.Errorf("%s: state after down differs from before up (-before +after):\n%s", r.name, d)
				}
				if !strings.Contains(r.q.snaps["up"]["wg.txt"], "wgq0\t") {
					t.Errorf("%s: no wgq0 in wg show all dump after up:\n%s", r.name, r.q.snaps["up"]["wg.txt"])
				}
			}
			c.check(t, debian.snaps["up"])
			if d := snapshot.Diff(debian.snaps["before"], ours.snaps["before"]); d != "" {
				t.Errorf("namespaces differ before up (-debian +ours):\n%s", d)
			}
			if d := snapshot.Diff(debian.snaps["up"], ours.snaps["up"]); d != "" {
				t.Errorf("state after up differs (-debian +ours):\n%s\ndebian's log:\n%s\nour log:\n%s", d, debian.logs, ours.logs)
			}
		})
	}
}
