#!/usr/bin/env bash
# Prepares a checkout: Debian packages (as root), the virtual environment in .venv,
# the Python packages, the compiled translations and the front-end libraries (npm, into static/vendor/).
# Safe to run again.
# Usage: scripts/prepare.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install_system_deps.sh "${1:-}"

python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "Creating the virtual environment in .venv"
  "$python" -m venv .venv
fi
extras=""
[[ "${1:-}" == "--test" ]] && extras="[test]"
stamp=".venv/.installed${extras}"
if [[ ! -f "$stamp" || setup.cfg -nt "$stamp" ]]; then
  echo "Installing Python packages${extras:+ (with test tools)}"
  # With uv (installed by pip into the environment), which fetches and unpacks several packages at once:
  # 5 s where pip alone took 40 s on a 2-core machine, for the same versions. Like pip with PIP_NO_COMPILE, it
  # compiles no module at install: those imported are compiled then. uv does not read pip's settings: behind a
  # package mirror, set UV_DEFAULT_INDEX as well as pip's index.
  .venv/bin/python -m pip install --quiet "uv>=0.13,<0.14"
  .venv/bin/uv pip install --quiet --python .venv/bin/python --editable ".${extras}"
  touch "$stamp"
fi
# Compiled only when a catalogue changed: the suites may run at once, and a rewrite under way would be read.
for po in municipal/translations/*/LC_MESSAGES/messages.po; do
  if [[ ! -f "${po%.po}.mo" || "$po" -nt "${po%.po}.mo" ]]; then
    .venv/bin/pybabel compile --statistics -d municipal/translations 2>&1 | grep -v "^compiling" || true
    break
  fi
done
bash scripts/vendor_js.sh
