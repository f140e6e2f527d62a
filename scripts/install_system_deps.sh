#!/usr/bin/env bash
# Debian packages the platform needs: CJK fonts for PDFs and pages (fonts-noto-cjk holds the sans and the
# serif, Noto Serif CJK SC, the annual reports' print face), HarfBuzz subsetting, Pango (WeasyPrint
# lays out the annual reports with it), poppler for looking at PDFs, the PostgreSQL client (pg_dump and
# pg_restore for `municipal backup` and `restore`), Node's npm when missing (scripts/vendor_js.sh), and Chromium and a few tools for the tests (with --test).
# Runs apt only as root and only for what is missing; otherwise says what to install.
set -euo pipefail

packages=(python3-venv fontconfig fonts-wqy-microhei fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils
          postgresql-client)
# npm installs the front-end libraries from package-lock.json at prepare time (a build tool, not a runtime).
command -v npm >/dev/null || packages+=(nodejs npm)
if [[ "${1:-}" == "--test" ]]; then
  # curl and unzip for the API fuzzing and the wheel check in .ci/run, datefudge for scripts/test_any_date.sh.
  packages+=(chromium curl unzip datefudge)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 0
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
