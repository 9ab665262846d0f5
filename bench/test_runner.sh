#!/usr/bin/env bash
# How fast `wsx test` drives a conversation, side by side in one run against one
# `wsx serve --echo`:
#   - a file of N send/expect pairs, against the same exchange by a hand-written Python
#     `websockets` client (what users write today) and `wsx bench -c 1 -W 1` (the bare
#     round-trip rate, one message in flight);
#   - a 3-step file (connect, send, expect), start-up included, against
#     `wsx connect -x MSG -n 1`, each run RUNS times.
# One message in flight means every round trip is two processes waking each other. On a VM
# a wake-up that crosses to the other (idle, halted) CPU costs tens of microseconds, more
# than either tool's own work: the raw TCP ping-pong of examples/tcp_echo.rs, shown first,
# makes about 5x more round trips when both ends share one CPU. So each figure is measured
# twice: on one CPU (every process under `taskset -c 0`: what each tool's own work costs)
# and where the scheduler puts them (what a user sees on this machine). The pair rates are
# measured ROUNDS times, interleaved, and each figure is the median.
#
# usage: bench/test_runner.sh [N] [RUNS] [ROUNDS]     (defaults 10000, 50 and 3)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
PAIRS="${1:-10000}"
RUNS="${2:-50}"
ROUNDS="${3:-3}"

cargo build --quiet --release --bin wsx --example tcp_echo
TCP_ECHO="$TARGET/release/examples/tcp_echo"
PYTHON="$ROOT/target/peers-venv/bin/python3"
if [ ! -x "$PYTHON" ]; then
  python3 -m venv "$ROOT/target/peers-venv"
  "$PYTHON" -m pip install --quiet -r tests/peers/requirements.txt
fi

now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }
rate() { calc "$1 / ($3 - $2)"; }

cat > "$WORK/client.py" <<PY
import asyncio, json, sys
from websockets.asyncio.client import connect

async def main(url, pairs):
    async with connect(url) as ws:
        for i in range(1, pairs + 1):
            await ws.send(json.dumps({"seq": i, "op": "tick"}, separators=(",", ":")))
            reply = json.loads(await ws.recv())
            assert reply["seq"] == i

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
PY

# measure PLACEMENT CMD...: every process of one table runs under CMD (taskset or nothing).
measure() {
  local placement="$1"; shift
  local run=("$@")
  "${run[@]}" "$TCP_ECHO" serve > "$WORK/tcp.log" 2>&1 &
  pids+=($!)
  local tcp_addr
  tcp_addr="$(wait_for "$WORK/tcp.log" 'listening on' | grep -o '127.0.0.1:[0-9]*')"
  "${run[@]}" "$WSX" serve 127.0.0.1:0 --echo 2> "$WORK/server.log" &
  pids+=($!)
  local url
  url="$(wait_for "$WORK/server.log" 'listening on' | grep -o 'ws://[0-9.:]*')"
  {
    echo "connect $url"
    for i in $(seq 1 "$PAIRS"); do
      echo "send {\"seq\":$i,\"op\":\"tick\"}"
      echo "expect \$.seq == $i"
    done
  } > "$WORK/pairs.wsx"

  local wsx_rates="" python_rates="" bench_rates="" tcp_rates="" start end
  for _ in $(seq 1 "$ROUNDS"); do
    start=$(now); "${run[@]}" "$WSX" test "$WORK/pairs.wsx" -q > /dev/null; end=$(now)
    wsx_rates+="$(rate "$PAIRS" "$start" "$end")"$'\n'
    start=$(now); "${run[@]}" "$PYTHON" "$WORK/client.py" "$url" "$PAIRS"; end=$(now)
    python_rates+="$(rate "$PAIRS" "$start" "$end")"$'\n'
    # Timed like the others, start-up and close included, not bench's own window.
    start=$(now); "${run[@]}" "$WSX" bench "$url" -c 1 -W 1 -n "$PAIRS" --warmup 0 -q > /dev/null; end=$(now)
    bench_rates+="$(rate "$PAIRS" "$start" "$end")"$'\n'
    start=$(now); "${run[@]}" "$TCP_ECHO" bench "$tcp_addr" 1 1 32 "$PAIRS" > /dev/null; end=$(now)
    tcp_rates+="$(rate "$PAIRS" "$start" "$end")"$'\n'
  done
  local wsx_rate python_rate bench_rate tcp_rate
  wsx_rate=$(printf %s "$wsx_rates" | median)
  python_rate=$(printf %s "$python_rates" | median)
  bench_rate=$(printf %s "$bench_rates" | median)
  tcp_rate=$(printf %s "$tcp_rates" | median)

  printf 'connect %s\nsend hello there\nexpect hello there\n' "$url" > "$WORK/three.wsx"
  start=$(now); for _ in $(seq 1 "$RUNS"); do "${run[@]}" "$WSX" test "$WORK/three.wsx" -q > /dev/null; done; end=$(now)
  local three_ms connect_ms
  three_ms=$(calc "($end - $start) * 1000 / $RUNS")
  start=$(now); for _ in $(seq 1 "$RUNS"); do "${run[@]}" "$WSX" connect "$url" -x "hello there" -n 1 -q > /dev/null; done; end=$(now)
  connect_ms=$(calc "($end - $start) * 1000 / $RUNS")

  echo
  echo "$placement: median of $ROUNDS rounds, interleaved; raw TCP ping-pong $(printf '%.0f' "$tcp_rate") round trips/s"
  printf '| workload | wsx test | peer | ratio | target |\n|---|---|---|---|---|\n'
  printf '| %s send/expect pairs vs Python websockets | %.0f pairs/s | %.0f pairs/s | %.1fx | >= 3x |\n' \
    "$PAIRS" "$wsx_rate" "$python_rate" "$(calc "$wsx_rate / $python_rate")"
  printf '| %s pairs vs wsx bench -c 1 -W 1 | %.0f pairs/s | %.0f msg/s | %.2fx | >= 0.7x |\n' \
    "$PAIRS" "$wsx_rate" "$bench_rate" "$(calc "$wsx_rate / $bench_rate")"
  printf '| 3-step file vs wsx connect -x MSG -n 1 (mean of %s runs) | %.1f ms | %.1f ms | %.2fx the time | <= 2x |\n' \
    "$RUNS" "$three_ms" "$connect_ms" "$(calc "$three_ms / $connect_ms")"
  cleanup_servers
}

cleanup_servers() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; pids=(); }

measure "one CPU (taskset -c 0)" taskset -c 0
measure "scheduler's choice" env
