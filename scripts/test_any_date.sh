#!/usr/bin/env bash
# The suite on other days: runs the README's test command with the machine's clock moved (datefudge) to a
# leap day, the last minutes of a year and ten years ahead. The application's clock is set by the tests
# themselves (tests/conftest.py, TEST_NOW), so every run must pass whatever the real date.
# datefudge moves the date alone (the real-time clock), as a machine set to another day would have it.
# libfaketime moves the monotonic clock too, and then either time.sleep() fails with EINVAL or a timed wait
# (threading.Event.wait) never ends, whichever way it is set: the scan log's tests hung.
# Usage: scripts/test_any_date.sh [pytest arguments], e.g. -m "not e2e"
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/prepare.sh --test
for day in "2028-02-29 23:50:00" "2026-12-31 23:55:00" "2036-12-05 10:00:00"; do
  echo "== The machine's clock at $day"
  datefudge "$day" .venv/bin/python -c 'import datetime; print("today reads", datetime.date.today())'
  datefudge "$day" .venv/bin/python -m pytest -n auto --dist loadfile -q -p no:cacheprovider "$@"
done
