"""Behind a reverse proxy (README, "Behind nginx"): X-Forwarded-* believed from the proxy only.

With --trusted-proxy ADDRESS (an address or a network, repeatable; `unix` for whoever connects
to the app's UNIX socket, --host unix:///PATH), a request that comes from one of those has its
X-Forwarded-For, -Proto, -Host, -Port and -Prefix applied for one hop (werkzeug's ProxyFix):
the app sees the client's address, and the scheme and host the browser used. From anyone else,
those headers are dropped, so that a client that reaches the app directly cannot claim another
address or scheme. Without the flag (the default) the app uses none of them and this
middleware is not installed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

FORWARDED = tuple(f"HTTP_X_FORWARDED_{name}" for name in ("FOR", "PROTO", "HOST", "PORT", "PREFIX"))
UNIX = "unix"  # --trusted-proxy unix: the peers of the app's UNIX socket
UNIX_PEER = "<local>"  # werkzeug's REMOTE_ADDR for a connection to a UNIX socket
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def proxy_network(text: str) -> Network | str:
    """An address or network (10.0.0.5, 10.0.0.0/24, ::1), or `unix`; ValueError if it is
    none of these."""
    if text.strip() == UNIX:
        return UNIX
    return ipaddress.ip_network(text.strip(), strict=False)


class TrustedProxy:
    """WSGI middleware: one hop of X-Forwarded-* from these proxies, none from anyone else."""

    def __init__(self, app: WSGIApplication, proxies: Iterable[Network | str]) -> None:
        chosen = [proxy_network(p) if isinstance(p, str) else p for p in proxies]
        self._unix = UNIX in chosen
        self._networks = [p for p in chosen if not isinstance(p, str)]
        self._app = app
        self._fixed = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)

    def trusts(self, address: str) -> bool:
        if address == UNIX_PEER:
            return self._unix
        try:
            peer = ipaddress.ip_address(address)
        except ValueError:  # no address, or a name: not the proxy
            return False
        if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped:
            peer = peer.ipv4_mapped
        return any(peer in network for network in self._networks)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.trusts(environ.get("REMOTE_ADDR", "")):
            return self._fixed(environ, start_response)
        for key in FORWARDED:
            environ.pop(key, None)
        return self._app(environ, start_response)
