"""Organisation pages: list, profile, edit, join, and the members page for admins."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select

from portal import permissions
from portal.accounts.forms import ConfirmForm
from portal.accounts.models import User
from portal.common import ServiceError
from portal.extensions import db
from portal.forms import choices, handle_form, run_action
from portal.lookups import by_slug, by_slugs
from portal.memberships.views import MemberPages, add_member_pages
from portal.organisations import bp, services
from portal.organisations.forms import OrganisationForm
from portal.organisations.models import Membership, Organisation, organisations_for_email
from portal.pagination import paginate
from portal.regions.models import Region
from portal.sections import add_section, sections_for
from portal.taxonomy.models import OrganisationType, SizeClass


def _load(slug: str) -> Organisation:
    return db.first_or_404(select(Organisation).where(Organisation.slug == slug))


@bp.route("/organisaties")
def index():
    query = select(Organisation).order_by(Organisation.name)
    filters = {k: request.args.get(k, "") for k in ("soort", "regio", "grootte", "q")}
    if filters["soort"]:
        query = query.join(Organisation.type).where(OrganisationType.slug == filters["soort"])
    if filters["regio"]:
        query = query.where(Organisation.regions.any(Region.slug == filters["regio"]))
    if filters["grootte"]:
        query = query.where(Organisation.size_class.has(SizeClass.slug == filters["grootte"]))
    if filters["q"]:
        query = query.where(
            func.lower(Organisation.name).contains(filters["q"].strip().lower()[:100])
        )
    page = paginate(query, per_page=25)
    return render_template(
        "organisations/index.html",
        page=page,
        filters=filters,
        types=db.session.scalars(
            select(OrganisationType).order_by(OrganisationType.position)
        ).all(),
        regions=db.session.scalars(select(Region).order_by(Region.kind, Region.name)).all(),
        size_classes=db.session.scalars(select(SizeClass).order_by(SizeClass.position)).all(),
    )


@bp.route("/organisaties/<slug>")
def show(slug: str):
    organisation = _load(slug)
    members = [m for m in organisation.memberships if m.is_approved]
    members.sort(key=lambda m: m.user.name.lower())
    return render_template(
        "organisations/show.html",
        organisation=organisation,
        members=members,
        confirm_form=ConfirmForm(),
        sections=sections_for("organisations.show", organisation=organisation, user=current_user),
    )


def _form_choices(form: OrganisationForm) -> None:
    types = db.session.scalars(select(OrganisationType).order_by(OrganisationType.position)).all()
    sizes = db.session.scalars(select(SizeClass).order_by(SizeClass.position)).all()
    regions = db.session.scalars(select(Region).order_by(Region.kind.desc(), Region.name)).all()
    form.type.choices = choices([(t.slug, t.label) for t in types])
    form.size_class.choices = choices(
        [("", _("— niet van toepassing —"))] + [(s.slug, s.label) for s in sizes]
    )
    form.regions.choices = choices([(r.slug, r.name) for r in regions])


def _data_from(form: OrganisationForm) -> services.OrganisationData:
    org_type = by_slug(OrganisationType, form.type.data)
    if org_type is None:
        raise ServiceError(_("Kies een soort organisatie."), field="type")
    size = by_slug(SizeClass, form.size_class.data)
    regions = by_slugs(Region, form.regions.data)
    return services.OrganisationData(
        name=form.name.data or "",
        type=org_type,
        size_class=size,
        regions=list(regions),
        website=form.website.data or "",
        description=form.description.data or "",
        email_domains=[d for d in (form.email_domains.data or "").split(",")],
        coordinator_name=form.coordinator_name.data or "",
        coordinator_email=form.coordinator_email.data or "",
        coordinator_phone=form.coordinator_phone.data or "",
        manifest_year=form.manifest_year.data,
    )


@bp.route("/organisaties/nieuw", methods=["GET", "POST"])
@login_required
def create():
    if not permissions.can_create_organisation(current_user):
        abort(403)
    form = OrganisationForm()
    _form_choices(form)
    outcome = handle_form(
        form, lambda: services.create_organisation(_data_from(form), actor=current_user)
    )
    if outcome.done:
        flash(_("De organisatie is aangemaakt."), "success")
        return redirect(url_for("organisations.show", slug=outcome.value.slug))
    return render_template("organisations/edit.html", form=form, organisation=None), outcome.status


@bp.route("/organisaties/<slug>/bewerken", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    organisation = _load(slug)
    if not permissions.can_edit_organisation(current_user, organisation):
        abort(403)
    form = OrganisationForm(obj=None if request.method == "POST" else organisation)
    _form_choices(form)
    if request.method == "GET":
        form.type.data = organisation.type.slug
        form.size_class.data = organisation.size_class.slug if organisation.size_class else ""
        form.regions.data = [r.slug for r in organisation.regions]
        form.email_domains.data = ", ".join(d.domain for d in organisation.domains)
    outcome = handle_form(
        form,
        lambda: services.update_organisation(organisation, _data_from(form), actor=current_user),
    )
    if outcome.done:
        flash(_("De gegevens van %(org)s zijn opgeslagen.", org=organisation.name), "success")
        return redirect(url_for("organisations.show", slug=organisation.slug))
    return render_template(
        "organisations/edit.html", form=form, organisation=organisation
    ), outcome.status


@bp.route("/organisaties/<slug>/lid-worden", methods=["POST"])
@login_required
def request_membership(slug: str):
    organisation = _load(slug)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if not permissions.is_verified_member(current_user):
        flash(
            _("Bevestig eerst uw e-mailadres; daarna kunt u lid worden van een organisatie."),
            "error",
        )
        return redirect(url_for("accounts.account"))
    if not permissions.can_request_membership(current_user, organisation):
        flash(
            _("U bent al lid van deze organisatie of uw verzoek wacht nog op goedkeuring."), "error"
        )
        return redirect(url_for("organisations.show", slug=slug))
    outcome = run_action(lambda: services.request_membership(organisation, actor=current_user))
    if outcome.done:
        flash(
            _("Uw verzoek is verstuurd naar de beheerders van %(org)s.", org=organisation.name),
            "success",
        )
    else:
        flash(outcome.value, "error")
    return redirect(url_for("organisations.show", slug=slug))


@bp.route("/organisaties/<slug>/verlaten", methods=["POST"])
@login_required
def leave(slug: str):
    organisation = _load(slug)
    membership = next(
        (m for m in current_user.memberships if m.organisation_id == organisation.id), None
    )
    if membership is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    outcome = run_action(lambda: services.leave_organisation(membership, actor=current_user))
    flash(
        _("U bent geen lid meer van %(org)s.", org=organisation.name)
        if outcome.done
        else outcome.value,
        "success" if outcome.done else "error",
    )
    return redirect(url_for("accounts.account"))


@add_section("regions.show", "organisations/_region_section.html", order=10)
def _region_organisations(region: Region) -> dict:
    return {"organisations": region.organisations}


@add_section("accounts.account", "organisations/_account_section.html", order=10)
def _account_organisations(user: User) -> dict:
    """The member's organisations, and those their e-mail domain suggests they may join."""
    joined = {m.organisation_id for m in user.memberships}
    suggestions = [org for org in organisations_for_email(user.email) if org.id not in joined]
    return {"suggestions": suggestions}


add_member_pages(
    MemberPages(
        blueprint=bp,
        path="/organisaties/<slug>",
        load=_load,
        membership_model=Membership,
        can_manage=permissions.can_manage_members,
        can_decide=permissions.can_decide_membership,
        decide=services.decide_membership,
        set_role=services.set_member_role,
        remove=services.remove_member,
        roles=(("member", _l("Lid")), ("editor", _l("Redacteur")), ("admin", _l("Beheerder"))),
        approved=_l("Het lidmaatschap is goedgekeurd."),
        index_endpoint="organisations.index",
        index_label=_l("Organisaties"),
        show_email=True,
    )
)
