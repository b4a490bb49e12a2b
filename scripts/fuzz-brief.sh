#!/usr/bin/env bash
# Runs every fuzz target in the module briefly (FUZZTIME, default 4s), so CI
# explores beyond the seed corpora that `go test` already replays.
#
# A target fails when the fuzzer finds a failing input (it then writes it
# to testdata/fuzz, where it stays as a regression seed). On a loaded
# machine Go's fuzzing coordinator sometimes gives up on a slow worker
# with "context deadline exceeded" and no input (typically while it is
# still replaying a large corpus); such a run is retried once with more
# time, and fails only if it happens again.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-4s}
status=0
fuzz() { go test "$1" -run '^$' -fuzz "^$2\$" -fuzztime "${3:-$fuzztime}" 2>&1; }
while IFS= read -r line; do
	file=${line%%:*}
	name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"${line#*:}")
	pkg=./$(dirname "$file")
	if out=$(fuzz "$pkg" "$name"); then
		echo "ok   fuzz $pkg $name"
		continue
	fi
	if ! grep -q 'Failing input written to' <<<"$out" && grep -q 'context deadline exceeded' <<<"$out"; then
		echo "retry fuzz $pkg $name (the fuzzing engine timed out a worker, no failing input)"
		if out=$(fuzz "$pkg" "$name" 15s); then
			echo "ok   fuzz $pkg $name"
			continue
		fi
	fi
	echo "FAIL fuzz $pkg $name"
	echo "$out" | tail -20
	status=1
done < <(grep -rEn --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . | sed -E 's/^\.\///; s/:[0-9]+:/:/')
exit $status
