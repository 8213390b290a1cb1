#!/usr/bin/env bash
# fuzz.sh runs every fuzz target of the module for FUZZTIME (default 5s) each.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
FUZZTIME="${FUZZTIME:-5s}"

# fuzz_one PKG TARGET fuzzes one target. Go 1.26's fuzzing coordinator can
# report its own -fuzztime deadline as a failure ("context deadline
# exceeded") when it stops a busy worker (golang/go#75804, fixed in Go 1.27):
# that, with no failing input written, runs the target once more. A failing
# input written to testdata/fuzz, or any other failure, fails at once.
fuzz_one() {
	local pkg=$1 target=$2 out attempt
	out=$(mktemp)
	for attempt in 1 2; do
		if go test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" "$pkg" 2>&1 | tee "$out"; then
			rm -f "$out"
			return 0
		fi
		if [[ $attempt -eq 2 ]] || ! grep -qx '    context deadline exceeded' "$out" ||
			[[ -n "$(git status --porcelain --untracked-files=all -- "$pkg/testdata/fuzz/$target")" ]]; then
			rm -f "$out"
			return 1
		fi
		echo "fuzz: $target: the fuzzing coordinator reported its own deadline (golang/go#75804), no failing input; again" >&2
	done
}

found=0
while IFS= read -r file; do
	pkg="./$(dirname "$file")"
	for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
		echo "fuzz: $pkg $target ($FUZZTIME)"
		fuzz_one "$pkg" "$target"
		found=$((found + 1))
	done
done < <(git ls-files '*_test.go')
if [[ $found -eq 0 ]]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi
echo "fuzz: $found targets passed"
