#!/bin/sh
# run-bench.sh BUILD_DIR - `make bench`: run every benchmark binary of a
# build (BUILD_DIR/tests/bench/bench_*) and print their figures, one line
# each: `bench <name>: <figure> <unit> (target ...)`. A missed target is a
# figure, not a failure: the exit status is non-zero only when a benchmark
# could not run (it exited non-zero or was killed). Their emulator request
# logs, generated stores, state files and reports go to a temporary
# directory, kept only when something failed.
# Environment passed through: BENCH_BIG=1 (the 100,000-order run),
# BENCH_SYNC_ONLY=fulfil|orders|window, BENCH_ORDERS, BENCH_WINDOW_ORDERS, BENCH_CONCURRENCY, BENCH_TIKTOK_QPS,
# BENCH_LATENCY_MS (see tests/bench/bench_sync.c).
set -u
B=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
shared=${TTSYNC_SHARED:-$top/../shared}
logs=$(mktemp -d "${TMPDIR:-/tmp}/ttsync-bench.XXXXXX")
export TTSYNC_TEST_LOGDIR="$logs"
export TTSYNC_BUILD_DIR="$top/$B"
export TTSYNC_TOP="$top"
export TTSYNC_SHARED="$shared"
export NODE_PATH=/usr/share/nodejs
# Generated stores, state files and reports live there too (removed after).
mkdir -p "$logs/tmp"
export TMPDIR="$logs/tmp"
cd "$top"
fail=0
ran=0
for t in "$top/$B/tests/bench"/bench_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	ran=$((ran + 1))
	echo "== $name"
	start=$(date +%s)
	"$t"
	rc=$?
	end=$(date +%s)
	if [ "$rc" -ne 0 ]; then
		echo "FAIL $name: exit status $rc (could not run; $((end - start)) s)"
		fail=1
	else
		echo "done $name ($((end - start)) s)"
	fi
done
if [ "$ran" = 0 ]; then
	echo "run-bench: no benchmark binaries in $top/$B/tests/bench" >&2
	fail=1
fi
if [ "$fail" = 0 ]; then
	rm -rf "$logs"
else
	echo "request logs kept in $logs"
fi
exit $fail
