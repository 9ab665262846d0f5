# Shared by the bench/ scripts (sourced, after `set -euo pipefail`): the repository root as
# the working directory, a scratch dir and the processes to stop at exit, the peers and the
# waits every script needs.
# env: BENCH_TOOLS=dir  where websocat is installed if absent (default target/bench-tools)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
WSX="$TARGET/release/wsx"
WORK="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# Sets WEBSOCAT: the one on the PATH, or 1.14.1 installed into BENCH_TOOLS.
need_websocat() {
  local tools="${BENCH_TOOLS:-$ROOT/target/bench-tools}"
  WEBSOCAT="$(command -v websocat || true)"
  if [ -z "$WEBSOCAT" ]; then
    WEBSOCAT="$tools/bin/websocat"
    [ -x "$WEBSOCAT" ] || cargo install --quiet --locked websocat --version 1.14.1 --root "$tools"
  fi
}

need_node_ws() {
  [ -d tests/peers/node_modules/ws ] || npm ci --prefix tests/peers --no-audit --no-fund --silent
}

wait_for() { # file pattern -> prints the matching line
  for _ in $(seq 1 200); do
    if grep -m1 "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
