"""Signing in and out, the one flow behind the API's token endpoint and the login page.

Order matters (issue 15 §4): the limiter is asked first, so an account or client over its limit
is refused without a password check — the right password included; then exactly one argon2
verification, against a dummy hash for an unknown account; then the attempt is written to
``login_audit``. Refusals are answers, not errors, so the request's transaction commits the
audit row with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from hotline.core.times import utcnow
from hotline.units.auth import issue_token
from hotline.units.models import LoginAudit, LoginOutcome, User
from hotline.units.users import authenticate, find_user, revoke_tokens
from hotline.web.loginlimit import login_limiter


@dataclass(frozen=True)
class SignIn:
    outcome: LoginOutcome
    user: User | None = None
    token: str | None = None
    refusal: str | None = None  # the limiter's message when refused


def _audit(session: Session, username: str, client: str, outcome: LoginOutcome,
           user: User | None) -> None:
    session.add(LoginAudit(at=utcnow(), username=username[:64], client=client[:64],
                           outcome=outcome, user_id=user.id if user is not None else None))
    session.flush()


def sign_in(session: Session, username: str, password: str, client: str) -> SignIn:
    attempt = login_limiter.begin(client, username)
    if attempt.refusal is not None:
        _audit(session, username, client, LoginOutcome.refused, find_user(session, username))
        return SignIn(LoginOutcome.refused, refusal=attempt.refusal)
    user = authenticate(session, username, password)
    if user is None:
        _audit(session, username, client, LoginOutcome.failed, find_user(session, username))
        return SignIn(LoginOutcome.failed)
    login_limiter.succeeded(attempt)
    _audit(session, username, client, LoginOutcome.succeeded, user)
    return SignIn(LoginOutcome.succeeded, user=user, token=issue_token(user))


def sign_out(session: Session, user: User, client: str) -> None:
    """Ends every session of this user, on every device (the token version is per user)."""
    revoke_tokens(session, user)
    _audit(session, user.username, client, LoginOutcome.signed_out, user)


def client_of(host: str | None) -> str:
    return host or "?"
