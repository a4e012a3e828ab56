#!/usr/bin/env bash
# Installs what the tests need (setup.sh --test) and runs them; arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh --test
exec .venv/bin/python -m pytest "$@"
