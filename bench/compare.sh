#!/usr/bin/env bash
# Compares echo servers side by side in one run, interleaved, with `wsx bench` (release) as
# the load generator for every server: wsx serve --echo, websocat 1.14 (mirror:), Node ws,
# and a raw TCP echo (examples/tcp_echo.rs) as the ceiling for bulk transfers. Also measures
# server memory per idle connection and the 200,000-line pipe client against websocat's.
#
# usage: bench/compare.sh [ROUNDS]          (default 3; each figure is the median of ROUNDS)
# env:   BENCH_TOOLS=dir  where websocat is installed if absent (default target/bench-tools)
#        IDLE=N           idle connections for the memory figure (default 10000)
#
# Numbers move a lot between runs on a shared 2-core machine: compare the ratios within one
# run, not absolute figures across runs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ROUNDS="${1:-3}"
IDLE="${IDLE:-10000}"

# --- tools -------------------------------------------------------------------------------
need_websocat
need_node_ws
cargo build --quiet --release --bin wsx --example tcp_echo
TCP_ECHO="$TARGET/release/examples/tcp_echo"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true


# --- servers -----------------------------------------------------------------------------
"$WSX" serve 127.0.0.1:0 --echo -q 2> "$WORK/wsx.log" & pids+=($!); WSX_PID=$!
WSX_URL="$(wait_for "$WORK/wsx.log" 'listening on' | sed 's/.*listening on //')"
port="$(free_port)"
"$WEBSOCAT" -t -E "ws-l:127.0.0.1:$port" mirror: 2>/dev/null & pids+=($!); WEBSOCAT_PID=$!
WEBSOCAT_URL="ws://127.0.0.1:$port"
port="$(free_port)"
# Binary mode and a 1 MiB buffer: by default websocat turns binary into text and splits
# messages over 64 KiB.
"$WEBSOCAT" -b -B 1048576 -E "ws-l:127.0.0.1:$port" mirror: 2>/dev/null & pids+=($!); WEBSOCAT_BIN_PID=$!
WEBSOCAT_BIN_URL="ws://127.0.0.1:$port"
node tests/peers/ws_echo_server.js > "$WORK/node.log" 2>&1 & pids+=($!); NODE_PID=$!
NODE_URL="$(wait_for "$WORK/node.log" 'listening on' | sed 's/.*listening on //')"
"$TCP_ECHO" serve 2> "$WORK/tcp.log" & pids+=($!)
TCP_ADDR="$(wait_for "$WORK/tcp.log" 'listening on' | sed 's/.*tcp:\/\///')"
for url in "$WEBSOCAT_URL" "$WEBSOCAT_BIN_URL"; do
  for _ in $(seq 1 100); do "$WSX" connect "$url" -q -x ready -n 1 >/dev/null 2>&1 </dev/null && break; sleep 0.05; done
done

# --- measurements ------------------------------------------------------------------------
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
bench_rate() { # pid url field args... -> "RATE CPU" : messages/s or MB/s from the --jsonl
  # summary, and the server's CPU time per message in microseconds
  local pid=$1 url=$2 field=$3; shift 3
  local before after summary echoed=1 previous=""
  for arg in "$@"; do [ "$previous" = "-n" ] && echoed=$arg; previous=$arg; done
  before="$(cpu_ticks "$pid")"
  summary="$("$WSX" bench "$url" -q --jsonl "$@")"
  after="$(cpu_ticks "$pid")"
  python3 -c "
import json, os, sys
summary = json.loads(sys.argv[1])
ticks = int(sys.argv[2]) - int(sys.argv[3])
seconds = ticks / os.sysconf('SC_CLK_TCK')
# Per message the server echoed, warm-up included.
print(summary['$field'], seconds * 1e6 / int(sys.argv[4]))" "$summary" "$after" "$before" "$echoed"
}

declare -A results cpu
run_workload() { # name field args...
  local name=$1 field=$2; shift 2
  local -A rates=() cpus=()
  local sample
  for _ in $(seq 1 "$ROUNDS"); do
    for server in wsx websocat node; do
      case $server in
        wsx) sample="$(bench_rate "$WSX_PID" "$WSX_URL" "$field" "$@")" ;;
        websocat) if [[ " $* " == *" --binary "* ]]; then
                    sample="$(bench_rate "$WEBSOCAT_BIN_PID" "$WEBSOCAT_BIN_URL" "$field" "$@")"
                  else
                    sample="$(bench_rate "$WEBSOCAT_PID" "$WEBSOCAT_URL" "$field" "$@")"
                  fi ;;
        node) sample="$(bench_rate "$NODE_PID" "$NODE_URL" "$field" "$@")" ;;
      esac
      rates[$server]+="${sample% *} "
      cpus[$server]+="${sample#* } "
    done
    # The raw TCP ceiling in the same round as the others, so that each round's wsx / raw TCP
    # ratio compares runs made under the same conditions.
    if [ "$name" = bulk ]; then
      rates[tcp]+="$("$TCP_ECHO" bench "$TCP_ADDR" 4 8 65536 20000 | cut -d' ' -f1) "
    fi
  done
  if [ "$name" = bulk ]; then
    results[bulk,tcp]="$(echo "${rates[tcp]}" | tr ' ' '\n' | grep . | median)"
    results[bulk,wsx_tcp]="$(python3 -c "import statistics, sys; w, t = sys.argv[1].split(), sys.argv[2].split(); print(statistics.median(float(a) / float(b) for a, b in zip(w, t)))" "${rates[wsx]}" "${rates[tcp]}")"
  fi
  for server in wsx websocat node; do
    results[$name,$server]="$(echo "${rates[$server]}" | tr ' ' '\n' | grep . | median)"
    cpu[$name,$server]="$(echo "${cpus[$server]}" | tr ' ' '\n' | grep . | median)"
  done
}

echo "measuring ($ROUNDS rounds, interleaved)..." >&2
run_workload small1 messages_per_s -c 1 -W 64 --size 32 -n 1000000
run_workload small64 messages_per_s -c 64 -W 16 --size 32 -n 1000000
run_workload bulk mb_per_s -c 4 -W 8 --size 64KiB --binary -n 20000

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
idle_bytes() { # pid url -> bytes of server RSS per idle connection
  local pid=$1 url=$2 hostport before after
  hostport="${url#ws://}"; hostport="${hostport%%/*}"
  before="$(rss_kb "$pid")"
  mkfifo "$WORK/hold"
  python3 bench/idle_clients.py "${hostport%:*}" "${hostport##*:}" "$IDLE" < "$WORK/hold" > "$WORK/idle.out" &
  local holder=$!
  exec 7> "$WORK/hold"
  wait_for "$WORK/idle.out" ready > /dev/null
  sleep 1
  after="$(rss_kb "$pid")"
  exec 7>&-
  wait "$holder" 2>/dev/null || true
  rm -f "$WORK/hold"
  echo $(( (after - before) * 1024 / IDLE ))
  sleep 1
}
echo "idle connections..." >&2
results[idle,wsx]="$(idle_bytes "$WSX_PID" "$WSX_URL")"
results[idle,websocat]="$(idle_bytes "$WEBSOCAT_PID" "$WEBSOCAT_URL")"
results[idle,node]="$(idle_bytes "$NODE_PID" "$NODE_URL")"

echo "pipe clients..." >&2
seq 1 200000 > "$WORK/lines"
pipe_rate() { # command... -> lines/s for the whole command, checking every line came back
  local start end count
  start="$(date +%s.%N)"
  count="$("$@" < "$WORK/lines" | wc -l)"
  end="$(date +%s.%N)"
  [ "$count" -eq 200000 ] || { echo "only $count of 200000 lines came back" >&2; echo 0; return; }
  python3 -c "print(200000 / ($end - $start))"
}
wsx_pipe=""; websocat_pipe=""
for _ in $(seq 1 "$ROUNDS"); do
  # --linger 0: this echo server answers everything before its Close, so the default 500 ms
  # linger at EOF (for servers that drop pending replies) would only add a quiet tail.
  wsx_pipe+="$(pipe_rate "$WSX" connect "$WSX_URL" -q --linger 0) "
  websocat_pipe+="$(pipe_rate "$WEBSOCAT" "$WSX_URL") "
done
results[pipe,wsx]="$(echo "$wsx_pipe" | tr ' ' '\n' | grep . | median)"
results[pipe,websocat]="$(echo "$websocat_pipe" | tr ' ' '\n' | grep . | median)"

# --- report ------------------------------------------------------------------------------
fmt() { python3 -c "import sys; v=float(sys.argv[1]); print(f'{v/1e6:.2f} M' if v >= 1e6 else f'{v/1e3:.0f} k' if v >= 1e3 else f'{v:.0f}')" "$1"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.1f}×')" "$1" "$2"; }
echo
echo "$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(uname -sr); median of $ROUNDS"
echo
echo "| workload | wsx | websocat 1.14 | Node ws | raw TCP | wsx / websocat |"
echo "|---|---|---|---|---|---|"
echo "| 1 connection, 64 in flight, 32 B (msg/s) | $(fmt "${results[small1,wsx]}") | $(fmt "${results[small1,websocat]}") | $(fmt "${results[small1,node]}") | | $(ratio "${results[small1,wsx]}" "${results[small1,websocat]}") |"
echo "| 64 connections, 16 in flight, 32 B (msg/s) | $(fmt "${results[small64,wsx]}") | $(fmt "${results[small64,websocat]}") | $(fmt "${results[small64,node]}") | | $(ratio "${results[small64,wsx]}" "${results[small64,websocat]}") |"
echo "| 4 connections, 8 in flight, 64 KiB (MB/s) | $(printf %.0f "${results[bulk,wsx]}") | $(printf %.0f "${results[bulk,websocat]}") | $(printf %.0f "${results[bulk,node]}") | $(printf %.0f "${results[bulk,tcp]}") | $(ratio "${results[bulk,wsx]}" "${results[bulk,websocat]}") |"
echo
echo "64 KiB against the raw TCP echo, round by round: wsx reaches $(printf %.2f "${results[bulk,wsx_tcp]}")× its MB/s (median of the rounds' ratios)."
echo
echo "Server CPU time per echoed message (µs; lower is better), same runs:"
echo
echo "| workload | wsx | websocat 1.14 | Node ws | websocat / wsx |"
echo "|---|---|---|---|---|"
for name in small1 small64 bulk; do
  label=$(case $name in small1) echo "1 connection, 32 B";; small64) echo "64 connections, 32 B";; bulk) echo "4 connections, 64 KiB";; esac)
  echo "| $label | $(printf %.2f "${cpu[$name,wsx]}") | $(printf %.2f "${cpu[$name,websocat]}") | $(printf %.2f "${cpu[$name,node]}") | $(ratio "${cpu[$name,websocat]}" "${cpu[$name,wsx]}") |"
done
echo
echo "| other | wsx | websocat 1.14 | Node ws | | wsx / websocat |"
echo "|---|---|---|---|---|---|"
echo "| $IDLE idle connections, server RSS each (bytes, lower is better) | ${results[idle,wsx]} | ${results[idle,websocat]} | ${results[idle,node]} | | $(ratio "${results[idle,websocat]}" "${results[idle,wsx]}") less |"
echo "| pipe client, 200,000 lines through wsx serve --echo (lines/s) | $(fmt "${results[pipe,wsx]}") | $(fmt "${results[pipe,websocat]}") | | | $(ratio "${results[pipe,wsx]}" "${results[pipe,websocat]}") |"
