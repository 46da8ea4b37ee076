"""Users, roles and what each role may do (pure, apart from password hashing).

* ``translator``: reads everything; edits, approves and sends back segments of their languages.
* ``editor``: everything a translator does, in every language; creates and approves releases.
* ``admin``: everything an editor does; manages users.

Passwords are stored as salted argon2 hashes (pwdlib); API tokens as sha256 digests.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from .errors import Forbidden, TooManyRequests, UsageError


class Role(StrEnum):
    TRANSLATOR = "translator"
    EDITOR = "editor"
    ADMIN = "admin"


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    languages: tuple[str, ...] = ()  # empty: every language

    def may_review(self, lang: str) -> bool:
        return self.role is not Role.TRANSLATOR or not self.languages or lang in self.languages

    @property
    def may_approve_releases(self) -> bool:
        return self.role in (Role.EDITOR, Role.ADMIN)


def require_review(user: User | None, lang: str) -> None:
    if user is not None and not user.may_review(lang):
        raise Forbidden(f"{user.name} is a translator for {', '.join(user.languages)}, not {lang}")


def require_editor(user: User | None, action: str) -> None:
    if user is not None and not user.may_approve_releases:
        raise Forbidden(f"only an editor can {action}; {user.name} is a {user.role}")


def require_admin(user: User | None) -> None:
    if user is not None and user.role is not Role.ADMIN:
        raise Forbidden(f"only an admin manages users; {user.name} is a {user.role}")


def parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise UsageError(f"unknown role {text!r}: use translator, editor or admin") from None


# argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 40 ms a sign-in
# on one core, so that 50 reviewers signing in at once do not stall the workbench; hashes made
# with other parameters (they are stored in the hash) are still verified.
ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES = 19456, 2, 1


@cache
def _hasher() -> Any:
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    return PasswordHash((Argon2Hasher(memory_cost=ARGON2_MEMORY_KIB, time_cost=ARGON2_PASSES,
                                      parallelism=ARGON2_LANES),))


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise UsageError("the password is too short: use at least 8 characters")
    return str(_hasher().hash(password))


def verify_password(password: str, stored: str) -> bool:
    try:
        return bool(_hasher().verify(password, stored))
    except Exception:
        return False


def new_token() -> tuple[str, str]:
    """A new API token and the digest that is stored."""
    token = "tlm_" + secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SignInLimiter:
    """Failed sign-ins allowed per user name and client, and per client, within a sliding window.

    ``check`` before verifying a password (it refuses while over the limit),
    ``failed`` after a wrong one, ``succeeded`` after a right one (which forgets that
    name's failures). Kept in memory, per process.
    """

    def __init__(self, per_name: int = 5, per_client: int = 20, window: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_name, self.per_client, self.window, self.clock = per_name, per_client, window, clock
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> list[float]:
        times = [t for t in self._failures.get(key, ()) if now - t < self.window]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def check(self, client: str, name: str) -> None:
        now = self.clock()
        with self._lock:
            for key, limit in (((client, name.lower()), self.per_name), ((client, ""), self.per_client)):
                times = self._recent(key, now)
                if len(times) >= limit:
                    wait = max(1, int(self.window - (now - times[0])) + 1)
                    raise TooManyRequests(f"too many failed sign-ins: wait {wait} seconds, then try again", wait)

    def failed(self, client: str, name: str) -> None:
        now = self.clock()
        with self._lock:
            for key in ((client, name.lower()), (client, "")):
                self._failures.setdefault(key, []).append(now)
            if len(self._failures) > 10_000:  # forget the stale ones
                for key in list(self._failures):
                    self._recent(key, now)

    def succeeded(self, client: str, name: str) -> None:
        with self._lock:
            self._failures.pop((client, name.lower()), None)
