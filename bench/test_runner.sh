#!/usr/bin/env bash
# How fast `wsx test` drives a conversation, side by side in one run against one
# `wsx serve --echo`:
#   - a file of N send/expect pairs, against the same exchange by a hand-written Python
#     `websockets` client (what users write today) and `wsx bench -c 1 -W 1` (the bare
#     round-trip rate, one message in flight);
#   - a 3-step file (connect, send, expect), start-up included, against
#     `wsx connect -x MSG -n 1`, each run RUNS times.
# The pair rates are measured ROUNDS times, interleaved, and each figure is the median: one
# round trip is two processes waking on a shared machine, and single runs moved by 1.6x.
#
# usage: bench/test_runner.sh [N] [RUNS] [ROUNDS]     (defaults 10000, 50 and 3)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
PAIRS="${1:-10000}"
RUNS="${2:-50}"
ROUNDS="${3:-3}"

cargo build --quiet --release --bin wsx
PYTHON="$ROOT/target/peers-venv/bin/python3"
if [ ! -x "$PYTHON" ]; then
  python3 -m venv "$ROOT/target/peers-venv"
  "$PYTHON" -m pip install --quiet -r tests/peers/requirements.txt
fi

"$WSX" serve 127.0.0.1:0 --echo 2> "$WORK/server.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/server.log" && break; sleep 0.05; done
URL="$(grep -o 'ws://[0-9.:]*' "$WORK/server.log" | head -1)"

now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }
rate() { calc "$1 / ($3 - $2)"; }

# --- N pairs ------------------------------------------------------------------------------
{
  echo "connect $URL"
  for i in $(seq 1 "$PAIRS"); do
    echo "send {\"seq\":$i,\"op\":\"tick\"}"
    echo "expect \$.seq == $i"
  done
} > "$WORK/pairs.wsx"

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
wsx_rates="" python_rates="" bench_rates=""
for _ in $(seq 1 "$ROUNDS"); do
  start=$(now); "$WSX" test "$WORK/pairs.wsx" -q > /dev/null; end=$(now)
  wsx_rates+="$(rate "$PAIRS" "$start" "$end")"$'\n'
  start=$(now); "$PYTHON" "$WORK/client.py" "$URL" "$PAIRS"; end=$(now)
  python_rates+="$(rate "$PAIRS" "$start" "$end")"$'\n'
  # Timed like the others, start-up and close included, not bench's own window.
  start=$(now); "$WSX" bench "$URL" -c 1 -W 1 -n "$PAIRS" --warmup 0 -q > /dev/null; end=$(now)
  bench_rates+="$(rate "$PAIRS" "$start" "$end")"$'\n'
done
wsx_rate=$(printf %s "$wsx_rates" | median)
python_rate=$(printf %s "$python_rates" | median)
bench_rate=$(printf %s "$bench_rates" | median)

# --- a 3-step file against connect -x -n 1, start-up included -------------------------------
printf 'connect %s\nsend hello there\nexpect hello there\n' "$URL" > "$WORK/three.wsx"
start=$(now); for _ in $(seq 1 "$RUNS"); do "$WSX" test "$WORK/three.wsx" -q > /dev/null; done; end=$(now)
three_ms=$(calc "($end - $start) * 1000 / $RUNS")
start=$(now); for _ in $(seq 1 "$RUNS"); do "$WSX" connect "$URL" -x "hello there" -n 1 -q > /dev/null; done; end=$(now)
connect_ms=$(calc "($end - $start) * 1000 / $RUNS")

printf '| workload | wsx test | peer | ratio | target |\n|---|---|---|---|---|\n'
echo "median of $ROUNDS rounds, interleaved"
printf '| %s send/expect pairs vs Python websockets | %.0f pairs/s | %.0f pairs/s | %.1fx | >= 3x |\n' \
  "$PAIRS" "$wsx_rate" "$python_rate" "$(calc "$wsx_rate / $python_rate")"
printf '| %s pairs vs wsx bench -c 1 -W 1 | %.0f pairs/s | %.0f msg/s | %.2fx | >= 0.7x |\n' \
  "$PAIRS" "$wsx_rate" "$bench_rate" "$(calc "$wsx_rate / $bench_rate")"
printf '| 3-step file vs wsx connect -x MSG -n 1 (mean of %s runs) | %.1f ms | %.1f ms | %.2fx the time | <= 2x |\n' \
  "$RUNS" "$three_ms" "$connect_ms" "$(calc "$three_ms / $connect_ms")"
