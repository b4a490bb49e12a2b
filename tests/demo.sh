#!/usr/bin/env bash
# make demo: a real WireGuard tunnel between two network namespaces, both
# ends run by wgshim and brought up by our wg-quick (one from a classic INI
# .conf, the other from the same kind of file converted to TOML); then
# everything is removed.
#
#   netns wgshim-demo-a                         netns wgshim-demo-b
#   wg0 10.0.0.1/24, fd00::1/64                 wg1 10.0.0.2/24, fd00::2/64
#   veth 192.168.241.1/24  <---- veth pair ---->  veth 192.168.241.2/24
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/bin
for c in wgshim wg wg-quick; do
	[[ -x $bin/$c ]] || { echo "demo: $bin/$c missing: run make build" >&2; exit 1; }
done
if ((EUID != 0)); then
	echo "demo: needs root (network namespaces); try: sudo make demo" >&2
	exit 1
fi
export PATH=$bin:$PATH # wg-quick starts wgshim from PATH
a=wgshim-demo-a b=wgshim-demo-b
dir=$(mktemp -d)
cleanup() {
	ip -n $a link del wg0 2>/dev/null || true
	ip -n $b link del wg1 2>/dev/null || true
	ip netns del $a 2>/dev/null || true
	ip netns del $b 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
cleanup
dir=$(mktemp -d)
step() { printf '\n\033[1m[#] %s\033[0m\n' "$*"; }

step "two namespaces joined by a veth pair"
ip netns add $a
ip netns add $b
ip link add veth-a netns $a type veth peer name veth-b netns $b
ip -n $a addr add 192.168.241.1/24 dev veth-a
ip -n $b addr add 192.168.241.2/24 dev veth-b
ip -n $a link set veth-a up
ip -n $b link set veth-b up

step "keys and configurations"
key_a=$(wg genkey)
key_b=$(wg genkey)
umask 077
cat >"$dir/wg0.conf" <<CONF
[Interface]
PrivateKey = $key_a
Address = 10.0.0.1/24, fd00::1/64
ListenPort = 51820

[Peer]
PublicKey = $(wg pubkey <<<"$key_b")
Endpoint = 192.168.241.2:51821
AllowedIPs = 10.0.0.2/32, fd00::2/128
CONF
cat >"$dir/wg1.conf" <<CONF
[Interface]
PrivateKey = $key_b
Address = 10.0.0.2/24, fd00::2/64
ListenPort = 51821

[Peer]
PublicKey = $(wg pubkey <<<"$key_a")
Endpoint = 192.168.241.1:51820
AllowedIPs = 10.0.0.1/32, fd00::1/128
CONF
wg-quick convert "$dir/wg1.conf" >"$dir/wg1.toml"
rm "$dir/wg1.conf"
sed 's/PrivateKey = .*/PrivateKey = (hidden)/' "$dir/wg1.toml"

step "wg-quick up in each namespace (a from INI, b from TOML)"
ip netns exec $a wg-quick up "$dir/wg0.conf"
ip netns exec $b wg-quick up "$dir/wg1.toml"

step "ping through the tunnel, both ways, IPv4 and IPv6"
ip netns exec $a ping -c 3 -i 0.2 -W 2 10.0.0.2
ip netns exec $b ping -c 3 -i 0.2 -W 2 10.0.0.1
ip netns exec $a ping -c 3 -i 0.2 -W 2 fd00::2

step "wg show (namespace a)"
ip netns exec $a wg show wg0

step "wg-quick down: removes the interfaces and stops the daemons"
ip netns exec $a wg-quick down "$dir/wg0.conf"
ip netns exec $b wg-quick down "$dir/wg1.toml"
for _ in $(seq 50); do
	[[ -e /var/run/wireguard/wg0.sock || -e /var/run/wireguard/wg1.sock ]] || break
	sleep 0.1
done
if [[ -e /var/run/wireguard/wg0.sock || -e /var/run/wireguard/wg1.sock ]]; then
	echo "demo: a daemon did not exit" >&2
	exit 1
fi
echo "demo: done, everything removed"
