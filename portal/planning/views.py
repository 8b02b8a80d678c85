"""Pages of the tender calendar: the calendar, one planned tender with its overlaps ("Ook van
plan") and interests, an organisation's calendar with its form and import.

A planned tender the viewer may not see answers 404, as if it did not exist."""

from __future__ import annotations

import re
from typing import NoReturn

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal import permissions
from portal.common import ServiceError, whole_number
from portal.content.forms import active_terms
from portal.extensions import db
from portal.forms import ConfirmForm, button_action, choices, handle_form, handle_upload
from portal.groups.models import GroupMembership, WorkingGroup
from portal.organisations.models import Organisation
from portal.pagination import paginate
from portal.planning import bp, queries, services
from portal.planning.forms import ImportForm, PlanForm
from portal.planning.models import FIRST_YEAR, LAST_YEAR, PlannedTender, PlannedTenderInterest
from portal.regions.models import Region
from portal.sections import add_section
from portal.spreadsheets import template_response
from portal.taxonomy.models import ProductGroup, Theme


def _refuse(message: str) -> NoReturn:
    """Answer 400 with a Dutch message saying what was wrong with the address."""
    raise ServiceError(message, status=400)


def _planned(planned_id: int) -> PlannedTender:
    planned = db.session.get(PlannedTender, planned_id)
    if planned is None or not permissions.can_view_planned_tender(current_user, planned):
        abort(404)
    return planned


def _organisation(slug: str) -> Organisation:
    return db.first_or_404(select(Organisation).where(Organisation.slug == slug))


def _editable_organisations() -> list[Organisation]:
    ids = permissions.organisation_ids_with_role(current_user, permissions.EDITING_ROLES)
    if not ids or not permissions.is_verified_member(current_user):
        return []
    return list(
        db.session.scalars(
            select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)
        )
    )


def _term_id(model: type, arg: str, label: str) -> int | None:
    value = request.args.get(arg, "").strip()
    if not value:
        return None
    found = db.session.scalar(select(model.id).where(model.slug == value))
    if found is None:
        _refuse(_("Onbekende %(label)s ‘%(value)s’.", label=label, value=value[:80]))
    return found


def _period_arg() -> int | None:
    """?kwartaal=2027-3 (also 2027-K3) as year * 4 + quarter - 1; 400 for a quarter that does
    not exist."""
    raw = request.args.get("kwartaal", "").strip()
    if not raw:
        return None
    match = re.fullmatch(r"([0-9]{4})-[KkQq]?([0-9]{1,2})", raw)
    year = whole_number(match.group(1), FIRST_YEAR, LAST_YEAR) if match else None
    quarter = whole_number(match.group(2), 1, 4) if match else None
    if year is None or quarter is None:
        _refuse(_("Kwartaal ‘%(value)s’ bestaat niet: schrijf bijvoorbeeld 2027-3 voor het derde kwartaal van 2027.", value=raw[:20]))  # fmt: skip
    return year * 4 + quarter - 1


def _window() -> int:
    raw = request.args.get("venster", "").strip()
    if not raw:
        return queries.DEFAULT_WINDOW
    window = whole_number(raw, 0, queries.MAX_WINDOW)
    if window is None:
        _refuse(_("Kies een venster van 0 tot en met %(max)d kwartalen.", max=queries.MAX_WINDOW))
    return window


def _filters() -> dict:
    return {
        "product_group_id": _term_id(ProductGroup, "productgroep", _("productgroep")),
        "region_id": _term_id(Region, "regio", _("regio")),
        "period": _period_arg(),
    }


def _filter_choices() -> dict:
    return {
        "product_groups": active_terms(ProductGroup),
        "regions": list(db.session.execute(select(Region.slug, Region.name).order_by(Region.name))),
    }


@bp.route("/inkoopkalender")
def index():
    filters = _filters()
    page = paginate(queries.calendar(current_user, **filters), per_page=30)
    return render_template(
        "planning/index.html",
        page=page,
        organisation=None,
        editable=_editable_organisations(),
        chosen=request.args,
        **_filter_choices(),
    )


@bp.route("/organisaties/<slug>/inkoopkalender")
def organisation_calendar(slug: str):
    organisation = _organisation(slug)
    filters = _filters()
    page = paginate(
        queries.calendar(current_user, organisation_id=organisation.id, **filters), per_page=30
    )
    return render_template(
        "planning/index.html",
        page=page,
        organisation=organisation,
        editable=[organisation]
        if permissions.can_edit_calendar(current_user, organisation)
        else [],
        chosen=request.args,
        **_filter_choices(),
    )


@bp.route("/inkoopkalender/<int:planned_id>")
def show(planned_id: int):
    planned = _planned(planned_id)
    window = _window()
    overlaps = queries.overlaps(planned, current_user, window)
    interests = [
        interest
        for interest in queries.interests_of(planned)
        if permissions.can_see_interest(current_user, interest)
        and permissions.can_view_planned_tender(current_user, interest.source)
        and permissions.can_view_planned_tender(current_user, interest.target)
    ]
    # The other plans with an interest between them and this one (either way): no second button.
    linked = {
        i.target_id if i.source_id == planned.id else i.source_id
        for i in queries.interests_of(planned)
    }
    return render_template(
        "planning/show.html",
        planned=planned,
        overlaps=overlaps,
        window=window,
        interests=interests,
        linked=linked,
        can_edit=permissions.can_edit_planned_tender(current_user, planned),
        can_convert=permissions.can_convert_planned_tender(current_user, planned),
        confirm_form=ConfirmForm(),
    )


def _offer(form: PlanForm, organisation: Organisation) -> None:
    form.product_group.choices = choices([("", _("— kies —")), *active_terms(ProductGroup)])
    regions = db.session.execute(select(Region.slug, Region.name).order_by(Region.name)).all()
    form.region.choices = choices([("", _("— de regio's van %(org)s —", org=organisation.name)), *regions])  # fmt: skip
    form.themes.choices = choices(active_terms(Theme))
    groups = db.session.execute(
        select(WorkingGroup.slug, WorkingGroup.name)
        .join(GroupMembership, GroupMembership.group_id == WorkingGroup.id)
        .where(GroupMembership.user_id == current_user.id, GroupMembership.status == "approved")
        .order_by(WorkingGroup.name)
    ).all()
    form.group.choices = choices([("", _("— geen —")), *groups])


def _data_from(form: PlanForm) -> services.PlanData:
    return services.PlanData(
        title=form.title.data or "",
        description=form.description.data or "",
        product_group=form.product_group.data,
        cpv_code=form.cpv_code.data or "",
        year=(form.year.data or "").strip(),
        quarter=form.quarter.data,
        contract_start=(form.contract_start.data or "").strip(),
        value_min=(form.value_min.data or "").strip().replace(".", ""),
        value_max=(form.value_max.data or "").strip().replace(".", ""),
        region=form.region.data,
        themes=form.themes.data or [],
        contact_role=form.contact_role.data or "",
        visibility=form.visibility.data or "members",
        group=form.group.data or None,
        reference=form.reference.data or "",
    )


def _writable(slug: str) -> Organisation:
    organisation = _organisation(slug)
    if not permissions.can_edit_calendar(current_user, organisation):
        abort(403)
    return organisation


@bp.route("/organisaties/<slug>/inkoopkalender/nieuw", methods=["GET", "POST"])
@login_required
def create(slug: str):
    organisation = _writable(slug)
    form = PlanForm()
    if request.method == "GET":
        form.visibility.data = "members"
    _offer(form, organisation)
    outcome = handle_form(
        form,
        lambda: services.create_planned_tender(organisation, _data_from(form), actor=current_user),
    )
    if outcome.done:
        flash(_("De geplande aanbesteding staat in de inkoopkalender."), "success")
        return redirect(url_for("planning.show", planned_id=outcome.value.id))
    return render_template(
        "planning/edit.html", form=form, organisation=organisation, planned=None
    ), outcome.status


@bp.route("/inkoopkalender/<int:planned_id>/bewerken", methods=["GET", "POST"])
@login_required
def edit(planned_id: int):
    planned = _planned(planned_id)
    if not permissions.can_edit_planned_tender(current_user, planned):
        abort(403)
    form = PlanForm()
    if request.method == "GET":
        form.title.data, form.description.data = planned.title, planned.description
        form.product_group.data = planned.product_group.slug
        form.cpv_code.data = planned.cpv_code
        form.year.data, form.quarter.data = str(planned.year), str(planned.quarter)
        form.contract_start.data = planned.contract_start.isoformat() if planned.contract_start else ""  # fmt: skip
        form.value_min.data = "" if planned.value_min is None else str(planned.value_min)
        form.value_max.data = "" if planned.value_max is None else str(planned.value_max)
        form.region.data = planned.region.slug if planned.region else ""
        form.themes.data = [theme.slug for theme in planned.themes]
        form.contact_role.data = planned.contact_role
        form.visibility.data = planned.visibility
        form.group.data = planned.group.slug if planned.group else ""
        form.reference.data = planned.reference
    _offer(form, planned.organisation)
    if planned.group and planned.group.slug not in [c.value for c in form.group.choices]:
        form.group.choices.append(choices([(planned.group.slug, planned.group.name)])[0])
    outcome = handle_form(
        form, lambda: services.update_planned_tender(planned, _data_from(form), actor=current_user)
    )
    if outcome.done:
        flash(_("De geplande aanbesteding is opgeslagen."), "success")
        return redirect(url_for("planning.show", planned_id=planned.id))
    return render_template(
        "planning/edit.html",
        form=form,
        organisation=planned.organisation,
        planned=planned,
        confirm_form=ConfirmForm(),
    ), outcome.status


@bp.route("/inkoopkalender/<int:planned_id>/verwijderen", methods=["POST"])
@login_required
def delete(planned_id: int):
    planned = _planned(planned_id)
    slug = planned.organisation.slug
    return button_action(
        permissions.can_edit_planned_tender(current_user, planned),
        lambda: services.delete_planned_tender(planned, actor=current_user),
        _("De geplande aanbesteding is verwijderd."),
        url_for("planning.organisation_calendar", slug=slug),
    )


@bp.route("/inkoopkalender/<int:planned_id>/belangstelling/<int:other_id>", methods=["POST"])
@login_required
def express_interest(planned_id: int, other_id: int):
    own, other = _planned(planned_id), _planned(other_id)
    return button_action(
        permissions.can_express_interest(current_user, own, other),
        lambda: services.express_interest(own, other, actor=current_user),
        _(
            "%(org)s heeft uw belangstelling gekregen. U hoort het als zij antwoorden.",
            org=other.organisation.name,
        ),
        url_for("planning.show", planned_id=own.id) + "#belangstelling",
    )


def _interest(interest_id: int) -> PlannedTenderInterest:
    interest = db.session.get(PlannedTenderInterest, interest_id)
    if interest is None or not permissions.can_see_interest(current_user, interest):
        abort(404)
    return interest


@bp.route("/inkoopkalender/belangstelling/<int:interest_id>/<any(accepteren, afwijzen):answer>", methods=["POST"])  # fmt: skip
@login_required
def answer_interest(interest_id: int, answer: str):
    interest = _interest(interest_id)
    accept = answer == "accepteren"
    return button_action(
        permissions.can_answer_interest(current_user, interest),
        lambda: services.answer_interest(interest, accept, actor=current_user),
        _("Geaccepteerd: u ziet nu elkaars contactgegevens.") if accept else _("Afgewezen."),
        url_for("planning.show", planned_id=interest.target_id) + "#belangstelling",
    )


@bp.route("/inkoopkalender/<int:planned_id>/aanbesteding", methods=["POST"])
@login_required
def convert(planned_id: int):
    planned = _planned(planned_id)
    made = {}

    def convert_and_remember():
        tender = services.convert_planned_tender(planned, actor=current_user)
        made["slug"] = tender.slug
        return tender

    response = button_action(
        permissions.can_convert_planned_tender(current_user, planned),
        convert_and_remember,
        _("Er is een concept-voorbeeldaanbesteding gemaakt. Vul haar aan en publiceer haar."),
        url_for("planning.show", planned_id=planned.id),
    )
    if "slug" in made:
        return redirect(url_for("content.edit", spec="tender", slug=made["slug"]))
    return response


@bp.route("/organisaties/<slug>/inkoopkalender/importeren", methods=["GET", "POST"])
@login_required
def upload(slug: str):
    organisation = _writable(slug)
    form = ImportForm()
    outcome, problems = handle_upload(
        form,
        lambda name, content: services.import_planned_tenders(
            organisation, name, content, actor=current_user
        ),
    )
    if outcome.done:
        flash(
            _(
                "%(created)d geplande aanbestedingen toegevoegd, %(updated)d bijgewerkt.",
                created=outcome.value.created,
                updated=outcome.value.updated,
            ),
            "success",
        )
        return redirect(url_for("planning.organisation_calendar", slug=slug))
    status = outcome.status
    return render_template(
        "planning/upload.html", form=form, organisation=organisation, problems=problems
    ), status


@bp.route("/organisaties/<slug>/inkoopkalender/sjabloon.<any(csv, xlsx):extension>")
@login_required
def template(slug: str, extension: str):
    organisation = _writable(slug)
    return template_response(
        extension, services.template_csv, services.template_xlsx,
        f"inkoopkalender-{organisation.slug}",
    )  # fmt: skip


@add_section("organisations.show", "planning/_organisation_section.html", order=35)
def _organisation_calendar(organisation: Organisation, user) -> dict | None:
    """A door to the organisation's calendar when the viewer sees a planned tender in it, or may
    add one."""
    count = queries.count(queries.calendar(user, organisation_id=organisation.id))
    can_edit = permissions.can_edit_calendar(user, organisation)
    if not count and not can_edit:
        return None
    return {"organisation": organisation, "count": count, "can_edit": can_edit}
