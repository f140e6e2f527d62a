#!/usr/bin/env bash
# One command to prepare everything the tests need and run the whole suite.
# Runs on SQLite; set MUNICIPAL_TEST_DATABASE_URL to run on another database (CI: PostgreSQL).
# Extra arguments go to pytest, e.g. scripts/test.sh -k scan
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/prepare.sh --test
echo "Running the tests on ${MUNICIPAL_TEST_DATABASE_URL:-SQLite}"
# One worker per core, a test file per worker at a time (files share module fixtures), the files handed out in
# the suite's order (the longest first, tests/conftest.py), not by their number of tests.
exec .venv/bin/python -m pytest -n auto --dist loadfile --no-loadscope-reorder "$@"
