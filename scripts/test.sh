#!/usr/bin/env bash
# Install llmextract with its test and local-endpoint extras into .venv, then run the whole test
# suite with the network cut off: inside a new network namespace that has only loopback
# (`unshare -n`, or `unshare -rn` without root), start `llmextract serve` for the tests marked
# `live`, run pytest, stop the server. Where no namespace can be made, the same runs on the
# ordinary network and says so. LLMEXTRACT_TEST_NETWORK=1 skips the namespace.
set -euo pipefail
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$SELF")/.."

run_tests() {  # the local server and pytest; the exit status is pytest's
  PORT=${LLMEXTRACT_TEST_PORT:-18080}
  LOG=.venv/serve.log
  .venv/bin/llmextract serve --port "$PORT" >"$LOG" 2>&1 &
  SERVER=$!
  trap 'kill -TERM "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
  for _ in $(seq 1 180); do
    if grep -q "serving" "$LOG" 2>/dev/null; then break; fi
    if ! kill -0 "$SERVER" 2>/dev/null; then echo "llmextract serve failed:"; cat "$LOG"; exit 1; fi
    sleep 1
  done
  grep -q "serving" "$LOG" || { echo "llmextract serve did not start in time:"; cat "$LOG"; exit 1; }
  export LLMEXTRACT_LIVE_URL="http://127.0.0.1:${PORT}/v1"
  .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
}

if [ "${1:-}" = "--inside-netns" ]; then  # re-run by the lines below, inside the new namespace
  shift
  ip link set lo up
  run_tests "$@"
  exit
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test,local,pandas]'
# Debian's chromium for the review page's browser test (tests/test_review_browser.py), installed while
# the network is still there; only when missing. Under CI=true that test fails without a browser.
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
      || echo "installing chromium failed: the browser test will fail under CI=true"
  else
    echo "chromium is missing and needs root to install (apt-get install chromium): the browser test will skip"
  fi
fi

if [ "${LLMEXTRACT_TEST_NETWORK:-0}" != 1 ]; then
  if ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then
    echo "unshare (util-linux) or ip (iproute2) is missing: tests run on the ordinary network"
  else
    for flags in -n -rn; do
      if unshare "$flags" sh -c 'ip link set lo up' 2>/dev/null; then
        echo "tests run with the network cut off (unshare $flags: loopback only)"
        exec unshare "$flags" bash "$SELF" --inside-netns "$@"
      fi
    done
    echo "unshare cannot make a network namespace here (no permission): tests run on the ordinary network"
  fi
fi
run_tests "$@"
