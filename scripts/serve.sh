#!/usr/bin/env bash
# Install threadloom and serve the bundled example graphs on http://127.0.0.1:2024
# (SQLite under ./.threadloom/). Extra arguments go to `python -m server`.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" ""
exec .venv/bin/python -m server --config examples/langgraph.json "$@"
