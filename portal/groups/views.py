"""Working-group pages: list, group page, join or ask to join, members page for group admins."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from portal import permissions
from portal.accounts.forms import ConfirmForm
from portal.extensions import db
from portal.forms import choices, handle_form, run_action
from portal.groups import bp, services
from portal.groups.forms import GroupForm
from portal.groups.models import GroupMembership, WorkingGroup
from portal.lookups import by_slugs
from portal.memberships.views import MemberPages, add_member_pages
from portal.regions.models import Region
from portal.sections import add_section, sections_for


def _load(slug: str) -> WorkingGroup:
    return db.first_or_404(select(WorkingGroup).where(WorkingGroup.slug == slug))


@bp.route("/werkgroepen")
def index():
    groups = db.session.scalars(select(WorkingGroup).order_by(WorkingGroup.name)).all()
    return render_template("groups/index.html", groups=groups)


@bp.route("/werkgroepen/<slug>")
def show(slug: str):
    group = _load(slug)
    members = [m for m in group.memberships if m.is_approved]
    members.sort(key=lambda m: (m.role != "admin", m.user.name.lower()))
    return render_template(
        "groups/show.html",
        group=group,
        members=members if permissions.can_view_group_content(current_user, group) else [],
        membership=permissions.group_membership(current_user, group),
        confirm_form=ConfirmForm(),
        sections=sections_for("groups.show", group=group, user=current_user),
    )


def _region_choices(form: GroupForm) -> None:
    regions = db.session.scalars(select(Region).order_by(Region.kind.desc(), Region.name)).all()
    form.regions.choices = choices([(r.slug, r.name) for r in regions])


def _data_from(form: GroupForm) -> services.GroupData:
    regions = by_slugs(Region, form.regions.data)
    return services.GroupData(
        name=form.name.data or "", description=form.description.data or "",
        is_closed=bool(form.is_closed.data), regions=list(regions),
    )  # fmt: skip


@bp.route("/werkgroepen/nieuw", methods=["GET", "POST"])
@login_required
def create():
    if not permissions.can_create_group(current_user):
        abort(403)
    form = GroupForm()
    _region_choices(form)
    outcome = handle_form(form, lambda: services.create_group(_data_from(form), actor=current_user))
    if outcome.done:
        flash(_("De werkgroep is aangemaakt; u bent de eerste beheerder."), "success")
        return redirect(url_for("groups.show", slug=outcome.value.slug))
    return render_template("groups/edit.html", form=form, group=None), outcome.status


@bp.route("/werkgroepen/<slug>/bewerken", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    group = _load(slug)
    if not permissions.can_manage_group(current_user, group):
        abort(403)
    form = GroupForm(obj=None if request.method == "POST" else group)
    _region_choices(form)
    if request.method == "GET":
        form.regions.data = [r.slug for r in group.regions]
    outcome = handle_form(
        form, lambda: services.update_group(group, _data_from(form), actor=current_user)
    )
    if outcome.done:
        flash(_("De werkgroep is opgeslagen."), "success")
        return redirect(url_for("groups.show", slug=group.slug))
    return render_template("groups/edit.html", form=form, group=group), outcome.status


@bp.route("/werkgroepen/<slug>/aanmelden", methods=["POST"])
@login_required
def join(slug: str):
    group = _load(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not permissions.is_verified_member(current_user):
        flash(
            _("Bevestig eerst uw e-mailadres; daarna kunt u zich aanmelden bij een werkgroep."),
            "error",
        )
        return redirect(url_for("groups.show", slug=slug))
    if not permissions.can_join_group(current_user, group):
        flash(
            _("U bent al lid van deze werkgroep of uw verzoek wacht nog op goedkeuring."), "error"
        )
        return redirect(url_for("groups.show", slug=slug))
    outcome = run_action(lambda: services.join_group(group, actor=current_user))
    if not outcome.done:
        flash(outcome.value, "error")
    elif group.is_closed:
        flash(_("Uw verzoek is naar de beheerders van de werkgroep gestuurd."), "success")
    else:
        flash(_("U bent lid van de werkgroep %(group)s.", group=group.name), "success")
    return redirect(url_for("groups.show", slug=slug))


@bp.route("/werkgroepen/<slug>/verlaten", methods=["POST"])
@login_required
def leave(slug: str):
    group = _load(slug)
    membership = permissions.group_membership(current_user, group)
    if membership is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    outcome = run_action(lambda: services.leave_group(membership, actor=current_user))
    flash(
        _("U heeft de werkgroep verlaten.") if outcome.done else outcome.value,
        "success" if outcome.done else "error",
    )
    return redirect(url_for("groups.show", slug=slug))


@add_section("regions.show", "groups/_region_section.html", order=20)
def _region_groups(region: Region) -> dict:
    groups = db.session.scalars(
        select(WorkingGroup)
        .where(WorkingGroup.regions.any(Region.id == region.id))
        .order_by(WorkingGroup.name)
    ).all()
    return {"groups": groups}


add_member_pages(
    MemberPages(
        blueprint=bp,
        path="/werkgroepen/<slug>",
        load=_load,
        membership_model=GroupMembership,
        can_manage=permissions.can_manage_group,
        can_decide=permissions.can_decide_group_membership,
        decide=services.decide_group_membership,
        set_role=services.set_group_role,
        remove=services.remove_group_member,
        roles=(("member", _l("Lid")), ("admin", _l("Beheerder"))),
        approved=_l("Het lid is toegelaten."),
        index_endpoint="groups.index",
        index_label=_l("Werkgroepen"),
    )
)
