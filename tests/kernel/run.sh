#!/usr/bin/env bash
# tests/kernel/run.sh: runs the Go tests named TestKernel* against the Linux
# kernel's WireGuard driver, inside a throwaway QEMU VM (shared/tools/kernel-vm,
# which lives beside the repository: ../shared/tools/kernel-vm from its root).
#
#   tests/kernel/run.sh [-run REGEX] [-v] [-- extra go test binary flags]
#
# Every package with a test file that mentions WGSHIM_KERNEL_VM is compiled
# with `go test -c` (CGO_ENABLED=0, linux/amd64), copied into the VM together
# with Debian's wg(8) and our daemon (cmd/wgshim, built the same way), and run
# there with `-test.run Kernel`, WGSHIM_KERNEL_VM=1, WGSHIM_WG (the wg path) and
# WGSHIM_BIN (the wgshim path). For tests/kernel/tools it also builds our wg
# and wg-quick into ours/ (WGSHIM_OURS), copies Debian's wg-quick
# (WGSHIM_WGQUICK) and nft(8) (WGSHIM_NFT, at its host path) and loads the
# nf_tables modules. Outside the VM those tests skip; this script is what CI
# runs. Exit status: 0 when every test binary passed, non-zero otherwise
# (125: the VM could not boot or died, 124: timeout).
#
# Environment: KERNEL_VM (path of the kernel-vm tool), KERNEL_VM_MEM (MB,
# default 1024), KERNEL_VM_TIMEOUT (s, default 600), plus kernel-vm's own
# KERNEL_VM_* variables; WGSHIM_INTEROP_MIB (bulk transfer size of
# tests/kernel/interop, default 4) is passed into the VM.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
kvm=${KERNEL_VM:-$root/../shared/tools/kernel-vm}
mem=${KERNEL_VM_MEM:-1024}
tmo=${KERNEL_VM_TIMEOUT:-600}
run=Kernel
verbose=
while (($#)); do
	case $1 in
	-run) run=$2; shift 2 ;;
	-v) verbose=-test.v; shift ;;
	--) shift; break ;;
	*) echo "usage: $0 [-run REGEX] [-v] [-- test flags]" >&2; exit 2 ;;
	esac
done
extra=("$@")

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

[[ -x $kvm ]] || { echo "run.sh: kernel-vm not found at $kvm (set KERNEL_VM)" >&2; exit 125; }
if ! command -v wg >/dev/null 2>&1; then
	echo "run.sh: installing wireguard-tools for wg(8)" >&2
	if ((EUID == 0)); then sudo=(); else sudo=(sudo -n); fi
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends wireguard-tools >&2 ||
		{ echo "run.sh: cannot install wireguard-tools" >&2; exit 125; }
fi

# Debian's wg-quick and nft(8), for the wg-quick comparison (tests/kernel/tools).
if [[ ! -x /usr/bin/wg-quick ]] || ! nft=$(PATH=$PATH:/usr/sbin:/sbin command -v nft); then
	echo "run.sh: installing wireguard-tools and nftables for wg-quick(8) and nft(8)" >&2
	if ((EUID == 0)); then sudo=(); else sudo=(sudo -n); fi
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends wireguard-tools nftables >&2 ||
		{ echo "run.sh: cannot install wireguard-tools and nftables" >&2; exit 125; }
	nft=$(PATH=$PATH:/usr/sbin:/sbin command -v nft || echo /usr/sbin/nft)
fi
wgquick=/usr/bin/wg-quick
[[ -x $nft && -x $wgquick ]] || { echo "run.sh: no nft ($nft) or wg-quick ($wgquick)" >&2; exit 125; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/wgshim-kernel.XXXXXX")
trap 'rm -rf "$dir"' EXIT

t0=$(now)
cd "$root"
mapfile -t pkgdirs < <(grep -rl --include='*_test.go' WGSHIM_KERNEL_VM . | xargs -r -n1 dirname | sort -u)
((${#pkgdirs[@]})) || { echo "run.sh: no package has kernel tests" >&2; exit 1; }
bins=()
for d in "${pkgdirs[@]}"; do
	pkg=$(go list "$d")
	bin=$(echo "${pkg#github.com/wgshim/wgshim/}" | tr / _).test
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go test -c -o "$dir/$bin" "$d"
	[[ -f $dir/$bin ]] || { echo "run.sh: $pkg built no test binary" >&2; exit 1; }
	bins+=("$bin")
done
# Our daemon, for the tests that run it against the kernel (tests/kernel/interop).
CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -o "$dir/wgshim" ./cmd/wgshim
cp "$(command -v wg)" "$dir/wg"
# Our wg and wg-quick, alone in ours/ so that PATH can put them first, and
# Debian's wg-quick (a bash script) for tests/kernel/tools.
mkdir "$dir/ours" "$dir/debian"
CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -o "$dir/ours/wg" ./cmd/wg
CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -o "$dir/ours/wg-quick" ./cmd/wg-quick
cp "$wgquick" "$dir/debian/wg-quick"
echo "run.sh: built ${bins[*]} wgshim wg wg-quick in $(since "$t0")s"

# Runs in the VM (sh is bash there). Times come from /proc/uptime, the
# guest's seconds since its kernel started.
cat >"$dir/in-vm.sh" <<'EOF2'
up() { cut -d' ' -f1 /proc/uptime; }
start=$(up)
echo "in-vm: kernel $(uname -r), command started ${start}s after kernel start"
export WGSHIM_KERNEL_VM=1 WGSHIM_WG=$PWD/wg WGSHIM_BIN=$PWD/wgshim
export WGSHIM_OURS=$PWD/ours WGSHIM_WGQUICK=$PWD/debian/wg-quick WGSHIM_NFT=$NFT
failed=()
for bin in $BINS; do
	t=$(up)
	echo "=== $bin"
	if ! "./$bin" -test.run "$RUN" -test.timeout 500s $VERBOSE "$@"; then failed+=("$bin"); fi
	echo "=== $bin took $(awk -v a="$t" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }')s"
done
echo "in-vm: tests took $(awk -v a="$start" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }')s; boot took ${start}s of guest time"
if ((${#failed[@]})); then echo "in-vm: FAILED: ${failed[*]}"; exit 1; fi
echo "in-vm: PASS"
EOF2
{
	printf 'BINS=%q\nRUN=%q\nVERBOSE=%q\nNFT=%q\n' "${bins[*]}" "$run" "$verbose" "$nft"
	# Bulk transfer size of tests/kernel/interop (MiB), if asked for.
	[[ -z ${WGSHIM_INTEROP_MIB:-} ]] || printf 'export WGSHIM_INTEROP_MIB=%q\n' "$WGSHIM_INTEROP_MIB"
} | cat - "$dir/in-vm.sh" >"$dir/in-vm.sh.new"
mv "$dir/in-vm.sh.new" "$dir/in-vm.sh"

t1=$(now)
rc=0
# nft(8) and the nf_tables modules a full-tunnel wg-quick needs (its rules
# use conntrack marks and fib lookups; libcrc32c needs a crc32c first).
vmflags=(--bin "$nft")
for m in crc32c_generic nf_tables nft_ct nft_fib_ipv4 nft_fib_ipv6; do vmflags+=(--module "$m"); done
"$kvm" --dir "$dir" --mem "$mem" --timeout "$tmo" "${vmflags[@]}" -- sh ./in-vm.sh "${extra[@]}" || rc=$?
echo "run.sh: VM run (boot + tests) took $(since "$t1")s wall time, everything $(since "$t0")s; exit status $rc"
exit "$rc"
