#!/usr/bin/env bash
# The JS suites in tests/js: the official JS SDK (@langchain/langgraph-sdk) against a real
# threadloom, and React's useStream in Debian's Chromium (driven by playwright-core). Each
# test file starts and stops its own server(s) on ephemeral 127.0.0.1 ports.
#
#   scripts/test-js.sh [sdk|browser|console|all]     (default: all)
#
# Installs what it needs: threadloom's venv (unless THREADLOOM_PYTHON names an interpreter
# that already has it), `npm ci` in tests/js (skipped when package-lock.json is unchanged
# since the last install), and Debian's chromium when /usr/bin/chromium is missing (as root;
# $CHROMIUM may name another binary). Screenshots: tests/js/output/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
which="${1:-all}"
case "$which" in sdk|browser|console|all) ;; *) echo "usage: $0 [sdk|browser|console|all]" >&2; exit 2 ;; esac

command -v node >/dev/null || { echo "test-js: node is not installed (Node.js 20+ is needed)" >&2; exit 1; }
command -v npm >/dev/null || { echo "test-js: npm is not installed" >&2; exit 1; }

if [ -z "${THREADLOOM_PYTHON:-}" ]; then
  source scripts/_venv.sh test
  export THREADLOOM_PYTHON="$root/.venv/bin/python"
fi

if [ "$which" != sdk ] && [ -z "${CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "test-js: installing Debian's chromium" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends chromium >/dev/null
  else
    echo "test-js: /usr/bin/chromium is missing; install Debian's chromium package (as root) or set CHROMIUM" >&2
    exit 1
  fi
fi

cd tests/js
stamp=node_modules/.threadloom-lock
lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > "$stamp"
fi

status=0
if [ "$which" = sdk ] || [ "$which" = all ]; then
  echo "== JS SDK suite (tests/js/sdk)"
  node --test --test-reporter=spec sdk/ || status=1
fi
if [ "$which" = browser ] || [ "$which" = all ]; then
  echo "== useStream in Chromium (tests/js/browser)"
  node --test --test-reporter=spec browser/ || status=1
fi
if [ "$which" = console ] || [ "$which" = all ]; then
  echo "== the console (/console) in Chromium (tests/js/console)"
  node --test --test-reporter=spec console/ || status=1
fi
exit "$status"
