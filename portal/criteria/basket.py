"""The criteria basket: criteria a member collects in the session to download together."""

from __future__ import annotations

from flask import session

BASKET_SIZE = 100


def basket_ids() -> list[int]:
    return [i for i in session.get("basket", []) if isinstance(i, int)]
