#!/usr/bin/env bash
# bench-tunnel.sh (make bench-tunnel): wgshim against wireguard-go on a real
# tunnel between two network namespaces.
#
#   netns wgbench-<pid>-a                       netns wgbench-<pid>-b
#   wgb<pid>a 10.0.0.1/24 (iperf3 client)       wgb<pid>b 10.0.0.2/24 (iperf3 -s)
#   veth 192.168.241.1/24  <---- veth pair ---->  veth 192.168.241.2/24
#
# For ROUNDS rounds (default 2), interleaved (the order alternates every
# round), each implementation runs on both ends and iperf3 sends one TCP
# stream for DURATION seconds (default 10) each way. Reported per run:
# Gbit/s (receiver side) and CPU-seconds per GB moved: utime+stime of both
# daemons from /proc/PID/stat before and after, over the bytes received.
# Then memory: one daemon, interface up, PEERS peers (default 10000) of 2
# allowed IPs each set over the UAPI (tests/netns/loadpeers), VmRSS and
# VmHWM from /proc/PID/status. Ratios are wgshim / wireguard-go.
#
# Needs root, ip, iperf3, wg and go. It is a benchmark, not a test: it exits
# 0 whenever it could measure, whatever the numbers are.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10}
PEERS=${PEERS:-10000}

die() { echo "bench-tunnel: $*" >&2; exit 1; }
((EUID == 0)) || die "needs root (network namespaces); try: sudo make bench-tunnel"
for c in ip iperf3 wg go awk; do
	command -v $c >/dev/null || die "$c is missing (apt-get install iproute2 iperf3 wireguard-tools)"
done

work=$(mktemp -d /tmp/wgshim-bench.XXXXXX)
a=wgbench-$$-a b=wgbench-$$-b
ifa=wgb$$a ifb=wgb$$b
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for ns in $a $b; do ip netns del $ns 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

echo "building wgshim, wireguard-go and loadpeers into $work"
export CGO_ENABLED=0
go build -trimpath -o "$work/wgshim" ./cmd/wgshim
go build -trimpath -o "$work/wireguard-go" golang.zx2c4.com/wireguard
go build -trimpath -o "$work/loadpeers" ./tests/netns/loadpeers

tck=$(getconf CLK_TCK)

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# cpu_ticks PID...: utime+stime of the processes, in clock ticks.
cpu_ticks() {
	local t=0 p s
	for p in "$@"; do
		# Fields after the ")" that ends comm: state is 3, utime 14, stime 15.
		s=$(sed 's/^.*) //' "/proc/$p/stat")
		t=$((t + $(echo "$s" | awk '{print $12 + $13}')))
	done
	echo $t
}

# wait_socket IFACE: until the UAPI socket exists.
wait_socket() {
	local i
	for i in $(seq 100); do
		[[ -S /var/run/wireguard/$1.sock ]] && return 0
		sleep 0.05
	done
	die "no UAPI socket for $1"
}

# start_daemon IMPL NS IFACE: runs it in the foreground in the background;
# ip netns exec execs, so $! is the daemon itself.
start_daemon() {
	ip netns exec "$2" "$work/$1" -f "$3" >"$work/$3.log" 2>&1 &
	pids+=($!)
	wait_socket "$3"
}

# stop_all: stop the daemons and delete the namespaces.
stop_all() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
	for ns in $a $b; do ip netns del $ns 2>/dev/null || true; done
}

# setup IMPL: the two namespaces with IMPL on both ends; sets pid_a, pid_b.
setup() {
	ip netns add $a
	ip netns add $b
	ip link add veth-a netns $a type veth peer name veth-b netns $b
	ip -n $a addr add 192.168.241.1/24 dev veth-a
	ip -n $b addr add 192.168.241.2/24 dev veth-b
	for ns in $a $b; do
		ip -n $ns link set lo up
		ip -n $ns link set veth-${ns##*-} up
	done
	start_daemon "$1" $a $ifa
	pid_a=${pids[-1]}
	start_daemon "$1" $b $ifb
	pid_b=${pids[-1]}
	local ka kb
	ka=$(wg genkey) kb=$(wg genkey)
	echo "$ka" >"$work/ka" && echo "$kb" >"$work/kb"
	ip netns exec $a wg set $ifa private-key "$work/ka" listen-port 51820 \
		peer "$(echo "$kb" | wg pubkey)" endpoint 192.168.241.2:51821 allowed-ips 10.0.0.2/32
	ip netns exec $b wg set $ifb private-key "$work/kb" listen-port 51821 \
		peer "$(echo "$ka" | wg pubkey)" endpoint 192.168.241.1:51820 allowed-ips 10.0.0.1/32
	ip -n $a addr add 10.0.0.1/24 dev $ifa
	ip -n $b addr add 10.0.0.2/24 dev $ifb
	ip -n $a link set $ifa up
	ip -n $b link set $ifb up
	ip netns exec $a ping -q -c 2 -i 0.2 -W 2 10.0.0.2 >/dev/null || die "$1: no ping through the tunnel"
	ip netns exec $b iperf3 -s -p 5201 >/dev/null 2>&1 &
	pids+=($!)
	sleep 0.3
}

# json_num FILE KEY: the value of KEY inside the "sum_received" object of
# an iperf3 -J report.
json_num() {
	awk -v key="\"$2\"" '
		/"sum_received"/ { in_sum = 1 }
		in_sum && index($0, key) { gsub(/[",]/, ""); print $2; exit }
	' "$1"
}

# measure IMPL DIR ROUND: one iperf3 run; DIR is "a->b" or "b->a".
measure() {
	local flag= out="$work/iperf-$1-$3-${2/->/}.json" c0 c1 bytes bps cpu
	[[ $2 == "b->a" ]] && flag=-R
	c0=$(cpu_ticks $pid_a $pid_b)
	ip netns exec $a iperf3 -c 10.0.0.2 -p 5201 -t "$DURATION" -J $flag >"$out" || die "$1: iperf3 failed: $(tail -5 "$out")"
	c1=$(cpu_ticks $pid_a $pid_b)
	bytes=$(json_num "$out" bytes)
	bps=$(json_num "$out" bits_per_second)
	cpu=$(awk -v d=$((c1 - c0)) -v t="$tck" 'BEGIN { printf "%.2f", d / t }')
	awk -v impl="$1" -v dir="$2" -v r="$3" -v bytes="$bytes" -v bps="$bps" -v cpu="$cpu" 'BEGIN {
		gb = bytes / 1e9
		printf "%-13s %-5s %5d %9.2f %10.2f %8.2f %12.2f\n", impl, dir, r, bps / 1e9, gb, cpu, cpu / gb
	}' | tee -a "$work/runs"
}

echo
echo "throughput: $ROUNDS rounds, ${DURATION}s per direction, one TCP stream, $(nproc) CPUs"
printf '%-13s %-5s %5s %9s %10s %8s %12s\n' impl dir round Gbit/s GB cpu-s cpu-s/GB
for r in $(seq "$ROUNDS"); do
	if ((r % 2)); then order="wgshim wireguard-go"; else order="wireguard-go wgshim"; fi
	for impl in $order; do
		setup "$impl"
		measure "$impl" "a->b" "$r"
		measure "$impl" "b->a" "$r"
		stop_all
	done
done

echo
echo "memory: one daemon, interface up, $PEERS peers x 2 allowed ips"
printf '%-13s %10s %10s %10s  %s\n' impl idle-MiB rss-MiB hwm-MiB loadpeers
for impl in wgshim wireguard-go; do
	ip netns add $a
	start_daemon "$impl" $a $ifa
	pid=${pids[-1]}
	ip -n $a link set $ifa up
	sleep 0.5
	idle=$(awk '/^VmRSS/ { print $2 }' /proc/$pid/status)
	load=$("$work/loadpeers" -iface $ifa -peers "$PEERS" -ips 2) || die "$impl: loadpeers failed"
	sleep 1
	rss=$(awk '/^VmRSS/ { print $2 }' /proc/$pid/status)
	hwm=$(awk '/^VmHWM/ { print $2 }' /proc/$pid/status)
	printf '%-13s %10s %10s %10s  %s\n' "$impl" "$(mib "$idle")" "$(mib "$rss")" "$(mib "$hwm")" "$load" |
		tee -a "$work/mem"
	stop_all
done

echo
echo "summary (means over rounds; ratio = wgshim / wireguard-go)"
awk '
	FNR == NR {
		k = $1 SUBSEP $2; n[k]++; g[k] += $4; c[k] += $7; next
	}
	{ rss[$1] = $3; hwm[$1] = $4 }
	END {
		printf "%-22s %12s %14s %8s\n", "", "wgshim", "wireguard-go", "ratio"
		split("a->b b->a", dirs, " ")
		for (i = 1; i <= 2; i++) {
			d = dirs[i]; s = "wgshim" SUBSEP d; w = "wireguard-go" SUBSEP d
			gs = g[s] / n[s]; gw = g[w] / n[w]; cs = c[s] / n[s]; cw = c[w] / n[w]
			printf "%-22s %12.2f %14.2f %8.2f\n", "Gbit/s " d, gs, gw, gs / gw
			printf "%-22s %12.2f %14.2f %8.2f\n", "cpu-s/GB " d, cs, cw, cs / cw
		}
		printf "%-22s %12.1f %14.1f %8.2f\n", "VmRSS MiB", rss["wgshim"], rss["wireguard-go"], rss["wgshim"] / rss["wireguard-go"]
		printf "%-22s %12.1f %14.1f %8.2f\n", "VmHWM MiB", hwm["wgshim"], hwm["wireguard-go"], hwm["wgshim"] / hwm["wireguard-go"]
	}
' "$work/runs" "$work/mem"
