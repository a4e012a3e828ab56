"""The container's health check: exit 0 if the dashboard in this container answers GET /healthz
with 200. HTTPS when SSL_CERT is set (docker/entrypoint.sh then gives the app --ssl-cert).
Uses only the standard library, since the base image need not have curl."""

from __future__ import annotations

import os
import ssl
import sys
import urllib.request

PORT = 8050  # the app's default; a container that runs it with another --port fails this check
TIMEOUT_S = 4.0


def main(port: int = PORT) -> int:
    context = None
    scheme = "http"
    if os.environ.get("SSL_CERT"):
        scheme = "https"
        # The server's certificate is often self-signed, and this is the server itself on the
        # loopback: the check is that it answers, not who it is.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    url = f"{scheme}://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S, context=context) as response:
            status = response.status
    except OSError as error:  # URLError, HTTPError, timeouts, refused connections
        print(f"{url}: {error}", file=sys.stderr)
        return 1
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
