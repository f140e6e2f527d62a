#!/usr/bin/env bash
# Fuzzes the REST API against its own OpenAPI description with schemathesis: every operation, with
# generated valid and invalid input, as the demo district's supervisor. Fails on any 500 and on any answer
# that is not what the description says (status, content type, headers, body).
#
# A throwaway SQLite database and media folder, the app under gunicorn on a free loopback port, and a fixed
# seed, so a failure can be run again as it was. Bounded to about three minutes on a 2-core machine.
# Usage: scripts/fuzz_api.sh [more schemathesis options], e.g. --include-path-regex work-orders
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

work=$(mktemp -d)
server=""
stop() {
  if [[ -n "$server" ]]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop EXIT

# The suite's database setting must not leak into this run, and nothing may land in instance/.
unset MUNICIPAL_TEST_DATABASE_URL
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export MUNICIPAL_DATABASE_URL="sqlite:///$work/fuzz.db"
export MUNICIPAL_MEDIA_DIR="$work/media"
export MUNICIPAL_SECRET_KEY="fuzz"
export MUNICIPAL_PUBLIC_URL="http://127.0.0.1:$port"

.venv/bin/municipal init-db >/dev/null
.venv/bin/municipal seed-demo >/dev/null
supervisor=$(.venv/bin/municipal create-token supervisor --name fuzz 2>/dev/null)
admin=$(.venv/bin/municipal create-token admin --name fuzz 2>/dev/null)

"$root/.venv/bin/gunicorn" --bind "127.0.0.1:$port" --workers 2 --threads 2 --timeout 60 \
  --error-logfile "$work/server.log" "municipal:create_app()" &
server=$!
for _ in $(seq 100); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.2
done

# Every check but positive_data_acceptance: it wants every request the description allows to succeed, and
# no OpenAPI description can say that an area code must exist, that `after` must come from a previous page,
# that a file must be a photo, or that a checklist needs its required items. Those refusals are 4xx answers
# that name the field; the other checks hold each of them to the error schema.
# Ten random examples per operation beside the coverage phase's systematic cases (about 5,180 cases in all):
# fifteen (5,582) took 8 s more of a run that shares its cores with the PostgreSQL tests, and found nothing more.
# Schemathesis' warning that some operations "mostly rejected generated data" is the same matter as the
# positive_data_acceptance check above: refusals of values the description cannot rule out, each a 4xx
# held to the error schema.
# One worker: with two threads, Python 3.11's ast module (which hypothesis uses to describe its filters)
# sometimes fails with "AST constructor recursion depth mismatch", an error of the tool, not of the API.
# Responses may take 30 s: a batch of 10,000 codes or a year's report on a busy 2-core machine takes seconds.
fuzz() {
  local token=$1
  shift
  "$root/.venv/bin/schemathesis" run "http://127.0.0.1:$port/api/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks all \
    --exclude-checks positive_data_acceptance \
    --seed 20261126 \
    --max-examples 10 \
    --workers 1 \
    --request-timeout 30 \
    --max-response-time 30 \
    --suppress-health-check too_slow,filter_too_much \
    --no-color \
    "$@"
}

status=0
# From the throwaway folder: schemathesis keeps its examples database in the working directory.
cd "$work"
echo "== every operation, as the district's supervisor"
fuzz "$supervisor" "$@" || status=$?
# Administrators' operations, but not the revoking ones: the run would revoke its own token half-way.
echo "== the administrators' operations, as an administrator"
fuzz "$admin" --include-path-regex '/(users|teams|tokens|areas|jobs)' --exclude-path-regex 'revoke' "$@" \
  || status=$?

if [[ $status -ne 0 ]] && grep -q "Traceback" "$work/server.log"; then
  echo "== the server's tracebacks:"
  grep -A40 "Traceback" "$work/server.log" | head -n 200
fi
exit "$status"
