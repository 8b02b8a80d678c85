"""The members page and its buttons (approve, turn down, change role, remove), one for
organisations and working groups alike: each side adds them to its blueprint with what differs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.extensions import db
from portal.forms import button_action
from portal.memberships.models import MembershipRow


@dataclass(frozen=True)
class MemberPages:
    """What differs between an organisation's and a working group's members page."""

    blueprint: Blueprint
    path: str  # the container's page, e.g. "/organisaties/<slug>"
    load: Callable[[str], Any]  # slug -> the organisation or group, 404 when unknown
    membership_model: type[MembershipRow]
    can_manage: Callable[[Any, Any], bool]  # (user, container): may open the members page
    can_decide: Callable[[Any, Any], bool]  # (user, membership): may use its buttons
    decide: Callable[..., None]  # (membership, approve=..., actor=...)
    set_role: Callable[..., None]  # (membership, role, actor=...)
    remove: Callable[..., None]  # (membership, actor=...)
    roles: tuple[tuple[str, Any], ...]  # (value, label) in the order the role menu shows them
    approved: Any  # the message after approval
    index_endpoint: str  # the list the breadcrumbs lead back to
    index_label: Any
    show_email: bool = False  # organisations' admins see addresses; group admins do not


def add_member_pages(pages: MemberPages) -> None:
    """Add the members page and its four buttons to the side's blueprint (endpoints `members`,
    `approve_member`, `reject_member`, `set_role`, `remove_member`)."""
    bp = pages.blueprint

    def load_membership(container: Any, membership_id: int) -> MembershipRow:
        membership = db.session.get(pages.membership_model, membership_id)
        if membership is None or membership.container is not container:
            abort(404)
        return membership

    @login_required
    def members(slug: str):
        container = pages.load(slug)
        if not pages.can_manage(current_user, container):
            abort(403)
        memberships = sorted(
            container.memberships, key=lambda m: (m.is_approved, m.user.name.lower())
        )
        return render_template(
            "memberships/members.html", container=container, memberships=memberships, pages=pages
        )

    # Each button: what it does to the membership (with the request's form) and what it then says.
    buttons: dict[str, tuple[Callable[[Any], None], Callable[[], str]]] = {
        "approve_member": (lambda m: pages.decide(m, approve=True, actor=current_user),
                           lambda: str(pages.approved)),
        "reject_member": (lambda m: pages.decide(m, approve=False, actor=current_user),
                          lambda: _("Het verzoek is afgewezen.")),
        "set_role": (lambda m: pages.set_role(m, request.form.get("role", ""), actor=current_user),
                     lambda: _("De rol is gewijzigd.")),
        "remove_member": (lambda m: pages.remove(m, actor=current_user),
                          lambda: _("Het lid is verwijderd.")),
    }  # fmt: skip

    def button(endpoint: str) -> Callable[..., Any]:
        action, message = buttons[endpoint]

        @login_required
        def press(slug: str, membership_id: int):
            membership = load_membership(pages.load(slug), membership_id)
            allowed = pages.can_decide(current_user, membership)
            target = url_for(f"{bp.name}.members", slug=slug)
            return button_action(allowed, lambda: action(membership), message(), target)

        return press

    one = f"{pages.path}/leden/<int:membership_id>"
    bp.add_url_rule(f"{pages.path}/leden", view_func=members)
    for endpoint, path in [("approve_member", "goedkeuren"), ("reject_member", "afwijzen"),
                           ("set_role", "rol"), ("remove_member", "verwijderen")]:  # fmt: skip
        bp.add_url_rule(f"{one}/{path}", endpoint, button(endpoint), methods=["POST"])
