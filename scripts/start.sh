#!/usr/bin/env bash
# One command from a fresh clone to a running platform with the demo district:
# prepare, create or upgrade the database, load the demo data, plan today's calendar, serve on
# http://127.0.0.1:5000.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${PORT:-5000}"
# Labels and the sign-in hint point at the public URL: by default, where this server listens.
export MUNICIPAL_PUBLIC_URL="${MUNICIPAL_PUBLIC_URL:-http://127.0.0.1:$port}"

bash scripts/prepare.sh
.venv/bin/municipal init-db
.venv/bin/municipal seed-demo
# Today's calendar, so the demo's calendar and work pages show what the rules make; from then on the
# scheduler does this every day (README: "Running it for real").
.venv/bin/municipal jobs run calendar
echo
echo "Starting on http://127.0.0.1:$port (Ctrl-C stops it)"
if [[ -n "${MUNICIPAL_DEMO_PASSWORD:-}" ]]; then
  echo "Sign in as admin, supervisor, crew or viewer with the password in MUNICIPAL_DEMO_PASSWORD."
else
  echo "Sign in as admin, supervisor, crew or viewer with the password municipal-demo."
fi
exec .venv/bin/municipal run --host 127.0.0.1 --port "$port"
