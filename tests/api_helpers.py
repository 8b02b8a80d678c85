"""Shared by the tests/test_api_*.py files: tokens and bearer headers."""

from __future__ import annotations

from datetime import timedelta

from portal.api import services
from portal.common import utcnow
from portal.extensions import db


def make_token(user, scope: str = "write", days: int = 30, name: str = "Koppeling") -> str:
    """A fresh token of user's (committed); returns its plain text."""
    _token, plain = services.create_api_token(
        name, scope, utcnow().date() + timedelta(days=days), actor=user
    )
    db.session.commit()
    return plain


def bearer(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}
