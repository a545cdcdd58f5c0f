#!/usr/bin/env bash
# Install llmextract with its test and local-endpoint extras into .venv, start `llmextract serve`
# on loopback for the tests marked `live`, run the whole test suite, stop the server.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test,local]'

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
