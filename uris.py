"""URIs as they may be shown: credentials taken out."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

HIDDEN = "***"
# query parameters whose values are secrets (rtsp://cam/stream?user=admin&password=...)
SECRET_PARAMETERS = re.compile(r"pass|pwd|secret|token|key|auth|sig", re.IGNORECASE)


def redact(uri: str) -> str:
    """The URI with any password and secret query values replaced by ***."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return HIDDEN
    netloc = parts.netloc
    if "@" in netloc:
        credentials, host = netloc.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        netloc = f"{user}:{HIDDEN}@{host}" if ":" in credentials else f"{user}@{host}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    secret = any(SECRET_PARAMETERS.search(key) for key, _ in pairs)
    if netloc == parts.netloc and not secret:
        return uri  # nothing to hide (and "test://" stays as written)
    query = urlencode(
        [(key, HIDDEN if SECRET_PARAMETERS.search(key) else value) for key, value in pairs],
        safe="*/:",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
