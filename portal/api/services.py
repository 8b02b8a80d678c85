"""Personal API tokens: made (shown once, stored as SHA-256), revoked, found by the bearer
header, and their use recorded at most once a minute."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from portal.accounts.models import User
from portal.api.models import SCOPES, ApiToken
from portal.common import ServiceError, clean_text, utcnow
from portal.extensions import db
from portal.permissions import (
    Actor,
    authorized_by,
    can_create_api_token,
    can_revoke_api_token,
    can_use_api_token,
)

TOKEN_PREFIX = "mvi_"  # noqa: S105 - the recognisable start of every token, not a secret
MAX_DAYS = 365
MAX_ACTIVE_TOKENS = 20
USE_RECORDED_EVERY = timedelta(minutes=1)


def hash_token(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8", "surrogatepass")).hexdigest()


def _expiry(expires_on: date | None) -> date:
    today = utcnow().date()
    if expires_on is None:
        raise ServiceError(_("Kies tot wanneer het token geldig is."), field="expires_on")
    if not today <= expires_on <= today + timedelta(days=MAX_DAYS):
        raise ServiceError(
            _("Een token is hoogstens een jaar geldig: kies een datum van vandaag tot %(last)s.",
              last=(today + timedelta(days=MAX_DAYS)).isoformat()),
            field="expires_on",
        )  # fmt: skip
    return expires_on


@authorized_by(can_create_api_token)
def create_api_token(
    name: str, scope: str, expires_on: date | None, *, actor: Actor
) -> tuple[ApiToken, str]:
    """Make a token for actor; return it with its plain text, which is never stored or shown again."""
    name = clean_text(name, limit=80, field="name", label=_("de naam"), required=True,
                      single_line=True)  # fmt: skip
    if scope not in SCOPES:
        raise ServiceError(_("Kies lezen of lezen en schrijven."), field="scope")
    active = db.session.scalar(
        select(func.count()).select_from(ApiToken).where(
            ApiToken.user_id == actor.id, ApiToken.revoked_at.is_(None),
            ApiToken.expires_on >= utcnow().date(),
        )
    )  # fmt: skip
    if active >= MAX_ACTIVE_TOKENS:
        raise ServiceError(
            _("U heeft al %(n)d geldige tokens; trek er eerst een in.", n=MAX_ACTIVE_TOKENS),
            field="name",
        )
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=actor.id, name=name, token_hash=hash_token(plain), hint=plain[:10],
        scope=scope, expires_on=_expiry(expires_on),
    )  # fmt: skip
    db.session.add(token)
    db.session.flush()
    return token, plain


@authorized_by(can_revoke_api_token)
def revoke_api_token(token: ApiToken, *, actor: Actor) -> None:
    """Stop the token working at once (a second revoke changes nothing)."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()


def token_for(plain: str) -> ApiToken | None:
    """The token with this plain text, whatever its state (the caller checks is_active)."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    return db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(plain)))


def tokens_of(user: User) -> list[ApiToken]:
    """The member's tokens, newest first (revoked and expired ones too, for the record)."""
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


@authorized_by(can_use_api_token)
def record_token_use(token: ApiToken, *, actor: Actor) -> bool:
    """Set last_used_at, unless it was set less than a minute ago (so a burst of requests is not
    a burst of writes); returns whether it wrote."""
    now = utcnow()
    result = db.session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token.id,
            or_(ApiToken.last_used_at.is_(None),
                ApiToken.last_used_at < now - USE_RECORDED_EVERY),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    return bool(result.rowcount)
