#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Test runner: discovers suites by name and runs them from the repository root.
#   unit         build/tests/unit/test_*        cmocka, no privileges
#   bpf          build/tests/bpf/test_*         BPF_PROG_TEST_RUN over the real program (root)
#   fuzz         build/tests/fuzz/*             randomized frames (root)
#   cli          tests/cli/test_*.sh            edgewardctl end to end on a private pin dir (root)
#   integration  tests/integration/test_*.sh    network namespaces, veth, real traffic (root)
# A suite exits 0 (pass), 77 (skip, with the reason on stderr) or anything else (fail).
# Under CI (CI=true) a skipped kernel suite counts as a failure.
# Usage: run-tests.sh [all|unit|bpf|fuzz|cli|integration] [NAME-FILTER]
set -u
cd "$(dirname "$0")/.." || exit 1
what=${1:-all}
filter=${2:-}
B=build
logdir=$B/test-logs
mkdir -p "$logdir"

suites=()
add() { for f in "$@"; do [ -x "$f" ] && suites+=("$f"); done; }
case $what in
all)
	add $B/tests/unit/test_* $B/tests/bpf/test_* $B/tests/fuzz/* tests/cli/test_*.sh \
		tests/integration/test_*.sh ;;
unit) add $B/tests/unit/test_* ;;
bpf) add $B/tests/bpf/test_* ;;
fuzz) add $B/tests/fuzz/* ;;
cli) add tests/cli/test_*.sh ;;
integration) add tests/integration/test_*.sh ;;
*) echo "usage: $0 [all|unit|bpf|fuzz|cli|integration] [FILTER]" >&2; exit 2 ;;
esac

if [ ${#suites[@]} -eq 0 ]; then
	echo "run-tests: no test suites found (run make tests-build first)" >&2
	exit 1
fi

pass=0 fail=0 skip=0 failed=()
for t in "${suites[@]}"; do
	[ -n "$filter" ] && [[ $t != *"$filter"* ]] && continue
	name=${t#$B/}
	name=${name#tests/}
	log=$logdir/$(echo "$name" | tr '/' '_').log
	start=$(date +%s)
	"./$t" >"$log" 2>&1 </dev/null
	rc=$?
	secs=$(($(date +%s) - start))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); printf 'PASS  %-44s %4ss\n' "$name" "$secs"
	elif [ $rc -eq 77 ] && [ "${CI:-}" != true ]; then
		skip=$((skip + 1)); printf 'SKIP  %-44s %s\n' "$name" "$(tail -n 1 "$log")"
	else
		[ $rc -eq 77 ] && echo "      (skipped, and a skipped kernel test fails under CI)"
		fail=$((fail + 1)); failed+=("$name")
		printf 'FAIL  %-44s %4ss (exit %d, log %s)\n' "$name" "$secs" "$rc" "$log"
		tail -n 25 "$log" | sed 's/^/      | /'
	fi
done
echo
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
if [ $skip -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
