"""Load the demo data in seeds/ through the services, so it is validated like user input.

Every record is looked up by its slug (or e-mail) first, so a second run changes nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import event, select

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.common import slugify, utcnow
from portal.config import PROJECT_ROOT
from portal.content import services as content
from portal.content.importer import import_items
from portal.content.models import Item
from portal.events import services as events
from portal.events.models import Event, EventRegistration
from portal.extensions import db
from portal.groups import services as groups
from portal.groups.models import WorkingGroup
from portal.lookups import by_slug
from portal.monitor import services as monitor
from portal.monitor.demo import PUBLIC_DEMO_MONITORS, demo_records
from portal.notifications import services as notify
from portal.organisations import services as organisations
from portal.organisations.models import Organisation
from portal.permissions import SYSTEM
from portal.planning import services as planning
from portal.planning.demo import demo_plans
from portal.questions import services as qa
from portal.questions.models import Question
from portal.regions import services as regions
from portal.regions.models import Region
from portal.search import services as search
from portal.search.models import Concept
from portal.taxonomy import services as taxonomy
from portal.taxonomy.models import (
    VOCABULARIES,
    JobRole,
    OrganisationType,
    ProductGroup,
    SizeClass,
    Theme,
)
from portal.tenders.models import Tender

SEEDS = PROJECT_ROOT / "seeds"
DEMO_ACCOUNT_AGE_DAYS = 90
ORGANISATION_TYPE_SLUGS = {
    "Gemeente": "gemeente",
    "Provincie": "provincie",
    "Waterschap": "waterschap",
    "Rijksoverheid": "rijksoverheid",
    "Uitvoeringsorganisatie / gemeenschappelijke regeling": "uitvoeringsorganisatie",
    "Overig (onderwijs, zorg, inkoopsamenwerking)": "overig",
}
SIZE_CLASS_SLUGS = {
    "< 20.000": "tot-20000",
    "20.000 - 50.000": "20000-50000",
    "50.000 - 100.000": "50000-100000",
    "> 100.000": "meer-dan-100000",
}
THRESHOLDS = {"above_threshold": "boven", "below_threshold": "onder", "other": "overig"}


def _read(name: str) -> Any:
    return yaml.safe_load(Path(SEEDS / name).read_text(encoding="utf-8"))


def _english(item: dict[str, Any]) -> dict[str, str]:
    """The English name and description a seed record gives (an empty one is left out)."""
    found = {
        "name_en": item.get("name_en") or "",
        "description_en": item.get("description_en") or "",
    }
    return {key: value for key, value in found.items() if value}


def _entry(item: str | dict[str, Any]) -> dict[str, Any]:
    """A vocabulary seed written as a bare Dutch name, or as {name, name_en}: its term values."""
    if isinstance(item, str):
        return {"name": item}
    return {"name": item["name"], **_english(item)}


class Loader:
    """Upserts seed records and counts what it created and changed."""

    def __init__(self) -> None:
        self.created: Counter[str] = Counter()  # per table
        self.updated: Counter[str] = Counter()
        self._new: set[int] = set()  # rows made in this run are not also counted as updated
        self.knowledge_report = None
        self.attachments_added = 0
        self.events_report = None
        self.registrations_added = 0
        self.community_added = 0
        self.monitor_added = 0
        self.planned_added = 0

    def count_changes(self, session, flush_context, instances) -> None:
        """before_flush hook: count new and really changed rows per table."""
        for obj in session.new:
            self.created[obj.__tablename__] += 1
            self._new.add(id(obj))
        for obj in session.dirty:
            if id(obj) not in self._new and session.is_modified(obj):
                self.updated[obj.__tablename__] += 1
        for obj in session.deleted:
            self.updated[obj.__tablename__] += 1

    def term(self, key: str, slug: str, values: dict[str, Any]) -> Any:
        vocabulary = VOCABULARIES[key]
        model = vocabulary.model
        existing = db.session.scalar(select(model).where(model.slug == slug))
        if existing is None:
            return taxonomy.create_term(vocabulary, values, actor=SYSTEM, slug=slug)
        values = {"is_active": existing.is_active, **values}
        # English wording an administrator gave stays; the seeds only fill in what is empty.
        for field in ("name_en", "description_en"):
            if getattr(existing, field):
                values[field] = getattr(existing, field)
        taxonomy.update_term(vocabulary, existing, values, actor=SYSTEM)
        return existing

    def taxonomies(self) -> None:
        themes = _read("taxonomy/themes.yaml")
        core = [(item, True) for item in themes["themes"]]
        related = [(item, False) for item in themes.get("related_goals", [])]
        for i, (item, is_core) in enumerate(core + related):
            values = {"name": item["name"], "description": item.get("description", ""),
                      **_english(item)}  # fmt: skip
            self.term("themas", item["slug"], {**values, "position": i, "is_core": is_core})

        clusters = _read("taxonomy/product_groups.yaml")["clusters"]
        position = 0
        for i, item in enumerate(clusters):
            cluster = self.term(
                "productclusters",
                slugify(item["name"]),
                {"name": item["name"], "position": i, **_english(item)},
            )
            for group in item["groups"]:
                self.term(
                    "productgroepen",
                    slugify(group["name"]),
                    {
                        "name": group["name"],
                        **_english(group),
                        "cluster": cluster,
                        "cpv_codes": " ".join(group.get("cpv", [])),
                        "confirmed": bool(group.get("confirmed")),
                        "position": position,
                    },
                )
                position += 1

        procurement = _read("taxonomy/procurement.yaml")
        position = 0
        for group_key, names in procurement["procedures"].items():
            for entry in map(_entry, names):
                self.term(
                    "procedures",
                    slugify(entry["name"]),
                    {**entry, "threshold": THRESHOLDS[group_key], "position": position},
                )
                position += 1
        for key, vocab in (("award_methods", "gunningsmethoden"), ("instruments", "instrumenten")):
            for i, item in enumerate(procurement[key]):
                self.term(
                    vocab,
                    item["slug"],
                    {
                        "name": item["name"],
                        "description": item.get("note", ""),
                        "position": i,
                        **_english(item),
                    },
                )
        for key, vocab in (
            ("ambition_levels", "ambitieniveaus"), ("criterion_kinds", "criteriumsoorten"),
            ("phases", "fasen"), ("roles", "functies"),
        ):  # fmt: skip
            for i, entry in enumerate(map(_entry, procurement[key])):
                self.term(vocab, slugify(entry["name"]), {**entry, "position": i})
        for i, entry in enumerate(map(_entry, procurement["organisation_types"])):
            slug = ORGANISATION_TYPE_SLUGS[entry["name"]]
            self.term(
                "organisatietypen",
                slug,
                {**entry, "position": i, "has_size_class": slug == "gemeente"},
            )
        for i, entry in enumerate(map(_entry, procurement["municipality_size_classes"])):
            self.term(
                "grootteklassen",
                SIZE_CLASS_SLUGS[entry["name"]],
                {**entry, "name": f"{entry['name']} inwoners", "position": i},
            )

    def concepts(self) -> None:
        """The search concepts; one an administrator already has (by name) is left alone."""
        for entry in _read("search/concepts.yaml"):
            if db.session.scalar(select(Concept.id).where(Concept.name == entry["name"])):
                continue
            values = {"name": entry["name"], "note": entry.get("note", "")}
            for role in ("synonym", "abbreviation", "narrower", "related"):
                values[role] = "\n".join(entry.get(role, []))
            search.create_concept(values, actor=SYSTEM)

    def regions(self) -> None:
        for item in _read("regions.yaml")["regions"]:
            region = db.session.scalar(select(Region).where(Region.slug == item["slug"]))
            if region is None:
                regions.create_region(
                    item["name"],
                    item["kind"],
                    item.get("description", ""),
                    actor=SYSTEM,
                    slug=item["slug"],
                )
            else:
                regions.update_region(
                    region, item["name"], item["kind"], item.get("description", ""), actor=SYSTEM
                )

    def organisations(self) -> None:
        for item in _read("organisations.yaml")["organisations"]:
            data = organisations.OrganisationData(
                name=item["name"],
                type=_by_slug(OrganisationType, item["type"]),
                size_class=_by_slug(SizeClass, item["size_class"])
                if item.get("size_class")
                else None,
                regions=[_by_slug(Region, s) for s in item.get("regions", [])],
                website=item.get("website", ""),
                description=item.get("description", ""),
                email_domains=item.get("email_domains", []),
                coordinator_name=item.get("coordinator_name", ""),
                coordinator_email=item.get("coordinator_email", ""),
                coordinator_phone=item.get("coordinator_phone", ""),
                manifest_year=item.get("manifest_year"),
            )
            organisation = db.session.scalar(
                select(Organisation).where(Organisation.slug == item["slug"])
            )
            if organisation is None:
                organisations.create_organisation(data, actor=SYSTEM, slug=item["slug"])
            else:
                organisations.update_organisation(organisation, data, actor=SYSTEM)

    def users(self, password: str) -> list[User]:
        seeded = []
        for item in _read("users.yaml")["users"]:
            user = accounts.find_user_by_email(item["email"])
            if user is None:
                user = accounts.create_verified_user(
                    item["email"], password, item["name"], actor=SYSTEM
                )
                # Demo accounts "exist" for a while, as their demo questions and answers do.
                user.created_at = utcnow() - timedelta(days=DEMO_ACCOUNT_AGE_DAYS)
                accounts.update_profile(
                    user,
                    name=item["name"],
                    job_role=_by_slug(JobRole, item["function"]) if item.get("function") else None,
                    bio=item.get("bio", ""),
                    expertise=[_by_slug(Theme, s) for s in item.get("expertise", [])],
                    actor=SYSTEM,
                )
                accounts.set_site_roles(
                    user,
                    is_moderator=bool(item.get("moderator")),
                    is_site_admin=bool(item.get("site_admin")),
                    actor=SYSTEM,
                )
                for membership in item.get("memberships", []):
                    organisation = _by_slug(Organisation, membership["organisation"])
                    if membership.get("status") == "pending":
                        organisations.request_membership(organisation, actor=user)
                    else:
                        organisations.add_member(
                            organisation, user, membership.get("role", "member"), actor=SYSTEM
                        )
            seeded.append(user)
        return seeded

    def knowledge(self) -> None:
        """Knowledge items from seeds/knowledge.jsonl, through the import (re-runs change nothing)."""

        path = SEEDS / "knowledge.jsonl"
        if path.exists():
            with path.open(encoding="utf-8") as lines:
                self.knowledge_report = import_items(lines)
            self.attachments()

    def attachments(self, count: int = 4) -> None:
        """Give the first few public tenders a small PDF and DOCX, made here, once."""

        tenders = db.session.scalars(
            select(Tender)
            .where(
                Tender.status == "published",
                Tender.visibility == "public",
                Tender.external_id.is_not(None),
            )
            .order_by(Tender.external_id)
            .limit(count)
        ).all()
        for tender in tenders:
            if tender.attachments:
                continue
            self.attachments_added += 2
            lines = [tender.title, tender.organisation.name, "", *_wrap(tender.summary)]
            content.add_attachment(
                tender,
                f"Gunningsrapport {tender.year or ''}.pdf".replace(" .", "."),
                demo_pdf(lines),
                actor=SYSTEM,
            )
            content.add_attachment(
                tender,
                "Samenvatting aanbestedingsleidraad.docx",
                demo_docx(tender.title, tender.summary),
                actor=SYSTEM,
            )

    def monitor(self) -> None:
        """Demo monitor records for every organisation (made up; only with the demo accounts)."""
        known: dict = {}  # the vocabulary terms, looked up once for all organisations
        for organisation in db.session.scalars(select(Organisation).order_by(Organisation.slug)):
            added = monitor.load_demo_records(
                organisation, demo_records(organisation), actor=SYSTEM, known=known
            )
            self.monitor_added += added
            if added and organisation.slug in PUBLIC_DEMO_MONITORS:  # only on the first run
                monitor.change_monitor_settings(
                    organisation, public=True, benchmark=True, actor=SYSTEM
                )

    def planning(self) -> None:
        """The demo tender calendar (made up; only with the demo accounts)."""
        for slug, plans in demo_plans().items():
            organisation = _by_slug(Organisation, slug)
            self.planned_added += planning.load_demo_planned_tenders(
                organisation, plans, actor=SYSTEM
            )

    def community(self) -> None:
        """Demo questions, answers, votes, follows and "vraagbaak" opt-ins from seeds/community.yaml,
        made through the real services (so notices are made too). A question that exists is left
        alone, so a second run changes nothing."""

        path = SEEDS / "community.yaml"
        if not path.exists():
            return
        data = _read("community.yaml")
        now = utcnow()

        def user(email: str) -> User:
            found = accounts.find_user_by_email(email)
            if found is None:
                raise ValueError(f"Onbekende demogebruiker in community.yaml: {email!r}")
            return found

        def slugs(external_ids: list[str]) -> list[str]:
            found = db.session.scalars(select(Item.slug).where(Item.external_id.in_(external_ids)))
            return list(found)

        for entry in data.get("questions", []):
            external_id = f"demo-question-{entry['key']}"
            if db.session.scalar(select(Question.id).where(Question.external_id == external_id)):
                continue
            asker = user(entry["asker"])
            question = qa.ask_question(
                qa.QuestionData(
                    title=entry["title"], body=entry.get("body", ""),
                    themes=entry.get("themes", []), product_groups=entry.get("product_groups", []),
                    region=entry.get("region"), group=entry.get("group"),
                    addressed_to=entry.get("addressed_to", []),
                ),
                actor=asker,
            )  # fmt: skip
            asked_at = now - timedelta(days=entry.get("days_ago", 7))
            question.external_id = external_id
            question.created_at = question.updated_at = question.published_at = asked_at
            self.community_added += 1
            for row in entry.get("answers", []):
                answer = qa.answer_question(
                    question, row["body"], slugs(row.get("linked", [])), actor=user(row["author"])
                )
                answer.created_at = answer.updated_at = now - timedelta(days=row.get("days_ago", 1))
                for email in row.get("votes", []):
                    qa.vote_answer(answer, actor=user(email))
                for comment in row.get("comments", []):
                    qa.comment_answer(answer, comment["body"], actor=user(comment["author"]))
                if row.get("accepted"):
                    qa.accept_answer(answer, actor=asker)
                if row.get("verified_by"):
                    qa.verify_answer(answer, actor=user(row["verified_by"]))
        targets = {
            "themes": ("theme", Theme), "product_groups": ("product_group", ProductGroup),
            "organisations": ("organisation", Organisation), "regions": ("region", Region),
            "groups": ("group", WorkingGroup),
        }  # fmt: skip
        for entry in data.get("follows", []):
            follower = user(entry["user"])
            for key, (target_type, model) in targets.items():
                for slug in entry.get(key, []):
                    notify.follow(target_type, _by_slug(model, slug).id, actor=follower)
        for entry in data.get("vraagbaak", []):
            member = user(entry["user"])
            for membership in member.memberships:
                if membership.organisation.slug == entry["organisation"]:
                    membership.is_vraagbaak = True
        db.session.flush()

    def events(self) -> None:
        """Events from seeds/events.yaml through the import, then demo sign-ups (idempotent)."""
        import json

        records = _read("events.yaml")["events"]
        sign_ups = {r["external_id"]: r.pop("registrations", []) for r in records}
        self.events_report = import_items(
            json.dumps({"kind": "event", **r}, ensure_ascii=False) for r in records
        )
        for external_id, emails in sign_ups.items():
            item = db.session.scalar(select(Event).where(Event.external_id == external_id))
            if item is None or item.has_started:
                continue  # past events take no sign-ups
            for email in emails:
                user = accounts.find_user_by_email(email)
                if user is None:  # demo users are only there with --with-demo-users
                    continue
                exists = db.session.scalar(
                    select(EventRegistration.id).where(
                        EventRegistration.event_id == item.id, EventRegistration.user_id == user.id
                    )
                )
                if exists is None:
                    events.register_for_event(item, actor=user)
                    self.registrations_added += 1

    def groups(self) -> None:
        for item in _read("groups.yaml")["groups"]:
            group = db.session.scalar(select(WorkingGroup).where(WorkingGroup.slug == item["slug"]))
            data = groups.GroupData(
                name=item["name"], description=item.get("description", ""), is_closed=bool(item.get("is_closed")),
                regions=[_by_slug(Region, s) for s in item.get("regions", [])],
            )  # fmt: skip
            if group is None:
                group = groups.create_group(data, actor=SYSTEM, slug=item["slug"])
            else:
                groups.update_group(group, data, actor=SYSTEM)
            wanted = [(e, "admin") for e in item.get("admins", [])] + [
                (e, "member") for e in item.get("members", [])
            ]
            for email, role in wanted:
                user = accounts.find_user_by_email(email)
                if user is not None and all(m.user_id != user.id for m in group.memberships):
                    groups.add_group_member(group, user, role, actor=SYSTEM)


def _wrap(text: str, width: int = 80) -> list[str]:
    import textwrap

    return textwrap.wrap(text or "", width)


def demo_pdf(lines: list[str]) -> bytes:
    """A small real PDF (Helvetica text lines) for demo attachments, written without extra libraries."""

    def escape(line: str) -> bytes:
        raw = line.encode("latin-1", "replace")
        return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")

    text = (
        b"BT /F1 11 Tf 14 TL 56 780 Td "
        + b" ".join(b"(" + escape(line) + b") Tj T*" for line in lines)
        + b" ET"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def demo_docx(title: str, summary: str) -> bytes:
    """A small Word document for demo attachments."""
    import io

    from docx import Document

    document = Document()
    document.add_heading(title, level=1)
    document.add_paragraph(summary)
    document.add_paragraph("Voorbeelddocument uit de demodata van het MVI-kennisportaal.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _by_slug(model: type, slug: str) -> Any:
    item = by_slug(model, slug)
    if item is None:
        raise ValueError(f"Onbekende {model.__name__} in de seeds: {slug!r}")
    return item


def seed(*, demo_password: str | None) -> Loader:
    """Load taxonomies, regions, organisations and groups; demo users only when a password is given."""
    loader = Loader()
    session = db.session()
    event.listen(session, "before_flush", loader.count_changes)
    try:
        loader.taxonomies()
        loader.concepts()
        loader.regions()
        loader.organisations()
        if demo_password:
            loader.users(demo_password)
        loader.groups()
        session.flush()
    finally:
        event.remove(session, "before_flush", loader.count_changes)
    # Knowledge items report through the import: a no-op update is flushed, compared and rolled
    # back in a savepoint, which the flush counter above would wrongly count as a change.
    loader.knowledge()
    loader.events()
    if demo_password:
        loader.community()
        loader.monitor()
        loader.planning()
    return loader


def demo_logins() -> list[tuple[str, str, str]]:
    """(role, e-mail, name) of the first demo account of each role, for `make run` to print."""
    items = _read("users.yaml")["users"]
    found: dict[str, tuple[str, str]] = {}
    for item in items:
        if item.get("site_admin"):
            role = "site administrator"
        elif item.get("moderator"):
            role = "moderator"
        else:
            memberships = item.get("memberships") or [{}]
            m = memberships[0]
            role = {"admin": "organisation admin", "editor": "organisation editor"}.get(
                m.get("role"), "member"
            )
            if m.get("status") == "pending":
                role = "member (pending approval)"
        found.setdefault(role, (item["email"], item["name"]))
    return [(role, email, name) for role, (email, name) in found.items()]
