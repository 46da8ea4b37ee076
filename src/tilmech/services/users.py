"""Workbench accounts: users, roles, passwords, API tokens, sessions and the session secret.

Each user has a *session stamp*, a random value every session cookie of that user carries.
A new stamp ends all of the user's sessions at once: signing out, a new password or role,
and removal do that (:func:`end_sessions`). Tokens end only when revoked or with their user.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from ..auth import (
    Role,
    User,
    hash_password,
    new_token,
    parse_role,
    require_admin,
    token_digest,
    verify_password,
)
from ..errors import (
    NotFound,
    StoreUnavailable,
    Unauthorized,
    UsageError,
)
from ..runtime import Runtime
from ..store import (
    MetaRow,
    TokenRow,
    UserRow,
)
from ..store.schema import new_stamp, utcnow

TOKEN_USE_RESOLUTION = dt.timedelta(minutes=1)  # a token's last use is recorded to the minute


@dataclass(frozen=True)
class TokenInfo:
    """An API token as listed: never the token itself."""

    id: int
    label: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None


def users_add(rt: Runtime, name: str, role: str, password: str, languages: Sequence[str] = ()) -> User:
    """Create a user (or replace the password, role and languages of an existing one, which ends
    that user's sessions)."""
    require_admin(rt.actor)
    parsed = parse_role(role)
    codes = tuple(rt.settings.resolve_languages(list(languages))[i].code for i in range(len(languages))) \
        if languages else ()
    if not re.fullmatch(r"[A-Za-z0-9._@-]{1,100}", name):
        raise UsageError(f"bad user name {name!r}: letters, digits and . _ @ - only")
    hashed = hash_password(password)
    with rt.store.session() as s:
        row = s.scalars(select(UserRow).where(UserRow.name == name)).first()
        if row is None:
            s.add(UserRow(name=name, role=parsed.value, languages=",".join(codes), password_hash=hashed,
                          session_stamp=new_stamp()))
        else:
            row.role, row.languages, row.password_hash = parsed.value, ",".join(codes), hashed
            row.session_stamp = new_stamp()
    return User(name, parsed, codes)


def users_remove(rt: Runtime, name: str) -> int:
    """Remove a user with every API token of theirs (their sessions end with them); the number of
    tokens revoked. Their name stays in the history of what they did."""
    require_admin(rt.actor)
    with rt.store.session() as s:
        row = s.scalars(select(UserRow).where(UserRow.name == name)).first()
        if row is None:
            raise NotFound(f"no user {name!r}: see `tilmech users list`")
        tokens = s.execute(delete(TokenRow).where(TokenRow.user_id == row.id))
        s.delete(row)
    return tokens.rowcount if isinstance(tokens, CursorResult) else 0


def _user(row: UserRow) -> User:
    return User(row.name, Role(row.role), tuple(c for c in row.languages.split(",") if c))


def users_list(rt: Runtime) -> list[User]:
    with rt.store.reading() as s:  # a read: it never waits for a writer (every CLI command asks it)
        return [_user(r) for r in s.scalars(select(UserRow).order_by(UserRow.name))]


def authenticate(rt: Runtime, name: str, password: str) -> User:
    return start_session(rt, name, password)[0]


@cache
def _dummy_hash() -> str:
    """A hash of the same parameters as real ones, checked when the name is unknown: an unknown
    name costs the same time as a wrong password, so timing tells no one which names exist."""
    return hash_password(secrets.token_urlsafe(24))


def start_session(rt: Runtime, name: str, password: str) -> tuple[User, str]:
    """Check the password; the user and the session stamp their new session carries."""
    with rt.store.reading() as s:
        row = s.scalars(select(UserRow).where(UserRow.name == name)).first()
    # the hash is checked outside the transaction: it takes a while, on purpose (unknown names too)
    if not verify_password(password, row.password_hash if row is not None else _dummy_hash()) or row is None:
        raise Unauthorized("wrong user name or password")
    stamp = row.session_stamp
    if stamp is None:  # a store whose users were made before stamps: the first sign-in sets one
        with rt.store.session() as s:
            s.execute(update(UserRow).where(UserRow.id == row.id, UserRow.session_stamp.is_(None))
                      .values(session_stamp=new_stamp()))
            stamp = s.scalars(select(UserRow.session_stamp).where(UserRow.id == row.id)).first()
    if stamp is None:  # removed meanwhile
        raise Unauthorized("wrong user name or password")
    return _user(row), stamp


def session_user(rt: Runtime, name: str, stamp: str) -> User | None:
    """The user of a session that carries ``stamp``; None when their sessions have ended since."""
    with rt.store.reading() as s:
        row = s.scalars(select(UserRow).where(UserRow.name == name)).first()
    if row is None or not row.session_stamp or not secrets.compare_digest(row.session_stamp, stamp):
        return None
    return _user(row)


def end_sessions(rt: Runtime, name: str, stamp: str | None = None) -> bool:
    """End every session of ``name`` (only while their sessions carry ``stamp``, when given: a
    stale cookie cannot sign the user out elsewhere); whether they were ended."""
    condition = [UserRow.name == name]
    if stamp is not None:
        condition.append(UserRow.session_stamp == stamp)
    with rt.store.session() as s:
        done = s.execute(update(UserRow).where(*condition).values(session_stamp=new_stamp()))
        return isinstance(done, CursorResult) and done.rowcount == 1


def get_user(rt: Runtime, name: str) -> User | None:
    with rt.store.reading() as s:
        row = s.scalars(select(UserRow).where(UserRow.name == name)).first()
        return _user(row) if row else None


def _user_row(s: Session, name: str) -> UserRow:
    row = s.scalars(select(UserRow).where(UserRow.name == name)).first()
    if row is None:
        raise NotFound(f"no user {name!r}: see `tilmech users list`")
    return row


def create_token(rt: Runtime, name: str, label: str = "") -> str:
    """A new API token for ``name`` (shown once; only its digest is stored)."""
    require_admin(rt.actor)
    token, digest = new_token()
    with rt.store.session() as s:
        row = s.scalars(select(UserRow).where(UserRow.name == name)).first()
        if row is None:
            raise NotFound(f"no user {name!r}: add one with `tilmech users add`")
        s.add(TokenRow(user_id=row.id, token_hash=digest, label=label))
    return token


def token_list(rt: Runtime, name: str) -> list[TokenInfo]:
    """The API tokens of ``name``, oldest first."""
    require_admin(rt.actor)
    with rt.store.reading() as s:
        user = _user_row(s, name)
        rows = s.scalars(select(TokenRow).where(TokenRow.user_id == user.id).order_by(TokenRow.id)).all()
        return [TokenInfo(r.id, r.label, r.created_at, r.last_used_at) for r in rows]


def token_revoke(rt: Runtime, name: str, which: str) -> TokenInfo:
    """Revoke one API token of ``name``: by its id, or by its label when only one token has it."""
    require_admin(rt.actor)
    with rt.store.session() as s:
        user = _user_row(s, name)
        rows = s.scalars(select(TokenRow).where(TokenRow.user_id == user.id)).all()
        matches = [r for r in rows if which.isdigit() and r.id == int(which)] or \
                  [r for r in rows if r.label == which]
        if not matches:
            raise NotFound(f"{name} has no token {which!r}: see `tilmech users tokens {name}`")
        if len(matches) > 1:
            ids = ", ".join(str(r.id) for r in matches)
            raise UsageError(f"{name} has {len(matches)} tokens labelled {which!r} (ids {ids}): "
                             "give the id of the one to revoke")
        row = matches[0]
        s.delete(row)
        return TokenInfo(row.id, row.label, row.created_at, row.last_used_at)


def user_by_token(rt: Runtime, token: str) -> User:
    return token_holder(rt, token)[0]


def token_holder(rt: Runtime, token: str) -> tuple[User, str]:
    """The user of an API token and the token's label (recorded in the history as the surface)."""
    with rt.store.reading() as s:
        found = s.execute(select(UserRow, TokenRow.id, TokenRow.last_used_at, TokenRow.label)
                          .join(TokenRow, TokenRow.user_id == UserRow.id)
                          .where(TokenRow.token_hash == token_digest(token))).one_or_none()
        if found is None:
            raise Unauthorized("unknown API token: it may have been revoked; ask an admin for a new one")
        row, token_id, last_used, label = found
        user = _user(row)
    now = utcnow()
    if last_used is None or now - last_used >= TOKEN_USE_RESOLUTION:
        try:
            with rt.store.session() as s:
                s.execute(update(TokenRow).where(TokenRow.id == token_id).values(last_used_at=now))
        except StoreUnavailable:  # a busy store: the request goes on, the time of use waits for the next
            pass
    return user, label or ""


def secret_key(rt: Runtime) -> str:
    """The key that signs web sessions, created once per store."""
    with rt.store.session() as s:
        row = s.get(MetaRow, "session_key")
        if row is None:
            row = MetaRow(key="session_key", value=secrets.token_urlsafe(48))
            s.add(row)
        return row.value
