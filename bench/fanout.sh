#!/usr/bin/env bash
# Fan-out: one publisher, SUBSCRIBERS subscribers on one channel, each checking that it got
# every message once and in order (examples/fanout.rs), against `wsx serve --broadcast`,
# websocat's broadcast (`broadcast:mirror:`) and a Node `ws` broadcast loop in one run; then
# wsx with the same messages published over HTTP (a connection per publish, and over kept-alive
# connections, by 8 publishers and by one), and with the subscribers split over two
# `wsx serve --redis` instances. Server peak RSS per subscriber is reported with each.
#
# usage: bench/fanout.sh [SUBSCRIBERS] [MESSAGES]      (defaults 1000 and 4000)
# 4,000 messages measure the steady state: wsx's run at 2,000 lasts about half a second, and
# its start (every subscriber's session waking for the first time) weighs on it (3.3-3.5 M
# deliveries/s against 4.5 M), while websocat slows down as its run goes on (172 k, 128 k).
# Every server gets the same messages; the slower ones take longer.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
SUBSCRIBERS="${1:-1000}"
MESSAGES="${2:-4000}"
SIZE=100
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

need_websocat
need_node_ws
cargo build --quiet --release --bin wsx --example fanout
FANOUT="$TARGET/release/examples/fanout"

peak_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])['$2'])" "$1"; }

declare -A rate rss
run() { # name messages pid-of-servers subscribe-urls publish
  local name=$1 messages=$2 pids_of=$3 urls=$4 publish=$5 out
  out="$("$FANOUT" "$urls" "$publish" "$SUBSCRIBERS" "$messages" "$SIZE")"
  [ "$(field "$out" broken)" = 0 ] || { echo "$name: $out" >&2; }
  rate[$name]="$(field "$out" deliveries_per_s)"
  local total=0
  for pid in $pids_of; do total=$(( total + $(peak_kb "$pid") )); done
  rss[$name]=$(( total * 1024 / SUBSCRIBERS ))
  echo "$name: $out" >&2
}

# run_wsx NAME SCHEME: a fresh `wsx serve --broadcast`, published to over ws:, http: or pool:
# (FANOUT_PUBLISHERS, if set, reaches examples/fanout.rs).
run_wsx() {
  local name=$1 scheme=$2 pid url publish
  "$WSX" serve 127.0.0.1:0 --broadcast -q 2> "$WORK/$name.log" & pid=$!; pids+=($!)
  url="$(wait_for "$WORK/$name.log" 'listening on' | sed 's/.*listening on //')"
  case $scheme in
    ws) publish="ws:$url/" ;;
    *) publish="$scheme:${url/ws:/http:}/" ;;
  esac
  run "$name" "$MESSAGES" "$pid" "$url/" "$publish"
  kill "$pid"
}
run_wsx wsx ws
run_wsx http http
run_wsx pool pool
# One backend publishing one message after another, each waiting for its answer.
FANOUT_PUBLISHERS=1 run_wsx pool1 pool

PORT="$(free_port)"
"$WEBSOCAT" -t -q "ws-l:127.0.0.1:$PORT" broadcast:mirror: & WEBSOCAT_PID=$!; pids+=($!)
for _ in $(seq 1 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT))" 2>/dev/null && break; sleep 0.05; done
run websocat "$MESSAGES" "$WEBSOCAT_PID" "ws://127.0.0.1:$PORT/" "ws:ws://127.0.0.1:$PORT/"
kill "$WEBSOCAT_PID"

NODE_PATH="$ROOT/tests/peers/node_modules" node bench/node_broadcast.js > "$WORK/node.log" 2>&1 & NODE_PID=$!; pids+=($!)
NODE_URL="$(wait_for "$WORK/node.log" 'listening on' | sed 's/.*listening on //')"
run node "$MESSAGES" "$NODE_PID" "$NODE_URL/" "ws:$NODE_URL/"
kill "$NODE_PID"

if command -v redis-server > /dev/null; then
  redis-server --port 0 --unixsocket "$WORK/redis.sock" --save '' --appendonly no > /dev/null & pids+=($!)
  for _ in $(seq 1 100); do [ -S "$WORK/redis.sock" ] && break; sleep 0.05; done
  REDIS="redis+unix://$WORK/redis.sock"
  "$WSX" serve 127.0.0.1:0 --broadcast -q --redis "$REDIS" 2> "$WORK/r1.log" & R1=$!; pids+=($!)
  "$WSX" serve 127.0.0.1:0 --broadcast -q --redis "$REDIS" 2> "$WORK/r2.log" & R2=$!; pids+=($!)
  U1="$(wait_for "$WORK/r1.log" 'listening on' | sed 's/.*listening on //')"
  U2="$(wait_for "$WORK/r2.log" 'listening on' | sed 's/.*listening on //')"
  run redis "$MESSAGES" "$R1 $R2" "$U1/,$U2/" "ws:$U1/"
fi

fmt() { python3 -c "import sys; v=float(sys.argv[1]); print(f'{v/1e6:.2f} M' if v >= 1e6 else f'{v/1e3:.0f} k')" "$1"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.1f}×')" "$1" "$2"; }
echo
echo "$(nproc) cores; $SUBSCRIBERS subscribers on one channel, $SIZE-byte messages"
echo
echo "| server | deliveries/s | peak RSS per subscriber | vs wsx |"
echo "|---|---|---|---|"
echo "| wsx serve --broadcast, WebSocket publisher | $(fmt "${rate[wsx]}") | ${rss[wsx]} B | 1.0× |"
echo "| wsx serve --broadcast, HTTP publish (a POST a message, 8 publishers at once, a connection each, as curl) | $(fmt "${rate[http]}") | ${rss[http]} B | $(ratio "${rate[http]}" "${rate[wsx]}") |"
echo "| the same over 8 kept-alive connections (a backend's pooled HTTP client) | $(fmt "${rate[pool]}") | ${rss[pool]} B | $(ratio "${rate[pool]}" "${rate[wsx]}") |"
echo "| the same, one publisher on one kept-alive connection | $(fmt "${rate[pool1]}") | ${rss[pool1]} B | $(ratio "${rate[pool1]}" "${rate[wsx]}") |"
[ -n "${rate[redis]:-}" ] && echo "| two wsx serve --redis, subscribers split | $(fmt "${rate[redis]}") | ${rss[redis]} B | $(ratio "${rate[redis]}" "${rate[wsx]}") |"
echo "| websocat 1.14 broadcast:mirror: | $(fmt "${rate[websocat]}") | ${rss[websocat]} B | wsx is $(ratio "${rate[wsx]}" "${rate[websocat]}") |"
echo "| Node ws broadcast loop | $(fmt "${rate[node]}") | ${rss[node]} B | wsx is $(ratio "${rate[wsx]}" "${rate[node]}") |"
