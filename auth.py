"""Users, roles and how a request proves who it is (--auth FILE).

The users file holds one user a line, `name:role:hash`, where role is `viewer` (the page, the
video, snapshots, results: every GET) or `operator` (also every PUT: settings, networks,
cameras), and hash is a salted scrypt hash of the password. Lines starting with `#` are
comments. Make or change a line with

    python -m auth USERS_FILE NAME --role operator     (asks for the password twice)

A request is someone's when it carries the page's session cookie (after POST /login), HTTP
basic credentials (`curl -u name:password`), or a bearer token (`Authorization: Bearer
NAME:PASSWORD`, for clients that cannot do basic auth). Failed attempts are counted per client
address: past MAX_FAILURES within FAILURE_WINDOW_S, that client gets 429 until the window has
passed (Retry-After says when), whatever it sends.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import hmac
import secrets
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

VIEWER, OPERATOR = "viewer", "operator"
ROLES = (VIEWER, OPERATOR)
# scrypt's cost: about 30-60 ms a check on a small CPU; verified credentials are remembered
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_FAILURES = 10
FAILURE_WINDOW_S = 60.0
REMEMBER_S = 300.0  # a password checked once is not hashed again for this long


class AuthError(ValueError):
    """A users file that cannot be used; the message is one line."""


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def may(self, role: str) -> bool:
        """Whether this user has `role`'s rights (an operator has a viewer's too)."""
        return role == VIEWER or self.role == OPERATOR


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    encoded = (base64.b64encode(part).decode() for part in (salt, digest))
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}$" + "$".join(encoded)


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(got, expected)


def read_users(path: str | Path) -> dict[str, tuple[User, str]]:
    """name -> (the user, the password hash); AuthError saying what is wrong and where."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise AuthError(f"{path}: {getattr(error, 'strerror', None) or error}") from None
    users: dict[str, tuple[User, str]] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.strip().split(":")
        if len(parts) != 3 or not parts[0] or parts[1] not in ROLES:
            raise AuthError(
                f"{path}, line {number}: expected name:role:hash with role viewer or operator"
            )
        name, role, stored = parts
        if not stored.startswith("scrypt$"):
            raise AuthError(f"{path}, line {number}: the hash is not one `python -m auth` makes")
        users[name] = (User(name, role), stored)
    if not users:
        raise AuthError(f"{path}: no users (make one with: python -m auth {path} NAME)")
    return users


class Authenticator:
    """Checks credentials against the users file and counts failures per client."""

    def __init__(self, users: dict[str, tuple[User, str]]) -> None:
        self._users = users
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}
        self._remembered: dict[bytes, tuple[User, float]] = {}

    def retry_after(self, client: str) -> int:
        """Seconds until `client` may try again; 0 if it may now."""
        now = time.monotonic()
        with self._lock:
            failures = self._failures.get(client)
            if failures is None:
                return 0
            while failures and now - failures[0] > FAILURE_WINDOW_S:
                failures.popleft()
            if len(failures) < MAX_FAILURES:
                return 0
            return int(FAILURE_WINDOW_S - (now - failures[0])) + 1

    def check(self, client: str, name: str, password: str) -> User | None:
        """The user these credentials are, or None (a failure counted against `client`)."""
        key = hashlib.sha256(f"{name}\0{password}".encode()).digest()
        now = time.monotonic()
        with self._lock:
            remembered = self._remembered.get(key)
        if remembered and now - remembered[1] < REMEMBER_S:
            return remembered[0]
        entry = self._users.get(name)
        if entry is not None and password_matches(password, entry[1]):
            with self._lock:
                self._remembered[key] = (entry[0], now)
            return entry[0]
        if entry is None:
            password_matches(password, hash_password("", b"0" * 16))  # the same time
        with self._lock:
            self._failures.setdefault(client, deque()).append(now)
        return None

    def user(self, name: str) -> User | None:
        entry = self._users.get(name)
        return entry[0] if entry else None


def add_user(path: Path, name: str, role: str, password: str) -> None:
    """Write `name`'s line into the users file (made if missing), replacing an older one."""
    if not name or ":" in name or not name.isprintable():
        raise AuthError("a user name must be printable and have no ':'")
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    kept = [line for line in lines if line.split(":", 1)[0] != name]
    kept.append(f"{name}:{role}:{hash_password(password)}")
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    path.chmod(0o600)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Add or change a user of the dashboard.")
    parser.add_argument("file", type=Path, help="the users file (--auth FILE); made if missing")
    parser.add_argument("name")
    parser.add_argument("--role", choices=ROLES, default=VIEWER, help="default viewer")
    parser.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    args = parser.parse_args(argv)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return 2
    if len(password) < 8:
        print("error: a password needs 8 characters or more", file=sys.stderr)
        return 2
    try:
        add_user(args.file, args.name, args.role, password)
    except (AuthError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{args.name} ({args.role}) written to {args.file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
