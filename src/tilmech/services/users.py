"""Workbench accounts: users, roles, passwords, API tokens and the session secret.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

from sqlalchemy import select

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
    Unauthorized,
    UsageError,
)
from ..runtime import Runtime
from ..store import (
    MetaRow,
    TokenRow,
    UserRow,
)


def users_add(rt: Runtime, name: str, role: str, password: str, languages: Sequence[str] = ()) -> User:
    """Create a user (or replace the password, role and languages of an existing one)."""
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
            s.add(UserRow(name=name, role=parsed.value, languages=",".join(codes), password_hash=hashed))
        else:
            row.role, row.languages, row.password_hash = parsed.value, ",".join(codes), hashed
    return User(name, parsed, codes)


def _user(row: UserRow) -> User:
    return User(row.name, Role(row.role), tuple(c for c in row.languages.split(",") if c))


def users_list(rt: Runtime) -> list[User]:
    with rt.store.session() as s:
        return [_user(r) for r in s.scalars(select(UserRow).order_by(UserRow.name))]


def authenticate(rt: Runtime, name: str, password: str) -> User:
    with rt.store.reading() as s:
        row = s.scalars(select(UserRow).where(UserRow.name == name)).first()
    # the hash is checked outside the transaction: it takes a while, on purpose
    if row is None or not verify_password(password, row.password_hash):
        raise Unauthorized("wrong user name or password")
    return _user(row)


def get_user(rt: Runtime, name: str) -> User | None:
    with rt.store.reading() as s:
        row = s.scalars(select(UserRow).where(UserRow.name == name)).first()
        return _user(row) if row else None


def create_token(rt: Runtime, name: str, label: str = "") -> str:
    """A new API token for ``name`` (shown once; only its digest is stored)."""
    token, digest = new_token()
    with rt.store.session() as s:
        row = s.scalars(select(UserRow).where(UserRow.name == name)).first()
        if row is None:
            raise NotFound(f"no user {name!r}: add one with `tilmech users add`")
        s.add(TokenRow(user_id=row.id, token_hash=digest, label=label))
    return token


def user_by_token(rt: Runtime, token: str) -> User:
    with rt.store.reading() as s:
        row = s.execute(select(UserRow).join(TokenRow, TokenRow.user_id == UserRow.id)
                        .where(TokenRow.token_hash == token_digest(token))).scalar_one_or_none()
        if row is None:
            raise Unauthorized("unknown API token")
        return _user(row)


def secret_key(rt: Runtime) -> str:
    """The key that signs web sessions, created once per store."""
    with rt.store.session() as s:
        row = s.get(MetaRow, "session_key")
        if row is None:
            row = MetaRow(key="session_key", value=secrets.token_urlsafe(48))
            s.add(row)
        return row.value
