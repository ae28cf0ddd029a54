#!/bin/sh
# run-tests.sh BUILD_DIR - run every test binary of a build, then hold all
# the traffic the suite sent against the platforms' own references.
set -u
B=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
shared=${TTSYNC_SHARED:-$top/../shared}
logs=$(mktemp -d "${TMPDIR:-/tmp}/ttsync-tests.XXXXXX")
export TTSYNC_TEST_LOGDIR="$logs"
export TTSYNC_BUILD_DIR="$top/$B"
export TTSYNC_TOP="$top"
export TTSYNC_SHARED="$shared"
export NODE_PATH=/usr/share/nodejs
fail=0
for kind in unit emulator e2e; do
	for t in "$top/$B/tests/$kind"/check_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		if "$t" >"$logs/$kind-$name.out" 2>&1; then
			echo "PASS $kind/$name"
		else
			echo "FAIL $kind/$name"
			tail -n 40 "$logs/$kind-$name.out"
			fail=1
		fi
	done
done
# make install honours PREFIX and DESTDIR and installs the man page.
inst="$logs/install"
if make -s -C "$top" B="$B" install DESTDIR="$inst" PREFIX=/opt/ttsync >"$logs/install.out" 2>&1 &&
   [ -x "$inst/opt/ttsync/bin/ttsync" ] &&
   [ -f "$inst/opt/ttsync/share/man/man1/ttsync.1" ] &&
   "$inst/opt/ttsync/bin/ttsync" --version >/dev/null &&
   { ! command -v man >/dev/null 2>&1 ||
     man -l "$inst/opt/ttsync/share/man/man1/ttsync.1" >/dev/null 2>&1; }; then
	echo "PASS make install (PREFIX, DESTDIR, ttsync(1))"
else
	echo "FAIL make install"; cat "$logs/install.out"; fail=1
fi

# The oracles: every request the suite sent to an emulator.
sh_logs=$(find "$logs" -name 'shopify-*.log' -size +0 2>/dev/null)
tt_logs=$(find "$logs" -name 'tiktok-*.log' -size +0 2>/dev/null)
if [ -n "$sh_logs" ]; then
	if node "$shared/tools/shopify-schema-check" $sh_logs >"$logs/schema-check.out" 2>&1; then
		echo "PASS shopify-schema-check ($(tail -n 1 "$logs/schema-check.out"))"
	else
		echo "FAIL shopify-schema-check"; grep -v '^[0-9]* checked' "$logs/schema-check.out" | sort | uniq -c | sort -rn | head -n 30; fail=1
	fi
fi
if [ -n "$tt_logs" ]; then
	if python3 "$shared/tools/tiktok-spec-check" $tt_logs >"$logs/spec-check.out" 2>&1; then
		echo "PASS tiktok-spec-check ($(tail -n 1 "$logs/spec-check.out"))"
	else
		echo "FAIL tiktok-spec-check"; sed 's/^[^ ]* //' "$logs/spec-check.out" | sort | uniq -c | sort -rn | head -n 30; fail=1
	fi
fi
if [ "$fail" = 0 ]; then
	rm -rf "$logs"
	echo "all tests passed ($B)"
else
	echo "test output kept in $logs"
fi
exit $fail
