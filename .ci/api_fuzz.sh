#!/usr/bin/env bash
# Fuzz the JSON API against its own OpenAPI description with schemathesis: anonymously, with a
# partner's token and with an officer's token. Fails on a server error or on any response the
# description does not allow. Starts the app on a random loopback port over a throwaway data
# directory (development settings, demo data) and stops it at the end. Bounded in time:
# API_FUZZ_EXAMPLES cases per operation and API_FUZZ_SECONDS per run.
set -euo pipefail
cd "$(dirname "$0")/.."

EXAMPLES=${API_FUZZ_EXAMPLES:-20}
SECONDS_PER_RUN=${API_FUZZ_SECONDS:-45}
DATA_DIR=$(mktemp -d)
export CASEBANK_ENV=development CASEBANK_DATA_DIR="$DATA_DIR" CASEBANK_LOG_LEVEL=WARNING
# The fuzzer is one client sending thousands of requests: the limits are exercised by the
# suite (tests/test_api_tokens.py), not here.
export CASEBANK_API_RATE_LIMIT_PER_ADDRESS="100000 per minute"
export CASEBANK_API_RATE_LIMIT_PER_TOKEN="100000 per minute"
FLASK=".venv/bin/flask --app app"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT

$FLASK db upgrade >/dev/null 2>&1
$FLASK casebank load-reference >/dev/null
$FLASK casebank load-demo >/dev/null
$FLASK casebank demo-accounts >/dev/null
$FLASK casebank reindex >/dev/null
PARTNER_TOKEN=$($FLASK casebank token create partner.wco@demo.casebank.example.org \
  --scope read --scope submit --name fuzz)
OFFICER_TOKEN=$($FLASK casebank token create officer@demo.casebank.example.org \
  --scope read --scope restricted --name fuzz)

PORT=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/gunicorn --bind "127.0.0.1:$PORT" --workers 1 --threads 4 --log-level warning app:app \
  >"$DATA_DIR/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
  if .venv/bin/python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/healthz')" 2>/dev/null; then break; fi
  sleep 0.5
done

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
fuzz() {
  local who=$1; shift
  echo "== schemathesis: $who"
  .venv/bin/schemathesis run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
    --checks "$CHECKS" --max-examples "$EXAMPLES" --max-time "$SECONDS_PER_RUN" \
    --phases examples,coverage,fuzzing --workers 2 --seed 1 --no-color \
    --generation-database none --request-timeout 20 "$@" \
    || { echo "schemathesis found problems ($who); the server's log:"; tail -50 "$DATA_DIR/server.log"; return 1; }
}
fuzz anonymous
fuzz "a partner's token" -H "Authorization: Bearer $PARTNER_TOKEN"
fuzz "an officer's token" -H "Authorization: Bearer $OFFICER_TOKEN"
