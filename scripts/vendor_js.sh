#!/usr/bin/env bash
# Front-end libraries: installed by npm from package-lock.json (never from a CDN), then the files the pages
# use copied into static/vendor/. Node and npm are build tools only; the platform never runs them.
# Safe to run again: npm runs only when the lockfile changed, the copy only when npm ran. Usage: scripts/vendor_js.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null; then
  echo "npm is missing: install Debian's nodejs and npm (scripts/install_system_deps.sh does it as root)." >&2
  exit 1
fi
stamp=node_modules/.municipal-installed
if [[ ! -f "$stamp" || package-lock.json -nt "$stamp" || package.json -nt "$stamp" ]]; then
  echo "Installing the front-end libraries (npm ci)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

vendor=static/vendor
# Copied again only when npm installed something or this script changed: the test suites of .ci/run may
# run at once, each preparing first, and a copy under way would take the files from a running server.
if [[ -f "$vendor/VENDORED.md" && "$vendor/VENDORED.md" -nt "$stamp" && "$vendor/VENDORED.md" -nt "$0" ]]; then
  exit 0
fi
rm -rf "$vendor.tmp"
mkdir -p "$vendor.tmp/workbox"
# Workbox's loader and the modules sw.js uses, as workbox-cli copyLibraries would lay them out.
cp node_modules/workbox-sw/build/workbox-sw.js "$vendor.tmp/workbox/"
for module in core precaching routing strategies; do
  cp "node_modules/workbox-$module/build/workbox-$module.prod.js" "$vendor.tmp/workbox/"
done
# The BarcodeDetector polyfill (for phones without a native one: iPhones) and the ZXing WebAssembly decoder it
# loads, from our own files: the scanner points the polyfill's locateFile here (it would fetch from a CDN).
mkdir -p "$vendor.tmp/barcode-detector" "$vendor.tmp/zxing-wasm"
cp node_modules/barcode-detector/dist/iife/polyfill.js "$vendor.tmp/barcode-detector/"
cp node_modules/zxing-wasm/dist/reader/zxing_reader.wasm "$vendor.tmp/zxing-wasm/"
# uPlot: the facility page's water-level and rainfall charts (small and fast on the crews' phones).
mkdir -p "$vendor.tmp/uplot"
cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css "$vendor.tmp/uplot/"
# Leaflet for the map page (municipal/geo); the server clusters, so no cluster plugin.
mkdir -p "$vendor.tmp/leaflet"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$vendor.tmp/leaflet/"
{
  echo "# Vendored front-end libraries (copied by scripts/vendor_js.sh; do not edit)"
  for package in workbox-sw workbox-core workbox-precaching workbox-routing workbox-strategies barcode-detector zxing-wasm uplot \
                 leaflet; do
    node -e "const p=require('./node_modules/$package/package.json'); console.log('- ' + p.name + ' ' + p.version + ' (' + p.license + ')')"
  done
  echo "- zxing_reader.wasm sha256 $(sha256sum "$vendor.tmp/zxing-wasm/zxing_reader.wasm" | cut -d' ' -f1)"
} > "$vendor.tmp/VENDORED.md"
rm -rf "$vendor"
mv "$vendor.tmp" "$vendor"
