"""Events: fields in Dutch time, sign-up and waiting list, calendar files and feeds, who sees whom."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from portal import permissions as p
from portal.common import ServiceError, as_utc, utcnow
from portal.content import services as content
from portal.content.kinds import kinds
from portal.content.models import Item
from portal.events import services as events
from portal.events.models import AMSTERDAM, Event, EventRegistration
from portal.extensions import db
from portal.permissions import SYSTEM, PermissionDenied
from tests.conftest import login
from tests.factories import make_user

ANONYMOUS = AnonymousUserMixin()


def _start(days: int = 14) -> datetime:
    moment = (utcnow() + timedelta(days=days)).astimezone(AMSTERDAM)
    return moment.replace(hour=13, minute=30, second=0, microsecond=0)


# One start for the whole module: parametrized cases are built before the tests run.
SOON = _start()


def event_fields(**overrides) -> dict:
    start = overrides.pop("start", None) or SOON
    fields = {
        "event_type": "regionale-bijeenkomst",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2, minutes=30)).isoformat(),
        "location": "Stadhuis Utrecht, Stadsplateau 1",
        "online_url": "",
        "capacity": None,
        "agenda": "- 13:30 Welkom\n- 14:00 <script>alert(1)</script> Presentatie",
        "report": "",
    }
    fields.update(overrides)
    return fields


def make_event(organisation, *, actor=SYSTEM, title="Regionale MVI-bijeenkomst", summary="Kort.",
               visibility="public", group=None, status="published", **fields) -> Event:  # fmt: skip
    data = content.ItemData(
        title=title, summary=summary, status=status, visibility=visibility, group=group,
        themes=["circulair"], fields=event_fields(**fields),
    )  # fmt: skip
    event = content.create_item(organisation, kinds()["event"], data, actor=actor)
    db.session.commit()
    return event


def registrations(event) -> dict[str, list[int]]:
    rows = db.session.execute(
        select(EventRegistration.status, EventRegistration.user_id)
        .where(EventRegistration.event_id == event.id)
        .order_by(EventRegistration.id)
    ).all()
    result: dict[str, list[int]] = {}
    for status, user_id in rows:
        result.setdefault(status, []).append(user_id)
    return result


def register(event, user) -> EventRegistration:
    registration = events.register_for_event(event, actor=user)
    db.session.commit()
    return registration


# --- Creating events ---------------------------------------------------------------------------


def test_member_creates_an_event_in_dutch_time_and_it_is_stored_in_utc(client, world, as_user):
    as_user(world.utrecht_member)
    response = client.post(
        "/bijeenkomsten/nieuw",
        data={
            "title": "Regiobijeenkomst MVI Utrecht", "summary": "Kennis delen.", "organisation": "gemeente-utrecht",
            "status": "published", "visibility": "public", "event_type": "regionale-bijeenkomst",
            "starts_at": "2026-12-03T13:30", "ends_at": "2026-12-03T16:00", "location": "Stadhuis Utrecht",
            "capacity": "40", "agenda": "- 13:30 Welkom",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    event = db.session.scalar(select(Event))
    assert as_utc(event.starts_at) == datetime(2026, 12, 3, 12, 30, tzinfo=UTC)  # CET = UTC+1
    assert as_utc(event.ends_at) == datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
    assert (
        event.year == 2026 and event.capacity == 40 and "<li>13:30 Welkom</li>" in event.agenda_html
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "do 3 december 2026, 13:30–16:00" in page
    assert "Nog 40 plaatsen" in page and "Zet in agenda (.ics)" in page
    form = client.get(f"/bijeenkomsten/{event.slug}/bewerken").get_data(as_text=True)
    assert 'value="2026-12-03T13:30"' in form and 'type="datetime-local"' in form


def test_summer_time_is_respected(world):
    event = make_event(world.utrecht, start=datetime(2026, 6, 11, 13, 30, tzinfo=AMSTERDAM))
    assert as_utc(event.starts_at) == datetime(2026, 6, 11, 11, 30, tzinfo=UTC)  # CEST = UTC+2
    assert event.kind_fields()["starts_at"] == "2026-06-11T13:30+02:00"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ends_at": SOON.isoformat()}, "ends_at", "De bijeenkomst moet eindigen na het begin."),
        ({"ends_at": (SOON - timedelta(hours=1)).isoformat()}, "ends_at", "moet eindigen na het begin"),
        ({"location": "", "online_url": ""}, "location", "Vul een plaats of een link voor online deelname in"),
        ({"capacity": 0}, "capacity", "Het aantal plaatsen moet minstens 1 zijn"),
        ({"capacity": "-5"}, "capacity", "Het aantal plaatsen moet minstens 1 zijn"),
        ({"capacity": "veel"}, "capacity", "moet een geheel getal zijn"),
        ({"online_url": "javascript:alert(1)"}, "online_url", "https://"),
        ({"starts_at": "volgende week"}, "starts_at", "geen geldige datum met tijd"),
        ({"starts_at": ""}, "starts_at", "Vul de begintijd in."),
        ({"event_type": "feest"}, "event_type", "Kies een geldige waarde"),
        ({"registration_deadline": (SOON + timedelta(hours=1)).isoformat()}, "registration_deadline", "vóór het begin"),
    ],
)  # fmt: skip
def test_bad_event_fields_are_refused_in_dutch_and_nothing_is_saved(
    world, overrides, field, message
):
    with pytest.raises(ServiceError) as refused:
        make_event(world.utrecht, **overrides)
    assert message in refused.value.message and refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count(Item.id))) == 0


def test_bad_event_form_shows_the_error_next_to_the_field(client, world, as_user):
    as_user(world.utrecht_member)
    response = client.post(
        "/bijeenkomsten/nieuw",
        data={
            "title": "Omgekeerd", "organisation": "gemeente-utrecht", "status": "published",
            "visibility": "public", "event_type": "webinar", "starts_at": "2026-12-04T16:00",
            "ends_at": "2026-12-04T13:30", "online_url": "https://example.org/webinar",
        },
    )  # fmt: skip
    assert response.status_code == 400
    assert "De bijeenkomst moet eindigen na het begin." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Item.id))) == 0


def test_an_online_event_needs_no_place_and_the_agenda_is_sanitised(world):
    event = make_event(world.utrecht, location="", online_url="https://example.org/webinar")
    assert event.online_url == "https://example.org/webinar" and event.location == ""
    assert "<script>" not in event.agenda_html and "&lt;script&gt;" in event.agenda_html


# --- Registrations -----------------------------------------------------------------------------


def test_member_signs_up_and_cancels_through_the_buttons(client, world, as_user):
    event = make_event(world.utrecht, capacity=2)
    as_user(world.heumen_admin)
    page = client.post(f"/bijeenkomsten/{event.slug}/aanmelden", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "U bent aangemeld voor" in text and "Nog 1 plaats" in text and "Afmelden" in text
    assert registrations(event) == {"registered": [world.heumen_admin.id]}
    page = client.post(f"/bijeenkomsten/{event.slug}/afmelden", follow_redirects=True)
    assert "U bent afgemeld" in page.get_data(as_text=True)
    assert registrations(event) == {"cancelled": [world.heumen_admin.id]}
    # Signing up again reuses the row (one per event and member).
    client.post(f"/bijeenkomsten/{event.slug}/aanmelden")
    assert registrations(event) == {"registered": [world.heumen_admin.id]}


def test_a_full_event_puts_people_on_the_waiting_list_and_is_never_overbooked(
    client, world, as_user
):
    event = make_event(world.utrecht, capacity=2)
    register(event, world.utrecht_member)
    register(event, world.heumen_admin)
    as_user(world.outsider)
    page = client.post(f"/bijeenkomsten/{event.slug}/aanmelden", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "De bijeenkomst is vol. U staat op de wachtlijst (plaats 1)" in text
    assert "Vol — wachtlijst" in text and "Van de wachtlijst af" in text
    assert register(event, world.utrecht_editor).status == "waitlist"
    assert registrations(event) == {
        "registered": [world.utrecht_member.id, world.heumen_admin.id],
        "waitlist": [world.outsider.id, world.utrecht_editor.id],
    }


def test_cancelling_a_seat_promotes_the_first_waiting_and_mails_them(world, mailbox):
    event = make_event(world.utrecht, capacity=1, title="Marktbijeenkomst leerlingenvervoer")
    register(event, world.utrecht_member)
    register(event, world.outsider)
    register(event, world.heumen_admin)
    assert mailbox.messages() == []
    promoted = events.cancel_registration(event, actor=world.utrecht_member)
    assert [r.user_id for r in promoted] == [world.outsider.id]
    assert mailbox.messages() == []  # mail goes only after the commit
    db.session.commit()
    assert registrations(event) == {
        "cancelled": [world.utrecht_member.id],
        "registered": [world.outsider.id],
        "waitlist": [world.heumen_admin.id],
    }
    mails = mailbox.messages()
    assert len(mails) == 1 and "To: buiten@example.org" in mails[0]
    assert "Marktbijeenkomst leerlingenvervoer" in mails[0] and "wachtlijst" in mails[0]
    assert f"/bijeenkomsten/{event.slug}" in mails[0]
    # Leaving the waiting list frees no seat and promotes nobody.
    assert events.cancel_registration(event, actor=world.heumen_admin) == []
    db.session.commit()
    assert len(mailbox.messages()) == 1


def test_more_seats_move_the_waiting_list_up(world, mailbox):
    event = make_event(world.utrecht, capacity=1)
    register(event, world.utrecht_member)
    register(event, world.outsider)
    data = content.ItemData(title=event.title, summary=event.summary, status="published",
                            themes=["circulair"], fields={**event.kind_fields(), "capacity": 5})  # fmt: skip
    content.update_item(event, data, actor=world.utrecht_editor)
    db.session.commit()
    assert registrations(event) == {"registered": [world.utrecht_member.id, world.outsider.id]}
    assert len(mailbox.messages()) == 1


def test_registering_twice_is_refused(client, world, as_user):
    event = make_event(world.utrecht, capacity=1)
    register(event, world.utrecht_member)
    with pytest.raises(ServiceError, match="U bent al aangemeld"):
        events.register_for_event(event, actor=world.utrecht_member)
    db.session.rollback()
    register(event, world.outsider)
    with pytest.raises(ServiceError, match="U staat al op de wachtlijst"):
        events.register_for_event(event, actor=world.outsider)
    db.session.rollback()
    as_user(world.utrecht_member)
    page = client.post(f"/bijeenkomsten/{event.slug}/aanmelden", follow_redirects=True)
    assert "U bent al aangemeld voor deze bijeenkomst." in page.get_data(as_text=True)
    assert registrations(event) == {
        "registered": [world.utrecht_member.id],
        "waitlist": [world.outsider.id],
    }


def test_no_sign_up_for_a_past_event_or_after_the_deadline(world):
    past = make_event(world.utrecht, start=_start(days=-30))
    with pytest.raises(ServiceError, match="al begonnen of voorbij"):
        events.register_for_event(past, actor=world.outsider)
    db.session.rollback()
    closed = make_event(
        world.utrecht, registration_deadline=(utcnow() - timedelta(hours=1)).isoformat()
    )
    with pytest.raises(ServiceError, match="De aanmeldtermijn is gesloten op"):
        events.register_for_event(closed, actor=world.outsider)
    db.session.rollback()
    draft = make_event(world.utrecht, status="draft")
    with pytest.raises(ServiceError, match="gepubliceerde bijeenkomst"):
        events.register_for_event(draft, actor=world.utrecht_admin)
    db.session.rollback()
    assert db.session.scalar(select(func.count(EventRegistration.id))) == 0


def test_cancelling_without_a_registration_is_refused(client, world, as_user):
    event = make_event(world.utrecht)
    with pytest.raises(ServiceError, match="U bent niet aangemeld"):
        events.cancel_registration(event, actor=world.outsider)
    db.session.rollback()
    as_user(world.outsider)
    page = client.post(f"/bijeenkomsten/{event.slug}/afmelden", follow_redirects=True)
    assert "U bent niet aangemeld voor deze bijeenkomst." in page.get_data(as_text=True)
    assert registrations(event) == {}


def test_a_group_only_event_is_hidden_from_outsiders_and_takes_no_sign_up(client, world, as_user):
    event = make_event(world.heumen, visibility="group", group=world.closed_group.slug)
    with pytest.raises(PermissionDenied):  # the service refuses with 403
        events.register_for_event(event, actor=world.outsider)
    db.session.rollback()
    as_user(world.outsider)
    # The page answers 404 like every hidden item, so the event's existence does not leak.
    assert client.post(f"/bijeenkomsten/{event.slug}/aanmelden").status_code == 404
    assert client.get(f"/bijeenkomsten/{event.slug}").status_code == 404
    assert registrations(event) == {}
    register(event, world.heumen_admin)  # a group member may
    assert registrations(event) == {"registered": [world.heumen_admin.id]}


def test_an_unverified_account_may_see_but_not_sign_up(client, world, as_user):
    event = make_event(world.utrecht)
    unverified = make_user("nieuw@heumen.nl", verified=False)
    db.session.commit()
    assert p.can_view_item(unverified, event) and not p.can_register_for_event(unverified, event)
    as_user(unverified)
    page = client.get(f"/bijeenkomsten/{event.slug}").get_data(as_text=True)
    assert "Bevestig eerst uw e-mailadres; daarna kunt u zich aanmelden." in page
    assert client.post(f"/bijeenkomsten/{event.slug}/aanmelden").status_code == 403
    assert registrations(event) == {}


def test_anonymous_sign_up_goes_to_the_login_page(client, world):
    event = make_event(world.utrecht)
    response = client.post(f"/bijeenkomsten/{event.slug}/aanmelden")
    assert response.status_code == 302 and "/inloggen" in response.headers["Location"]
    assert "Log in om u aan te melden" in client.get(f"/bijeenkomsten/{event.slug}").get_data(
        as_text=True
    )
    assert registrations(event) == {}


def test_two_people_cannot_take_the_last_seat_at_once(app, world):
    event = make_event(world.utrecht, capacity=1)
    event_id, user_ids = event.id, [world.outsider.id, world.heumen_admin.id]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def sign_up(user_id: int) -> None:
        with app.app_context():
            try:
                from portal.accounts.models import User

                target = db.session.get(Event, event_id)
                user = db.session.get(User, user_id)
                start.wait(timeout=10)
                events.register_for_event(target, actor=user)
                db.session.commit()
            except BaseException as error:  # reported below, not lost in the thread
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sign_up, args=(u,)) for u in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    db.session.expire_all()
    counts = {status: len(users) for status, users in registrations(event).items()}
    assert counts == {"registered": 1, "waitlist": 1}


# --- Who sees whom -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("utrecht_member", True), ("utrecht_admin", True), ("moderator", True),
        ("heumen_admin", False), ("outsider", False), ("anonymous", False),
    ],
)  # fmt: skip
def test_can_see_event_attendees(world, who, allowed):
    event = make_event(world.utrecht)
    user = ANONYMOUS if who == "anonymous" else getattr(world, who)
    assert p.can_see_event_attendees(user, event) is allowed


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("outsider", True), ("heumen_admin", True), ("anonymous", False), ("system", False)],
)
def test_can_register_for_event(world, who, allowed):
    event = make_event(world.utrecht)
    user = {"anonymous": ANONYMOUS, "system": SYSTEM}.get(who) or getattr(world, who)
    assert p.can_register_for_event(user, event) is allowed


def test_the_attendee_list_shows_only_to_the_organisation(app, client, world, as_user):
    event = make_event(world.utrecht, capacity=1)
    register(event, world.outsider)
    register(event, world.heumen_admin)
    as_user(world.utrecht_member)
    page = client.get(f"/bijeenkomsten/{event.slug}").get_data(as_text=True)
    assert "Deelnemers" in page and "Bram Buiten" in page and "Wachtlijst" in page
    assert "Femke Willems" in page
    other = app.test_client()
    login(other, world.heumen_admin.email)
    page = other.get(f"/bijeenkomsten/{event.slug}").get_data(as_text=True)
    assert "Femke Willems" in page  # signed in as her
    assert "Bram Buiten" not in page and "Vol — wachtlijst" in page
    assert "U staat op de wachtlijst (plaats 1)" in page


# --- Calendar files and feeds ------------------------------------------------------------------


def _lines(body: bytes) -> list[str]:
    """Check RFC 5545 framing, then return the unfolded content lines."""
    assert body.endswith(b"\r\n") and b"\n" not in body.replace(b"\r\n", b"")
    for raw in body.split(b"\r\n")[:-1]:
        assert len(raw) <= 75, raw
        raw.decode("utf-8")  # folding never splits a character
    return body.decode("utf-8").replace("\r\n ", "").split("\r\n")[:-1]


def test_an_event_as_an_ics_file(client, world):
    event = make_event(
        world.utrecht,
        title="Markt, dialoog; deel 1\\2",
        summary="Regel één\nRegel twee, met een lange zin over circulaire asfaltverhardingen en MKI-waarden in de uitvoering.",
        online_url="https://example.org/webinar?id=1,2",
    )  # fmt: skip
    response = client.get(f"/bijeenkomsten/{event.slug}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert f"{event.slug}.ics" in response.headers["Content-Disposition"]
    again = client.get(f"/bijeenkomsten/{event.slug}.ics")  # sent from the page cache
    assert again.headers["X-Page-Cache"] == "hit" and again.data == response.data
    assert again.headers["Content-Disposition"] == response.headers["Content-Disposition"]
    assert again.headers["Content-Type"] == "text/calendar; charset=utf-8"
    lines = _lines(response.get_data())
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and lines.count("BEGIN:VEVENT") == 1
    values = dict(line.split(":", 1) for line in lines)
    assert values["UID"] == f"bijeenkomst-{event.id}@127.0.0.1"
    assert values["DTSTART"] == as_utc(event.starts_at).strftime("%Y%m%dT%H%M%SZ")
    assert values["DTEND"] == as_utc(event.ends_at).strftime("%Y%m%dT%H%M%SZ")
    assert values["DTSTAMP"].endswith("Z") and len(values["DTSTAMP"]) == 16
    assert values["SUMMARY"] == "Markt\\, dialoog\\; deel 1\\\\2"
    assert values["DESCRIPTION"].startswith("Regel één\\nRegel twee\\, met een lange zin")
    assert "Online: https://example.org/webinar?id=1\\,2" in values["DESCRIPTION"]
    assert values["LOCATION"] == "Stadhuis Utrecht\\, Stadsplateau 1"
    assert values["URL"].endswith(f"/bijeenkomsten/{event.slug}")
    # The same UID every time: a calendar updates the event instead of adding it again.
    assert f"UID:{values['UID']}" in _lines(
        client.get(f"/bijeenkomsten/{event.slug}.ics").get_data()
    )


def test_the_ics_file_of_a_hidden_event_is_a_404(client, world, as_user):
    group_event = make_event(world.heumen, visibility="group", group=world.closed_group.slug)
    draft = make_event(world.utrecht, status="draft", title="Concept")
    members_only = make_event(world.utrecht, visibility="members", title="Alleen leden")
    for event in (group_event, draft, members_only):
        assert client.get(f"/bijeenkomsten/{event.slug}.ics").status_code == 404
    assert client.get("/bijeenkomsten/bestaat-niet.ics").status_code == 404
    as_user(world.heumen_admin)
    assert client.get(f"/bijeenkomsten/{group_event.slug}.ics").status_code == 200


def test_a_group_agenda_feed_has_its_public_events_only(client, world):
    group = world.open_group.slug
    public = make_event(world.utrecht, title="Openbaar groepsoverleg", group=group)
    make_event(world.utrecht, title="Alleen de groep", visibility="group", group=group)
    make_event(world.utrecht, title="Alleen leden", visibility="members", group=group)
    make_event(world.utrecht, title="Andere groep", group=world.closed_group.slug)
    make_event(world.utrecht, title="Concept van de groep", group=group, status="draft")
    make_event(world.utrecht, title="Lang geleden", group=group, start=_start(days=-400))
    recent = make_event(world.utrecht, title="Vorige maand", group=group, start=_start(days=-30))
    response = client.get(f"/werkgroepen/{group}/agenda.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    lines = _lines(response.get_data())
    summaries = [line.removeprefix("SUMMARY:") for line in lines if line.startswith("SUMMARY:")]
    assert summaries == [recent.title, public.title]
    assert "X-WR-CALNAME:Bijeenkomsten Catering en eiwittransitie" in lines
    assert client.get("/werkgroepen/bestaat-niet/agenda.ics").status_code == 404
    site_feed = client.get("/bijeenkomsten/agenda.ics").get_data(as_text=True)
    assert "Andere groep" in site_feed and "Alleen leden" not in site_feed
    assert "Alleen de groep" not in site_feed


# --- Lists and the group page ------------------------------------------------------------------


def test_the_event_list_shows_upcoming_events_first(client, world):
    make_event(world.utrecht, title="Vorig jaar", start=_start(days=-300))
    make_event(world.utrecht, title="Volgende maand", start=_start(days=30))
    make_event(world.utrecht, title="Volgende week", start=_start(days=7))
    make_event(world.utrecht, title="Vorige week", start=_start(days=-7))
    page = client.get("/bijeenkomsten/").get_data(as_text=True)
    titles = ["Volgende week", "Volgende maand", "Vorige week", "Vorig jaar"]
    positions = [page.index(f">{title}</a>") for title in titles]
    assert positions == sorted(positions)
    upcoming = client.get("/bijeenkomsten/?wanneer=komend").get_data(as_text=True)
    assert "Volgende week" in upcoming and "Vorige week" not in upcoming


def test_the_group_page_lists_its_upcoming_events_the_visitor_may_see(client, world, as_user):
    group = world.open_group.slug
    make_event(world.utrecht, title="Openbaar overleg", group=group)
    make_event(world.utrecht, title="Overleg voor de groep", visibility="group", group=group)
    make_event(world.utrecht, title="Al geweest", group=group, start=_start(days=-7))
    page = client.get(f"/werkgroepen/{group}").get_data(as_text=True)
    assert "Openbaar overleg" in page and "Overleg voor de groep" not in page
    assert "Al geweest" not in page and f"/werkgroepen/{group}/agenda.ics" in page
    as_user(world.utrecht_admin)  # the group's admin
    page = client.get(f"/werkgroepen/{group}").get_data(as_text=True)
    assert "Openbaar overleg" in page and "Overleg voor de groep" in page


def test_a_past_event_shows_its_report(client, world):
    event = make_event(world.utrecht, start=_start(days=-7), report="Twintig **deelnemers**.")
    page = client.get(f"/bijeenkomsten/{event.slug}").get_data(as_text=True)
    assert "Verslag" in page and "<strong>deelnemers</strong>" in page
    assert "afgelopen" in page and "Aanmelden</button>" not in page


def test_search_finds_an_event_by_its_agenda_and_place(client, world):
    make_event(
        world.utrecht,
        title="Regiobijeenkomst",
        location="Provinciehuis Zwolle",
        agenda="- 14:00 Zonnepanelen op gemeentelijk vastgoed",
    )
    make_event(
        world.heumen,
        title="Verborgen overleg",
        visibility="group",
        group=world.closed_group.slug,
        agenda="- 14:00 Zonnepanelen",
    )
    page = client.get("/zoeken", query_string={"q": "zonnepanelen"}).get_data(as_text=True)
    assert "Regiobijeenkomst" in page and "Verborgen overleg" not in page
    assert "Regiobijeenkomst" in client.get("/zoeken?q=zwolle").get_data(as_text=True)


def test_moving_an_event_to_another_year_moves_its_year(world):
    """The year facet and filter follow the date the event takes place."""
    event = make_event(world.utrecht, start=datetime(2026, 12, 3, 13, 30, tzinfo=UTC))
    assert event.year == 2026
    fields = {**event.kind_fields(), "starts_at": "2027-01-14T13:30", "ends_at": "2027-01-14T16:00"}
    data = content.ItemData(title=event.title, summary=event.summary, status="published",
                            themes=["circulair"], year=2026, fields=fields)  # fmt: skip
    content.update_item(event, data, actor=world.utrecht_editor)
    db.session.commit()
    assert event.year == 2027
