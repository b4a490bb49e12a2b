#!/usr/bin/env bash
# Runs every fuzz target in the module briefly (FUZZTIME, default 4s), so CI
# explores beyond the seed corpora that `go test` already replays.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-4s}
status=0
while IFS= read -r line; do
	file=${line%%:*}
	name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"${line#*:}")
	pkg=./$(dirname "$file")
	if ! out=$(go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" 2>&1); then
		echo "FAIL fuzz $pkg $name"
		echo "$out" | tail -20
		status=1
	else
		echo "ok   fuzz $pkg $name"
	fi
done < <(grep -rEn --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . | sed -E 's/^\.\///; s/:[0-9]+:/:/')
exit $status
