#!/usr/bin/env bash
# Install threadloom with its test dependencies and run the whole test suite.
# Extra arguments go to pytest.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" test
exec .venv/bin/python -m pytest "$@"
