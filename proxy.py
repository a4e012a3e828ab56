"""Behind a reverse proxy (README, "Behind nginx"): X-Forwarded-* believed from the proxy only.

With --trusted-proxy ADDRESS (an address or a network, repeatable), a request that comes from
one of those addresses has its X-Forwarded-For, -Proto, -Host, -Port and -Prefix applied for one
hop (werkzeug's ProxyFix): the app sees the client's address, the scheme and the host the
browser used. From any other address, those headers are dropped, so that a client that reaches
the app directly cannot claim another address or scheme. Without the flag (the default) the
app uses none of them and this middleware is not installed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

FORWARDED = tuple(f"HTTP_X_FORWARDED_{name}" for name in ("FOR", "PROTO", "HOST", "PORT", "PREFIX"))
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def proxy_network(text: str) -> Network:
    """An address or network (10.0.0.5, 10.0.0.0/24, ::1); ValueError if it is neither."""
    return ipaddress.ip_network(text.strip(), strict=False)


class TrustedProxy:
    """WSGI middleware: one hop of X-Forwarded-* from these proxies, none from anyone else."""

    def __init__(self, app: WSGIApplication, proxies: Iterable[Network | str]) -> None:
        self._networks = [p if not isinstance(p, str) else proxy_network(p) for p in proxies]
        self._app = app
        self._fixed = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)

    def trusts(self, address: str) -> bool:
        try:
            peer = ipaddress.ip_address(address)
        except ValueError:  # no address (a UNIX socket) or a name: not the proxy
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
