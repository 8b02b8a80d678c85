"""Test data built through the real services, like the seeds."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

from sqlalchemy import select

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.extensions import db
from portal.groups import services as groups
from portal.groups.models import WorkingGroup
from portal.organisations import services as organisations
from portal.organisations.models import Organisation
from portal.permissions import SYSTEM
from portal.regions import services as regions
from portal.taxonomy.models import OrganisationType, SizeClass

PASSWORD = "Zomer-aanbesteding-42"
_seq = count(1)


def make_user(email: str | None = None, *, name: str | None = None, verified: bool = True,
              site_admin: bool = False, moderator: bool = False) -> User:  # fmt: skip
    n = next(_seq)
    email = email or f"gebruiker{n}@voorbeeld.nl"
    if verified:
        user = accounts.create_verified_user(
            email, PASSWORD, name or f"Gebruiker {n}", actor=SYSTEM
        )
    else:
        user = accounts.register_user(email, PASSWORD, name or f"Gebruiker {n}", actor=None)
    if site_admin or moderator:
        accounts.set_site_roles(
            user, is_moderator=moderator, is_site_admin=site_admin, actor=SYSTEM
        )
    db.session.flush()
    return user


def make_region(name: str = "Regio Test", kind: str = "netwerk"):
    return regions.create_region(name, kind, actor=SYSTEM)


def make_organisation(name: str, *, type_slug: str = "gemeente", size: str | None = "tot-20000",
                      domains: list[str] | None = None, regions_: list | None = None) -> Organisation:  # fmt: skip
    org_type = db.session.scalar(select(OrganisationType).where(OrganisationType.slug == type_slug))
    size_class = (
        db.session.scalar(select(SizeClass).where(SizeClass.slug == size))
        if size and org_type.has_size_class
        else None
    )
    data = organisations.OrganisationData(
        name=name,
        type=org_type,
        size_class=size_class,
        email_domains=domains or [],
        regions=regions_ or [],
    )
    return organisations.create_organisation(data, actor=SYSTEM)


def make_group(name: str, *, closed: bool = False, admin: User | None = None) -> WorkingGroup:
    group = groups.create_group(groups.GroupData(name=name, is_closed=closed), actor=SYSTEM)
    if admin is not None:
        groups.add_group_member(group, admin, "admin", actor=SYSTEM)
    return group


@dataclass
class World:
    heumen: Organisation
    utrecht: Organisation
    utrecht_admin: User
    utrecht_editor: User
    utrecht_member: User
    heumen_admin: User
    outsider: User
    moderator: User
    site_admin: User
    open_group: WorkingGroup
    closed_group: WorkingGroup


def build_world() -> World:
    region = make_region("Regio Arnhem-Nijmegen")
    heumen = make_organisation("Gemeente Heumen", domains=["heumen.nl"], regions_=[region])
    utrecht = make_organisation("Gemeente Utrecht", size="meer-dan-100000", domains=["utrecht.nl"])
    users = {
        "utrecht_admin": make_user("beheer@utrecht.nl", name="Lotte de Vries"),
        "utrecht_editor": make_user("redactie@utrecht.nl", name="Joris Hendriks"),
        "utrecht_member": make_user("lid@utrecht.nl", name="Sanne Bakker"),
        "heumen_admin": make_user("beheer@heumen.nl", name="Femke Willems"),
        "outsider": make_user("buiten@example.org", name="Bram Buiten"),
        "moderator": make_user("moderator@portaal.example", name="Ingrid Smit", moderator=True),
        "site_admin": make_user("admin@portaal.example", name="Ruben Verhoeven", site_admin=True),
    }
    organisations.add_member(utrecht, users["utrecht_admin"], "admin", actor=SYSTEM)
    organisations.add_member(utrecht, users["utrecht_editor"], "editor", actor=SYSTEM)
    organisations.add_member(utrecht, users["utrecht_member"], "member", actor=SYSTEM)
    organisations.add_member(heumen, users["heumen_admin"], "admin", actor=SYSTEM)
    open_group = make_group("Catering en eiwittransitie", admin=users["utrecht_admin"])
    closed_group = make_group("Kleine gemeenten samen", closed=True, admin=users["heumen_admin"])
    db.session.commit()
    return World(
        heumen=heumen, utrecht=utrecht, open_group=open_group, closed_group=closed_group, **users
    )


def make_item(kind: str, organisation: Organisation, author: User | None = None, **overrides):
    """A knowledge item of kind ('tender', 'criterion', ...) created through the content service."""
    from portal.content import services as content
    from portal.content.kinds import kinds

    n = next(_seq)
    fields = {
        "tender": {"cpv_codes": ["45233220"], "procedure": "openbare-procedure", "award_method": "bpkv", "value_min": 1000000, "tender_status": "afgerond"},
        "criterion": {"clause_text": "De inschrijver levert een MKI-berekening per variant.", "criterion_kind": "gunningscriterium", "ambition_level": "significant"},
        "consultation": {"format": "marktdag", "state": "gehouden"},
        "lesson": {"lesson": "Betrek de contractmanager al bij het specificeren.", "phase": "specificeren"},
        "plan": {"period_start": 2024, "period_end": 2030, "ambitions": [{"theme": "circulair", "ambition": "In 2030 koopt de gemeente 50 % circulair in."}]},
    }[kind]  # fmt: skip
    data = content.ItemData(
        title=overrides.pop("title", f"Voorbeeld {kind} {n}"),
        summary="Korte samenvatting.",
        body=overrides.pop("body", "Een **toelichting**."),
        themes=overrides.pop("themes", ["circulair"]),
        product_groups=overrides.pop("product_groups", ["asfalt-en-wegverharding"]),
        year=2022,
        status=overrides.pop("status", "published"),
        visibility=overrides.pop("visibility", "public"),
        group=overrides.pop("group", None),
        external_id=overrides.pop("external_id", None),
        fields={**fields, **overrides.pop("fields", {})},
    )
    actor = author if author is not None else SYSTEM
    item = content.create_item(organisation, kinds()[kind], data, actor=actor)
    db.session.commit()
    return item


def build_spelling() -> None:
    """Build the spelling vocabulary as the worker's round does (a search never builds it)."""
    from portal.search import spelling

    db.session.commit()
    assert spelling.refresh(force=True)
