#!/usr/bin/env bash
# make demo: a real WireGuard tunnel between two network namespaces, both
# ends run by wgshim, configured with wg; then everything is removed.
#
#   netns wgshim-demo-a                         netns wgshim-demo-b
#   wg0 10.0.0.1/24, fd00::1/64                 wg1 10.0.0.2/24, fd00::2/64
#   veth 192.168.241.1/24  <---- veth pair ---->  veth 192.168.241.2/24
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/bin
wg=$bin/wg
[[ -x $wg ]] || wg=$(command -v wg) || { echo "demo: no wg command (make build, or apt-get install wireguard-tools)" >&2; exit 1; }
if ((EUID != 0)); then
	echo "demo: needs root (network namespaces); try: sudo make demo" >&2
	exit 1
fi
a=wgshim-demo-a b=wgshim-demo-b
cleanup() {
	ip -n $a link del wg0 2>/dev/null || true
	ip -n $b link del wg1 2>/dev/null || true
	ip netns del $a 2>/dev/null || true
	ip netns del $b 2>/dev/null || true
}
trap cleanup EXIT
cleanup
step() { printf '\n\033[1m[#] %s\033[0m\n' "$*"; }

step "two namespaces joined by a veth pair"
ip netns add $a
ip netns add $b
ip link add veth-a netns $a type veth peer name veth-b netns $b
ip -n $a addr add 192.168.241.1/24 dev veth-a
ip -n $b addr add 192.168.241.2/24 dev veth-b
ip -n $a link set veth-a up
ip -n $b link set veth-b up
ip -n $a link set lo up
ip -n $b link set lo up

key_a=$("$wg" genkey)
key_b=$("$wg" genkey)
pub_a=$(echo "$key_a" | "$wg" pubkey)
pub_b=$(echo "$key_b" | "$wg" pubkey)

step "start wgshim in each namespace"
ip netns exec $a "$bin/wgshim" wg0
ip netns exec $b "$bin/wgshim" wg1

step "configure both ends with $wg"
ip netns exec $a "$wg" set wg0 private-key <(echo "$key_a") listen-port 51820 \
	peer "$pub_b" endpoint 192.168.241.2:51821 allowed-ips 10.0.0.2/32,fd00::2/128
ip netns exec $b "$wg" set wg1 private-key <(echo "$key_b") listen-port 51821 \
	peer "$pub_a" endpoint 192.168.241.1:51820 allowed-ips 10.0.0.1/32,fd00::1/128
ip -n $a addr add 10.0.0.1/24 dev wg0
ip -n $a addr add fd00::1/64 dev wg0 nodad
ip -n $b addr add 10.0.0.2/24 dev wg1
ip -n $b addr add fd00::2/64 dev wg1 nodad
ip -n $a link set wg0 up
ip -n $b link set wg1 up

step "ping through the tunnel, both ways, IPv4 and IPv6"
ip netns exec $a ping -c 3 -i 0.2 -W 2 10.0.0.2
ip netns exec $b ping -c 3 -i 0.2 -W 2 10.0.0.1
ip netns exec $a ping -c 3 -i 0.2 -W 2 fd00::2

step "wg show (namespace a)"
ip netns exec $a "$wg" show wg0

step "tear down: deleting the interfaces stops the daemons"
ip -n $a link del wg0
ip -n $b link del wg1
for _ in $(seq 50); do
	[[ -e /var/run/wireguard/wg0.sock || -e /var/run/wireguard/wg1.sock ]] || break
	sleep 0.1
done
if [[ -e /var/run/wireguard/wg0.sock || -e /var/run/wireguard/wg1.sock ]]; then
	echo "demo: a daemon did not exit" >&2
	exit 1
fi
echo "demo: done, everything removed"
