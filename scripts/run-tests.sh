#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Test runner: discovers suites by name and runs them from the repository root.
#   unit         build/tests/unit/test_*        cmocka, no privileges
#   sanitize     build/asan/tests/unit/test_*   the unit tests under ASan+UBSan, leaks checked
#   libfuzzer    build/fuzz/fuzz_*              libFuzzer targets over tests/fuzz/corpus/<target>:
#                briefly (LIBFUZZER_TEST_TIME s each, default 6); with FUZZ_TIME set
#                (make fuzz), that long each, the corpus kept in build/fuzz/corpus/<target>
#   bpf          build/tests/bpf/test_*         BPF_PROG_TEST_RUN over the real program (root)
#   fuzz         build/tests/fuzz/*             randomized frames (root)
#   http         tests/http/test_*.sh           the API server's TLS policy with curl, openssl, sslscan
#   sql          tests/sql/test_*.sh            migrations and pgTAP on a private PostgreSQL 15 cluster
#   cli          tests/cli/test_*.sh            edgewardctl end to end on a private pin dir (root)
#   integration  tests/integration/test_*.sh    network namespaces, veth, real traffic (root)
# A suite exits 0 (pass), 77 (skip, with the reason on stderr) or anything else (fail).
# Under CI (CI=true) a skipped kernel suite counts as a failure.
# Usage: run-tests.sh [all|unit|sanitize|libfuzzer|bpf|fuzz|http|sql|cli|integration] [NAME-FILTER]
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
	add $B/tests/unit/test_* $B/asan/tests/unit/test_* $B/fuzz/fuzz_* $B/tests/bpf/test_* \
		$B/tests/fuzz/* tests/http/test_*.sh tests/sql/test_*.sh tests/cli/test_*.sh \
		tests/integration/test_*.sh ;;
unit) add $B/tests/unit/test_* ;;
sanitize) add $B/asan/tests/unit/test_* ;;
libfuzzer) add $B/fuzz/fuzz_* ;;
bpf) add $B/tests/bpf/test_* ;;
fuzz) add $B/tests/fuzz/* ;;
http) add tests/http/test_*.sh ;;
sql) add tests/sql/test_*.sh ;;
cli) add tests/cli/test_*.sh ;;
integration) add tests/integration/test_*.sh ;;
*) echo "usage: $0 [all|unit|sanitize|libfuzzer|bpf|fuzz|http|sql|cli|integration] [FILTER]" >&2
	exit 2 ;;
esac

if [ ${#suites[@]} -eq 0 ]; then
	echo "run-tests: no test suites found (run make tests-build first)" >&2
	exit 1
fi

# A sanitizer report fails the test; leaks are reported at exit.
san_env() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:detect_stack_use_after_return=1" \
		UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1" "$@"
}

# One libFuzzer target: first the crashes found before (tests/fuzz/crashes/<target>-N, kept
# as regression inputs: each must pass now), then fuzzing from the seeds. A crash, leak,
# timeout or failed property stops it with a nonzero status and an input in
# build/fuzz/crashes/. tests/fuzz/corpus/<target>.options holds extra flags (-max_len=...),
# <target>.dict a dictionary.
run_libfuzzer() {
	local bin=$1 name=${1##*/} corpus secs known opts=()

	if [ -n "${FUZZ_TIME:-}" ]; then
		corpus=$B/fuzz/corpus/$name secs=$FUZZ_TIME
	else
		corpus=$B/fuzz/test-corpus/$name secs=${LIBFUZZER_TEST_TIME:-6}
		rm -rf "$corpus"
	fi
	mkdir -p "$corpus" "$B/fuzz/crashes" || return 1
	if [ -d "tests/fuzz/corpus/$name" ]; then
		cp -n "tests/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null
	fi
	[ -f "tests/fuzz/corpus/$name.options" ] && read -ra opts <"tests/fuzz/corpus/$name.options"
	[ -f "tests/fuzz/corpus/$name.dict" ] && opts+=("-dict=tests/fuzz/corpus/$name.dict")
	known=(tests/fuzz/crashes/"$name"-*)
	if [ -e "${known[0]}" ]; then
		echo "== $name: replaying ${#known[@]} earlier crash(es)"
		san_env "./$bin" "${opts[@]}" "${known[@]}" || return 1
	fi
	echo "== $name: fuzzing ${secs}s from $corpus"
	san_env "./$bin" "${opts[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$B/fuzz/crashes/$name-" "$corpus"
}

run_suite() {
	case $1 in
	$B/fuzz/*) run_libfuzzer "$1" ;;
	$B/asan/*) san_env "./$1" ;;
	*) "./$1" ;;
	esac
}

pass=0 fail=0 skip=0 failed=()
for t in "${suites[@]}"; do
	[ -n "$filter" ] && [[ $t != *"$filter"* ]] && continue
	name=${t#$B/}
	name=${name#tests/}
	case $t in $B/fuzz/*) name=libfuzzer/${t##*/} ;; esac
	log=$logdir/$(echo "$name" | tr '/' '_').log
	start=$(date +%s)
	run_suite "$t" >"$log" 2>&1 </dev/null
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
