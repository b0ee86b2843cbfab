"""Organizer credentials: admin tokens (CLI-made, shown once) and dashboard sessions."""

from __future__ import annotations

import logging

from sqlalchemy import and_, delete, insert, select, update

from gatescan.server import authtokens
from gatescan.server.storage import schema as s
from gatescan.server.store import IssuerStore

log = logging.getLogger(__name__)


def create_admin_token(store: IssuerStore, name: str, *, now: float) -> tuple[str, str]:
    """A new admin token: (token_id, token). The token is returned once and stored hashed."""
    token = authtokens.new_token(authtokens.ADMIN_PREFIX)
    token_id = authtokens.new_id("adm_")
    with store.transaction() as conn:
        conn.execute(insert(s.admin_tokens).values(
            token_id=token_id, token_hash=authtokens.token_hash(token), name=name[:100],
            created_at=now))
    log.info("created admin token %s", token_id)
    return token_id, token


def revoke_admin_token(store: IssuerStore, token_id: str, *, now: float) -> bool:
    """Revoke an admin token (and its dashboard sessions); False if there is no such token."""
    with store.transaction() as conn:
        done = conn.execute(update(s.admin_tokens).where(and_(
            s.admin_tokens.c.token_id == token_id, s.admin_tokens.c.revoked_at.is_(None)))
            .values(revoked_at=now))
        conn.execute(delete(s.admin_sessions).where(s.admin_sessions.c.token_id == token_id))
    return bool(done.rowcount)


def admin_for_token(store: IssuerStore, token: str) -> str | None:
    """The id of the live admin token `token` is, or None."""
    digest = authtokens.token_hash(token)
    with store.snapshot() as conn:
        row = conn.execute(select(s.admin_tokens.c.token_id, s.admin_tokens.c.token_hash)
                           .where(and_(s.admin_tokens.c.token_hash == digest,
                                       s.admin_tokens.c.revoked_at.is_(None)))).first()
    if row is None or not authtokens.same_hash(row.token_hash, token):
        return None
    return str(row.token_id)


def new_session(store: IssuerStore, token_id: str, *, ttl: int, now: float) -> str:
    """A dashboard session for an admin token: the cookie value (stored hashed)."""
    session = authtokens.new_token(authtokens.SESSION_PREFIX)
    with store.transaction() as conn:
        conn.execute(delete(s.admin_sessions).where(s.admin_sessions.c.expires_at < now))
        conn.execute(insert(s.admin_sessions).values(
            session_hash=authtokens.token_hash(session), token_id=token_id,
            expires_at=now + ttl))
    return session


def session_admin(store: IssuerStore, session: str, *, now: float) -> str | None:
    """The admin token id behind a live dashboard session, or None."""
    digest = authtokens.token_hash(session)
    sess, tok = s.admin_sessions.c, s.admin_tokens.c
    with store.snapshot() as conn:
        row = conn.execute(
            select(sess.session_hash, sess.token_id)
            .join_from(s.admin_sessions, s.admin_tokens, sess.token_id == tok.token_id)
            .where(and_(sess.session_hash == digest, sess.expires_at >= now,
                        tok.revoked_at.is_(None)))).first()
    if row is None or not authtokens.same_hash(row.session_hash, session):
        return None
    return str(row.token_id)


def end_session(store: IssuerStore, session: str) -> None:
    """Forget a dashboard session (logout)."""
    with store.transaction() as conn:
        conn.execute(delete(s.admin_sessions).where(
            s.admin_sessions.c.session_hash == authtokens.token_hash(session)))
