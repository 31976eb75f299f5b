#!/usr/bin/env bash
# Rebuild the console (console/, Vite + React + TypeScript) into server/console_dist, the
# files the server serves at /console and the package ships: run it after changing console/
# and commit what it writes. It stamps the sources' hash into console_dist/source.sha256;
# tests/test_console.py fails when that stamp no longer matches console/.
#
#   scripts/build-console.sh          (needs Node.js 20+ and npm; `npm ci` when the lock changed)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/console"
command -v npm >/dev/null || { echo "build-console: npm is not installed (Node.js 20+ is needed)" >&2; exit 1; }

stamp=node_modules/.threadloom-lock
lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > "$stamp"
fi

npx tsc --noEmit
npx vite build
# the same hash as tests/test_console.py's source_hash(): sha256sum lines of the sources, sorted by path
find index.html package.json package-lock.json tsconfig.json vite.config.ts src -type f | LC_ALL=C sort \
  | xargs sha256sum | sha256sum | cut -d' ' -f1 > ../server/console_dist/source.sha256
echo "build-console: server/console_dist ($(cat ../server/console_dist/source.sha256))"
