#!/usr/bin/env bash
# Runs the Autobahn|Testsuite against both ends of wsx and compares the results with
# autobahn/expected-results.json:
#   server: `wsx serve --echo` under `wstest -m fuzzingclient`
#   client: one `wsx connect --echo` per case under `wstest -m fuzzingserver`
# Groups 12 and 13 (permessage-deflate) run too and come out UNIMPLEMENTED: wsx does not
# negotiate the extension.
#
# usage: autobahn/run.sh [--update]     (--update rewrites expected-results.json)
# env:   WSX=path/to/wsx (default: target/debug/wsx, built if missing)
#        AB3_DIR=dir     (where wstest is built; default target/autobahn)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SHARED="$ROOT/../shared/autobahn"
export AB3_DIR="${AB3_DIR:-$ROOT/target/autobahn}"
WSTEST="$AB3_DIR/venv/bin/wstest"
WSX="${WSX:-$ROOT/target/debug/wsx}"
OUT="$ROOT/target/autobahn-run"

[ -x "$WSTEST" ] || bash "$SHARED/setup.sh"
[ -x "$WSX" ] || cargo build --quiet
rm -rf "$OUT" && mkdir -p "$OUT"
cd "$OUT"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_for_line() { # file pattern
  for _ in $(seq 1 300); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; return 1
}

echo "== server: wsx serve --echo under wstest fuzzingclient"
"$WSX" serve 127.0.0.1:0 --echo -q 2> serve.log &
pids+=($!)
wait_for_line serve.log "listening on"
port=$(sed -n 's/.*listening on ws:\/\/127.0.0.1:\([0-9]*\).*/\1/p' serve.log)
cat > fuzzingclient.json <<JSON
{"outdir": "./reports/servers",
 "servers": [{"agent": "wsx", "url": "ws://127.0.0.1:$port"}],
 "cases": ["*"], "exclude-cases": [], "exclude-agent-cases": {}}
JSON
"$WSTEST" -m fuzzingclient -s fuzzingclient.json > fuzzingclient.log 2>&1

echo "== client: wsx connect --echo under wstest fuzzingserver"
# wstest cannot report a port it picked itself, so take a free one and retry on a clash.
for attempt in 1 2 3; do
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat > fuzzingserver.json <<JSON
{"url": "ws://127.0.0.1:$port", "outdir": "./reports/clients",
 "cases": ["*"], "exclude-cases": [], "exclude-agent-cases": {}}
JSON
  "$WSTEST" -m fuzzingserver -s fuzzingserver.json -u 0 > fuzzingserver.log 2>&1 &
  server_pid=$!
  pids+=($server_pid)
  if wait_for_line fuzzingserver.log "Ok, will run" 2>/dev/null || \
     wait_for_line fuzzingserver.log "Listening" 2>/dev/null; then break; fi
  kill $server_pid 2>/dev/null || true
  [ $attempt -lt 3 ] || { echo "wstest fuzzingserver did not start" >&2; cat fuzzingserver.log >&2; exit 1; }
done
base="ws://127.0.0.1:$port"
count=$("$WSX" connect "$base/getCaseCount" -n 1 -q </dev/null)
echo "   $count cases"
for i in $(seq 1 "$count"); do
  # A failing case is wstest's to judge; wsx's exit code is not the verdict here.
  timeout 60 "$WSX" connect "$base/runCase?case=$i&agent=wsx" --echo -q </dev/null >/dev/null 2>&1 || true
done
"$WSX" connect "$base/updateReports?agent=wsx" -q </dev/null >/dev/null 2>&1 || true

cd "$ROOT"
python3 autobahn/compare.py "$OUT/reports" autobahn/expected-results.json ${1:-}
