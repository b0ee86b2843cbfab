"""Organizer accounts (Argon2id password hashes) and console sessions with a CSRF token.

Passwords are hashed with argon2-cffi's `PasswordHasher` (its RFC 9106 low-memory
defaults); a hash made with older parameters is upgraded at the next sign-in.
Session ids and CSRF tokens are 256-bit random; only the session's SHA-256 is
stored (as for admin tokens, see `gatescan.server.authtokens`).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from gatescan.server import authtokens
from gatescan.server.errors import IssuerError
from gatescan.server.storage import schema as s
from gatescan.server.store import IssuerStore

log = logging.getLogger(__name__)
ACCOUNT_PREFIX = "acc_"
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
MAX_EMAIL = 254
_HASHER = PasswordHasher()
# Compared against when the e-mail is unknown, so a wrong address costs the same time.
_DUMMY = _HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class Session:
    """A live console session: who is signed in and the CSRF token of their forms."""

    account_id: str
    email: str
    csrf: str


def normalize_email(email: str) -> str:
    """The stored form of an e-mail address; IssuerError `bad_email` if it is not one."""
    value = email.strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or len(value) > MAX_EMAIL or \
            any(c.isspace() for c in value) or not value.isprintable():
        raise IssuerError("bad_email", f"{email!r} is not an e-mail address")
    return value


def check_password(password: str) -> None:
    """Refuse a password too short or too long to be one (IssuerError `bad_password`)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise IssuerError("bad_password", f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} "
                          "characters")


def create_account(store: IssuerStore, email: str, password: str, *, now: float) -> str:
    """A new account; returns its id. IssuerError `account_exists` if the e-mail is taken."""
    address = normalize_email(email)
    check_password(password)
    account_id = authtokens.new_id(ACCOUNT_PREFIX)
    try:
        with store.transaction() as conn:
            conn.execute(insert(s.accounts).values(
                account_id=account_id, email=address, password_hash=_HASHER.hash(password),
                created_at=now))
    except IntegrityError:
        raise IssuerError("account_exists", f"there is already an account for {address}") \
            from None
    log.info("created account %s", account_id)
    return account_id


def account_by_email(store: IssuerStore, email: str) -> str | None:
    """The id of the live account with this e-mail, or None."""
    with store.snapshot() as conn:
        found = conn.execute(select(s.accounts.c.account_id).where(and_(
            s.accounts.c.email == email.strip().lower(),
            s.accounts.c.disabled_at.is_(None)))).scalar()
    return None if found is None else str(found)


def authenticate(store: IssuerStore, email: str, password: str) -> str | None:
    """The account id if the password is right, else None (same work for an unknown e-mail)."""
    if not 0 < len(password) <= MAX_PASSWORD or len(email) > MAX_EMAIL:
        return None
    with store.snapshot() as conn:
        row = conn.execute(select(s.accounts.c.account_id, s.accounts.c.password_hash)
                           .where(and_(s.accounts.c.email == email.strip().lower(),
                                       s.accounts.c.disabled_at.is_(None)))).first()
    stored = _DUMMY if row is None else str(row.password_hash)
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    if _HASHER.check_needs_rehash(stored):
        with store.transaction() as conn:
            conn.execute(update(s.accounts).where(s.accounts.c.account_id == row.account_id)
                         .values(password_hash=_HASHER.hash(password)))
    return str(row.account_id)


def new_session(store: IssuerStore, account_id: str, *, ttl: int, now: float) -> str:
    """A console session for an account: the cookie value (stored hashed)."""
    session = authtokens.new_token(authtokens.SESSION_PREFIX)
    with store.transaction() as conn:
        conn.execute(delete(s.console_sessions).where(s.console_sessions.c.expires_at < now))
        conn.execute(insert(s.console_sessions).values(
            session_hash=authtokens.token_hash(session), account_id=account_id,
            csrf=secrets.token_urlsafe(32), expires_at=now + ttl))
    return session


def session(store: IssuerStore, cookie: str, *, now: float) -> Session | None:
    """The live session behind a cookie value, or None (expired, signed out, disabled)."""
    if not cookie or len(cookie) > 200 or not cookie.isascii():
        return None
    sess, acc = s.console_sessions.c, s.accounts.c
    with store.snapshot() as conn:
        row = conn.execute(
            select(sess.session_hash, sess.account_id, sess.csrf, acc.email)
            .join_from(s.console_sessions, s.accounts, sess.account_id == acc.account_id)
            .where(and_(sess.session_hash == authtokens.token_hash(cookie),
                        sess.expires_at >= now, acc.disabled_at.is_(None)))).first()
    if row is None or not authtokens.same_hash(row.session_hash, cookie):
        return None
    return Session(str(row.account_id), str(row.email), str(row.csrf))


def end_session(store: IssuerStore, cookie: str) -> None:
    """Forget a console session (sign out)."""
    with store.transaction() as conn:
        conn.execute(delete(s.console_sessions).where(
            s.console_sessions.c.session_hash == authtokens.token_hash(cookie)))
