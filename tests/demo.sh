#!/bin/sh
# demo.sh BUILD_DIR - `make demo`: start both platform emulators on free
# loopback ports with the demo store (fixtures/demo/), write a config for
# them (automatic order sync on), run a real `ttsync run`, play the demo's
# platform events (the merchant fulfils in Shopify, TikTok buys labels,
# carriers pick up and deliver, buyers cancel), run again, print where the
# reports are, stop the emulators. Everything lives in demo/ (recreated).
set -eu
B=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
demo="$top/demo"
rm -rf "$demo"
mkdir -p "$demo/secrets"
chmod 700 "$demo/secrets"

tt_pid=""; sh_pid=""
stop() {
	[ -n "$tt_pid" ] && kill "$tt_pid" 2>/dev/null || true
	[ -n "$sh_pid" ] && kill "$sh_pid" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap stop EXIT INT TERM

"$B/tiktok-emu" --data fixtures/demo/tiktok.json --port 0 \
	--port-file "$demo/tiktok.port" --log "$demo/tiktok-requests.log" \
	2>"$demo/tiktok-emu.err" &
tt_pid=$!
"$B/shopify-emu" --data fixtures/demo/shopify.json --port 0 \
	--port-file "$demo/shopify.port" --log "$demo/shopify-requests.log" \
	2>"$demo/shopify-emu.err" &
sh_pid=$!
n=0
while [ ! -s "$demo/tiktok.port" ] || [ ! -s "$demo/shopify.port" ]; do
	n=$((n + 1))
	if [ $n -gt 200 ]; then
		echo "demo: the emulators did not start:" >&2
		cat "$demo/tiktok-emu.err" "$demo/shopify-emu.err" >&2
		exit 1
	fi
	sleep 0.05
done
tt_port=$(cat "$demo/tiktok.port")
sh_port=$(cat "$demo/shopify.port")
echo "TikTok Shop emulator: http://127.0.0.1:$tt_port"
echo "Shopify emulator:     http://127.0.0.1:$sh_port"

# The demo store's credentials (fixtures/demo/*.json), as private files.
umask 077
printf '%s' demo_app_secret >"$demo/secrets/tiktok_app_secret"
printf '%s' TTP_demo_access >"$demo/secrets/tiktok_access_token"
printf '%s' TTP_demo_refresh >"$demo/secrets/tiktok_refresh_token"
printf '%s' shpat_demo_token >"$demo/secrets/shopify_access_token"
umask 022
cat >"$demo/ttsync.yaml" <<EOF
# Written by tests/demo.sh for the local emulators.
store:
  name: Demo Store
  region: US
tiktok:
  app_key: demo_app_key
  app_secret_file: secrets/tiktok_app_secret
  shop_cipher: ROW_demo_cipher
  access_token_file: secrets/tiktok_access_token
  refresh_token_file: secrets/tiktok_refresh_token
  api_base: http://127.0.0.1:$tt_port
  auth_base: http://127.0.0.1:$tt_port
shopify:
  shop_domain: demo-store.myshopify.com
  base_url: http://127.0.0.1:$sh_port
  access_token_file: secrets/shopify_access_token
network:
  allow_insecure_loopback: true
  timeout_seconds: 10
settings:
  order_auto_sync: true
  fulfillment_auto_sync: true
carrier_rules:
  - shopify: Other
    tiktok: Cainiao US
files:
  state_file: state.sqlite
  reports_dir: ../reports
EOF

status=0
echo
echo "== run 1: the first run of a new store (backfills 7 days)"
"$B/ttsync" run --config "$demo/ttsync.yaml" || status=$?
echo "   exit status $status"
echo
echo "== platform events (fixtures/demo/events.json)"
"$B/emu-events" --tiktok "http://127.0.0.1:$tt_port" \
	--shopify "http://127.0.0.1:$sh_port" fixtures/demo/events.json || true
echo
sleep 1   # the events happened after run 1's window ended (whole seconds)
echo "== run 2: the next scheduled run"
status=0
"$B/ttsync" run --config "$demo/ttsync.yaml" || status=$?
echo "   exit status $status (1 = some items failed: see failed.csv / report.html)"
echo
echo "== ttsync status --failed"
"$B/ttsync" status --config "$demo/ttsync.yaml" --failed || true
echo
latest=$(readlink "$top/reports/latest" 2>/dev/null || true)
echo "Reports of the last run: $top/reports/$latest/"
echo "  open $top/reports/$latest/report.html in a browser"
echo "Demo config and state: $demo/ (emulator request logs there too)"
