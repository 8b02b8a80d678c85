"""What a membership row of an organisation or a working group shares."""

from __future__ import annotations

from typing import Any


class MembershipRow:
    """What the workflow reads of a membership row besides its columns (user, role, status,
    decided_at): whether it is approved, and the organisation or group it belongs to."""

    status: str

    @property
    def is_approved(self) -> bool:
        return self.status == "approved"

    @property
    def container(self) -> Any:
        raise NotImplementedError
