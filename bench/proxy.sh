#!/usr/bin/env bash
# `wsx proxy` against websocat used as a relay, both in front of the same `wsx serve --echo`,
# driven by `wsx bench` in one run, interleaved: messages/s, MB/s and the p50 round trip
# (also against the upstream reached directly).
#
# usage: bench/proxy.sh [ROUNDS]        (default 3; each figure is the median of ROUNDS)
# env:   BENCH_TOOLS=dir  where websocat is installed if absent (default target/bench-tools)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ROUNDS="${1:-3}"

need_websocat
cargo build --quiet --release --bin wsx


"$WSX" serve 127.0.0.1:0 --echo 2> "$WORK/upstream.log" & pids+=($!)
UPSTREAM="$(wait_for "$WORK/upstream.log" 'listening on' | sed 's/.*listening on //')"
"$WSX" proxy 127.0.0.1:0 "$UPSTREAM" -q 2> "$WORK/proxy.log" & pids+=($!)
PROXY="$(wait_for "$WORK/proxy.log" 'listening on' | sed 's/.*listening on //; s/ -> .*//')"
TEXT_PORT="$(free_port)"; BIN_PORT="$(free_port)"
"$WEBSOCAT" -t -q "ws-l:127.0.0.1:$TEXT_PORT" "$UPSTREAM/" & pids+=($!)
"$WEBSOCAT" -b -q -B 1048576 "ws-l:127.0.0.1:$BIN_PORT" "$UPSTREAM/" & pids+=($!)
for port in "$TEXT_PORT" "$BIN_PORT"; do
  for _ in $(seq 1 100); do "$WSX" connect "ws://127.0.0.1:$port/" -q -x ready -n 1 >/dev/null 2>&1 </dev/null && break; sleep 0.05; done
done

measure() { # url field bench-args... -> the field of the summary
  local url=$1 field=$2; shift 2
  "$WSX" bench "$url" "$@" --jsonl -q | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['latency_ms']['p50'] if '$field' == 'p50' else d['$field'])"
}
declare -A results
run_workload() { # name field text|binary bench-args...
  local name=$1 field=$2 kind=$3; shift 3
  local -A samples=()
  for _ in $(seq 1 "$ROUNDS"); do
    local relay="ws://127.0.0.1:$TEXT_PORT/"
    [ "$kind" = binary ] && relay="ws://127.0.0.1:$BIN_PORT/"
    for target in direct proxy websocat; do
      local url
      case $target in direct) url="$UPSTREAM";; proxy) url="$PROXY";; websocat) url="$relay";; esac
      samples[$target]+="$(measure "$url" "$field" "$@") "
    done
  done
  for target in direct proxy websocat; do
    results[$name,$target]="$(echo "${samples[$target]}" | tr ' ' '\n' | grep . | median)"
  done
}
echo "measuring ($ROUNDS rounds, interleaved)..." >&2
run_workload small1 messages_per_s text -c 1 -W 64 --size 32 -n 300000
run_workload small64 messages_per_s text -c 64 -W 16 --size 32 -n 500000
run_workload bulk mb_per_s binary -c 4 -W 8 --size 64KiB --binary -n 10000
run_workload latency p50 text -c 1 -W 1 --size 32 -n 20000

fmt() { python3 -c "import sys; v=float(sys.argv[1]); print(f'{v/1e6:.2f} M' if v >= 1e6 else f'{v/1e3:.0f} k' if v >= 1e3 else f'{v:.3f}')" "$1"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.1f}×')" "$1" "$2"; }
echo
echo "$(nproc) cores; median of $ROUNDS; all behind one wsx serve --echo"
echo
echo "| workload | direct | wsx proxy | websocat relay | proxy / websocat |"
echo "|---|---|---|---|---|"
echo "| 1 connection, 64 in flight, 32 B (msg/s) | $(fmt "${results[small1,direct]}") | $(fmt "${results[small1,proxy]}") | $(fmt "${results[small1,websocat]}") | $(ratio "${results[small1,proxy]}" "${results[small1,websocat]}") |"
echo "| 64 connections, 16 in flight, 32 B (msg/s) | $(fmt "${results[small64,direct]}") | $(fmt "${results[small64,proxy]}") | $(fmt "${results[small64,websocat]}") | $(ratio "${results[small64,proxy]}" "${results[small64,websocat]}") |"
echo "| 4 connections, 8 in flight, 64 KiB (MB/s) | $(printf %.0f "${results[bulk,direct]}") | $(printf %.0f "${results[bulk,proxy]}") | $(printf %.0f "${results[bulk,websocat]}") | $(ratio "${results[bulk,proxy]}" "${results[bulk,websocat]}") |"
echo "| p50 round trip, 1 in flight (ms) | $(printf %.3f "${results[latency,direct]}") | $(printf %.3f "${results[latency,proxy]}") | $(printf %.3f "${results[latency,websocat]}") | proxy / direct $(ratio "${results[latency,proxy]}" "${results[latency,direct]}") |"
