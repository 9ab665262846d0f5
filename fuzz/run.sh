#!/usr/bin/env bash
# Runs every cargo-fuzz target of wsx's own parsers for a bounded time each, starting from
# the committed corpus; fails on the first crash, panic or hang.
#
# usage: fuzz/run.sh [SECONDS]     (default 30 per target)
# cargo-fuzz is installed into target/fuzz-tools when absent. The toolchain here is stable;
# RUSTC_BOOTSTRAP lets cargo-fuzz pass the sanitizer flags it needs.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"
SECONDS_EACH="${1:-30}"
TOOLS="$HERE/../target/fuzz-tools"
CARGO_FUZZ="$(command -v cargo-fuzz || true)"
if [ -z "$CARGO_FUZZ" ]; then
  CARGO_FUZZ="$TOOLS/bin/cargo-fuzz"
  [ -x "$CARGO_FUZZ" ] || cargo install --quiet --locked cargo-fuzz --version 0.13.2 --root "$TOOLS"
fi
export RUSTC_BOOTSTRAP=1
"$CARGO_FUZZ" build
for target in $("$CARGO_FUZZ" list); do
  echo "== fuzz $target (${SECONDS_EACH}s)"
  # Work on a copy so that CI leaves the committed corpus as it was.
  work="$(mktemp -d)"
  cp -r "corpus/$target/." "$work/"
  status=0
  "$CARGO_FUZZ" run "$target" "$work" -- -max_total_time="$SECONDS_EACH" -timeout=5 \
    -rss_limit_mb=2048 > "$work.log" 2>&1 || status=$?
  grep -E "^Done|ERROR|SUMMARY|panicked" "$work.log" || true
  if [ "$status" -ne 0 ]; then
    tail -40 "$work.log" >&2
    echo "fuzz target $target failed; the input is in fuzz/artifacts/$target" >&2
    exit 1
  fi
  rm -rf "$work" "$work.log"
done
echo "fuzz: all targets ran clean"
