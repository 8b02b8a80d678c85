"""Organisation writes: create and edit profiles, request, approve and manage memberships."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.common import (
    ServiceError,
    clean_text,
    clean_url,
    normalize_email,
    slugify,
    utcnow,
)
from portal.extensions import db
from portal.memberships import services as memberships
from portal.organisations.models import MEMBER_ROLES, Membership, Organisation, OrganisationDomain
from portal.permissions import (
    Actor,
    authorized_by,
    can_create_organisation,
    can_decide_membership,
    can_edit_organisation,
    can_leave_organisation,
    can_manage_members,
    can_request_membership,
)
from portal.regions.models import Region
from portal.taxonomy.models import OrganisationType, SizeClass

DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass
class OrganisationData:
    """The editable fields of an organisation, as a form or a seed file gives them."""

    name: str
    type: OrganisationType
    size_class: SizeClass | None = None
    regions: list[Region] = field(default_factory=list)
    website: str = ""
    description: str = ""
    email_domains: list[str] = field(default_factory=list)
    coordinator_name: str = ""
    coordinator_email: str = ""
    coordinator_phone: str = ""
    manifest_year: int | None = None


def _clean_domains(domains: list[str], organisation: Organisation | None) -> list[str]:
    cleaned: list[str] = []
    for raw in domains:
        domain = raw.strip().lower().lstrip("@")
        if not domain:
            continue
        if not DOMAIN_RE.match(domain):
            raise ServiceError(
                _(
                    "'%(domain)s' is geen geldig e-maildomein (bijvoorbeeld utrecht.nl).",
                    domain=domain[:60],
                ),
                field="email_domains",
            )
        owner = db.session.scalar(
            select(OrganisationDomain).where(OrganisationDomain.domain == domain)
        )
        if owner is not None and (organisation is None or owner.organisation_id != organisation.id):
            raise ServiceError(
                _(
                    "Het domein %(domain)s hoort al bij %(org)s.",
                    domain=domain,
                    org=owner.organisation.name,
                ),
                field="email_domains",
                status=409,
            )
        if domain not in cleaned:
            cleaned.append(domain)
    if len(cleaned) > 10:
        raise ServiceError(_("Geef hoogstens tien e-maildomeinen op."), field="email_domains")
    return cleaned


def _apply(organisation: Organisation, data: OrganisationData) -> None:
    """Validate data and write it onto organisation; raise ServiceError on the first problem."""
    name = clean_text(
        data.name, limit=150, field="name", label=_("de naam"), required=True, single_line=True
    )
    clash = db.session.scalar(
        select(Organisation).where(func.lower(Organisation.name) == name.lower())
    )
    if clash is not None and clash is not organisation:
        raise ServiceError(
            _("Er bestaat al een organisatie met deze naam."), field="name", status=409
        )
    if data.size_class is not None and not data.type.has_size_class:
        raise ServiceError(_("Een grootteklasse geldt alleen voor gemeenten."), field="size_class")
    year = data.manifest_year
    if year is not None and not (2000 <= year <= utcnow().year):
        raise ServiceError(
            _("Vul een jaartal in tussen 2000 en %(year)d.", year=utcnow().year),
            field="manifest_year",
        )
    coordinator_email = clean_text(
        data.coordinator_email, limit=254, field="coordinator_email", label=_("het e-mailadres")
    )
    if coordinator_email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", coordinator_email):
        raise ServiceError(_("Vul een geldig e-mailadres in."), field="coordinator_email")
    domains = _clean_domains(data.email_domains, organisation if organisation.id else None)

    organisation.name = name
    organisation.type = data.type
    organisation.size_class = data.size_class
    organisation.regions = list(data.regions)
    organisation.website = clean_url(data.website)
    organisation.description = clean_text(
        data.description, limit=2000, field="description", label=_("de beschrijving")
    )
    organisation.coordinator_name = clean_text(
        data.coordinator_name, limit=120, field="coordinator_name", label=_("de naam")
    )
    organisation.coordinator_email = normalize_email(coordinator_email)
    organisation.coordinator_phone = clean_text(
        data.coordinator_phone, limit=40, field="coordinator_phone", label=_("het telefoonnummer")
    )
    organisation.manifest_year = year
    current = {d.domain: d for d in organisation.domains}
    organisation.domains = [current.get(d) or OrganisationDomain(domain=d) for d in domains]


def _unique_slug(base: str) -> str:
    slug, n = base, 2
    while db.session.scalar(select(Organisation.id).where(Organisation.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


@authorized_by(can_create_organisation)
def create_organisation(
    data: OrganisationData, *, actor: Actor, slug: str | None = None
) -> Organisation:
    organisation = Organisation(slug=slug or _unique_slug(slugify(data.name)))
    _apply(organisation, data)
    db.session.add(organisation)
    db.session.flush()
    return organisation


@authorized_by(can_edit_organisation)
def update_organisation(
    organisation: Organisation, data: OrganisationData, *, actor: Actor
) -> None:
    """Write data onto the organisation; its slug stays the same when the name changes."""
    _apply(organisation, data)
    db.session.flush()


LAST_ADMIN = _l("Een organisatie houdt minstens één beheerder. Maak eerst iemand anders beheerder.")


@authorized_by(can_request_membership)
def request_membership(organisation: Organisation, *, actor: Actor) -> Membership:
    """Ask to join organisation; its admins approve (or the first member is approved by a site admin)."""
    ask = memberships.Mail(
        _l("Nieuw lidmaatschapsverzoek voor %(org)s", org=organisation.name),
        _l(
            "%(name)s (%(email)s) wil lid worden van %(org)s op het MVI-kennisportaal.\n\n"
            "Beoordeel het verzoek op de ledenpagina van uw organisatie.",
            name=actor.name,
            email=actor.email,
            org=organisation.name,
        ),
    )  # made first: reading the names must not flush a half-made membership
    return memberships.open_membership(
        Membership(user=actor, organisation=organisation, role="member", status="pending"),
        tell_admins=ask,
    )


@authorized_by(can_decide_membership)
def decide_membership(membership: Membership, *, approve: bool, actor: Actor) -> None:
    """Approve a pending membership, or turn it down (the request is removed)."""
    org = membership.organisation.name
    memberships.decide(
        membership, approve=approve, actor=actor,
        approved=memberships.Mail(
            _l("U bent lid van %(org)s", org=org),
            _l("Uw lidmaatschap van %(org)s op het MVI-kennisportaal is goedgekeurd.", org=org),
        ),
        refused=memberships.Mail(
            _l("Uw verzoek voor %(org)s", org=org),
            _l("Uw verzoek om lid te worden van %(org)s is niet goedgekeurd.", org=org),
        ),
    )  # fmt: skip


@authorized_by(can_decide_membership)
def set_member_role(membership: Membership, role: str, *, actor: Actor) -> None:
    memberships.set_role(membership, role, MEMBER_ROLES, str(LAST_ADMIN))


@authorized_by(can_decide_membership)
def remove_member(membership: Membership, *, actor: Actor) -> None:
    memberships.end(membership, str(LAST_ADMIN))


@authorized_by(can_leave_organisation)
def leave_organisation(membership: Membership, *, actor: Actor) -> None:
    memberships.end(membership, str(LAST_ADMIN))


@authorized_by(can_manage_members)
def add_member(
    organisation: Organisation, user: User, role: str = "member", *, actor: Actor
) -> Membership:
    """Add an approved member directly (an admin who knows the person, or the demo data)."""
    memberships.refuse_unknown_role_or_member(role, MEMBER_ROLES, user, organisation.memberships)
    membership = Membership(
        user=user, organisation=organisation, role=role, status="approved", decided_at=utcnow(),
        decided_by=actor if isinstance(actor, User) else None,
    )  # fmt: skip
    db.session.add(membership)
    db.session.flush()
    return membership
