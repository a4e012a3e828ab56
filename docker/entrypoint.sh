#!/bin/sh
# The container's entrypoint: runs its command. When that command is the dashboard (python3
# .../app.py) and SSL_CERT or SSL_KEY is set, it adds --ssl-cert "$SSL_CERT" --ssl-key "$SSL_KEY",
# as NVIDIA's Flask example reads those two variables. One without the other stops the app
# with its own message ("--ssl-cert and --ssl-key go together").
set -eu
case "${2:-}" in
    app.py | */app.py)
        if [ "${1:-}" = python3 ] && [ -n "${SSL_CERT:-}${SSL_KEY:-}" ]; then
            set -- "$@" --ssl-cert "${SSL_CERT:-}" --ssl-key "${SSL_KEY:-}"
        fi
        ;;
esac
exec "$@"
