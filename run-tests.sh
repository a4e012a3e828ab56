#!/usr/bin/env bash
# Installs what the tests need (setup.sh --test), checks lint, format and types (ruff, mypy),
# then runs the tests; arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh --test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
