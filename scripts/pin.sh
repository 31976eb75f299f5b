#!/usr/bin/env bash
# Refresh constraints.txt: the newest versions that setup.cfg's ranges allow (with every
# extra), resolved in a scratch venv. The README's scripts install exactly these, so two
# machines get the same versions; run this, then the test suite, to move them forward.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
"${PYTHON:-python3}" -m venv "$scratch/venv"
"$scratch/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$root[test]"
{
  echo "# Pinned by scripts/pin.sh from setup.cfg's ranges; the scripts install with --constraint this file."
  "$scratch/venv/bin/python" -m pip freeze --disable-pip-version-check | grep -v -i '^threadloom[= @]'
} > "$root/constraints.txt"
echo "constraints.txt: $(grep -vc '^#' "$root/constraints.txt") packages pinned"
