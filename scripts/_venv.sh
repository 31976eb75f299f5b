# Sourced by the scripts: ./.venv on Python >= 3.11 with threadloom installed (editable)
# with the extras in $1, at the versions pinned in constraints.txt. pip runs only when
# setup.cfg, pyproject.toml, constraints.txt or the extras asked for changed since the
# last install; it shows its progress when it does.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
extras="${1:-}"

new_enough() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }

if [ -e .venv ] && ! new_enough .venv/bin/python; then
  echo "threadloom: .venv has $(.venv/bin/python -V 2>&1 || echo no working Python); threadloom needs Python 3.11 or newer: rebuilding it" >&2
  rm -rf .venv
fi
if [ ! -e .venv ]; then
  python=""
  for candidate in ${PYTHON:-} python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null && new_enough "$(command -v "$candidate")"; then python="$candidate"; break; fi
  done
  if [ -z "$python" ]; then
    echo "threadloom: needs Python 3.11 or newer (found: $(python3 -V 2>&1 || echo none)); install one, or set PYTHON=/path/to/python3.11" >&2
    exit 1
  fi
  echo "threadloom: creating .venv with $("$python" -V)" >&2
  "$python" -m venv .venv
fi

# One stamp per extras set; installing "test" also satisfies a plain install.
inputs="$(cat setup.cfg pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
stamp=".venv/.threadloom-${extras:-base}"
if [ "$(cat "$stamp" 2>/dev/null)" != "$inputs" ]; then
  echo "threadloom: installing threadloom${extras:+[$extras]} and its dependencies into .venv (pinned by constraints.txt; a minute or two the first time)" >&2
  .venv/bin/python -m pip install --disable-pip-version-check --quiet --upgrade pip
  log=.venv/pip-install.log
  if ! .venv/bin/python -m pip install --disable-pip-version-check \
      --constraint constraints.txt --editable ".${extras:+[$extras]}" 2>&1 \
      | tee "$log" | { grep --line-buffered -E '^(Collecting|Installing|Successfully)' || true; }; then
    tail -n 40 "$log" >&2
    echo "threadloom: the install failed (the whole log: $log)" >&2
    exit 1
  fi
  echo "$inputs" > "$stamp"
  [ -z "$extras" ] || echo "$inputs" > .venv/.threadloom-base
fi
