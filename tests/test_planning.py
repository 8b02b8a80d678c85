"""The tender calendar: who sees and edits planned tenders, overlaps ("Ook van plan"), interest
in buying together with its notices and mail, follows, turning a plan into a tender, the
spreadsheet import and bad input."""

from __future__ import annotations

import io

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from portal.common import ServiceError
from portal.extensions import db
from portal.notifications.models import Follow, Notification
from portal.organisations import services as organisations
from portal.permissions import (
    SYSTEM,
    PermissionDenied,
    can_edit_planned_tender,
    can_view_planned_tender,
)
from portal.planning import services
from portal.planning.models import PlannedTender, PlannedTenderInterest
from portal.planning.queries import overlaps, visible_planned
from portal.regions.models import Region
from portal.spreadsheets import UploadError
from portal.taxonomy.models import ProductGroup
from tests.conftest import login
from tests.factories import make_organisation, make_user


def plan(organisation, actor=SYSTEM, **fields) -> PlannedTender:
    values = {
        "title": "Schoonmaak gemeentehuis",
        "product_group": "schoonmaak",
        "year": 2027,
        "quarter": 2,
        "visibility": "public",
    }
    values.update(fields)
    made = services.create_planned_tender(organisation, services.PlanData(**values), actor=actor)
    db.session.commit()
    return made


def neighbour(world):
    """Gemeente Mook, in Heumen's region, with an editor and a member."""
    region = world.heumen.regions[0]
    mook = make_organisation("Gemeente Mook", domains=["mook.nl"], regions_=[region])
    editor = make_user("inkoop@mook.nl", name="Mira Mook")
    member = make_user("lid@mook.nl", name="Lid Mook")
    organisations.add_member(mook, editor, "editor", actor=SYSTEM)
    organisations.add_member(mook, member, "member", actor=SYSTEM)
    db.session.commit()
    return mook, editor, member


def count() -> int:
    return db.session.scalar(select(func.count(PlannedTender.id)))


# --- Who sees and edits -----------------------------------------------------------------------


def test_the_python_and_sql_forms_of_who_sees_a_planned_tender_agree(world):
    _mook, mook_editor, _member = neighbour(world)
    for organisation in (world.utrecht, world.heumen):
        plan(organisation, title="Openbaar", visibility="public")
        plan(organisation, title="Leden", visibility="members")
        plan(organisation, title="Open groep", visibility="group", group=world.open_group.slug)
        plan(organisation, title="Gesloten", visibility="group", group=world.closed_group.slug)
    viewers = [
        AnonymousUserMixin(), SYSTEM, world.outsider, world.utrecht_member, world.utrecht_editor,
        world.utrecht_admin, world.heumen_admin, world.moderator, world.site_admin, mook_editor,
    ]  # fmt: skip
    everything = db.session.scalars(select(PlannedTender)).all()
    for viewer in viewers:
        in_sql = set(db.session.scalars(select(PlannedTender.id).where(visible_planned(viewer))))
        in_python = {p.id for p in everything if can_view_planned_tender(viewer, p)}
        assert in_sql == in_python, viewer
    titles = {
        p.title
        for p in everything
        if can_view_planned_tender(world.outsider, p) and p.organisation == world.utrecht
    }
    assert titles == {"Openbaar"}  # a verified account in no organisation or group
    closed = {p.organisation.name for p in everything if p.title == "Gesloten" and can_view_planned_tender(mook_editor, p)}  # fmt: skip
    assert closed == set()
    own = {p.title for p in everything if p.organisation == world.utrecht and can_view_planned_tender(world.utrecht_member, p)}  # fmt: skip
    assert own == {"Openbaar", "Leden", "Open groep", "Gesloten"}  # its own organisation's


def test_only_editors_of_the_organisation_edit_its_calendar(client, world):
    made = plan(world.utrecht)
    assert can_edit_planned_tender(world.utrecht_editor, made)
    assert can_edit_planned_tender(world.utrecht_admin, made)
    assert not can_edit_planned_tender(world.utrecht_member, made)
    assert not can_edit_planned_tender(world.heumen_admin, made)
    with pytest.raises(PermissionDenied):
        plan(world.utrecht, actor=world.utrecht_member)
    with pytest.raises(PermissionDenied):
        services.delete_planned_tender(made, actor=world.heumen_admin)

    form = {"title": "Catering", "product_group": "catering", "year": "2027", "quarter": "3",
            "visibility": "public"}  # fmt: skip
    login(client, world.utrecht_member.email)
    assert client.get("/organisaties/gemeente-utrecht/inkoopkalender/nieuw").status_code == 403
    assert client.post("/organisaties/gemeente-utrecht/inkoopkalender/nieuw", data=form).status_code == 403  # fmt: skip
    assert client.get(f"/inkoopkalender/{made.id}/bewerken").status_code == 403
    assert client.post(f"/inkoopkalender/{made.id}/verwijderen").status_code == 403
    assert client.get("/organisaties/gemeente-utrecht/inkoopkalender/importeren").status_code == 403  # fmt: skip
    client.post("/uitloggen")
    login(client, world.heumen_admin.email)  # an editor, of another organisation
    assert client.post("/organisaties/gemeente-utrecht/inkoopkalender/nieuw", data=form).status_code == 403  # fmt: skip
    assert client.post(f"/inkoopkalender/{made.id}/bewerken", data=form).status_code == 403
    assert count() == 1
    client.post("/uitloggen")

    login(client, world.utrecht_editor.email)
    response = client.post("/organisaties/gemeente-utrecht/inkoopkalender/nieuw", data=form)
    assert response.status_code == 302 and count() == 2
    response = client.post(f"/inkoopkalender/{made.id}/bewerken", data={**form, "title": "Nieuw"})
    assert response.status_code == 302 and db.session.get(PlannedTender, made.id).title == "Nieuw"
    assert client.post(f"/inkoopkalender/{made.id}/verwijderen").status_code == 302
    assert count() == 1


def test_a_planned_tender_the_viewer_may_not_see_answers_404(client, world):
    members = plan(world.utrecht, title="Alleen leden", visibility="members")
    group = plan(world.utrecht, title="Groep", visibility="group", group=world.closed_group.slug)
    assert client.get(f"/inkoopkalender/{members.id}").status_code == 404
    assert "Alleen leden" not in client.get("/inkoopkalender").get_data(as_text=True)
    login(client, world.outsider.email)
    assert client.get(f"/inkoopkalender/{members.id}").status_code == 404
    client.post("/uitloggen")
    login(client, world.heumen_admin.email)  # approved in an organisation and in the group
    assert client.get(f"/inkoopkalender/{members.id}").status_code == 200
    assert client.get(f"/inkoopkalender/{group.id}").status_code == 200


# --- Bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"quarter": "5"}, "Kwartaal &#39;5&#39; bestaat niet: kies 1, 2, 3 of 4."),
        ({"quarter": "0"}, "Kwartaal &#39;0&#39; bestaat niet"),
        ({"value_min": "500000", "value_max": "100000"}, "De bovengrens van de waarde is lager dan de ondergrens."),
        ({"product_group": "bestaat-niet"}, "Onbekende waarde &#39;bestaat-niet&#39; voor de productgroep."),
        ({"year": "twee"}, "Het jaar moet een geheel getal zijn."),
        ({"contract_start": "31-12-2027"}, "De startdatum van het contract is geen geldige datum (jjjj-mm-dd)."),
        ({"cpv_code": "123"}, "CPV"),
        ({"visibility": "group"}, "Kies de werkgroep die het mag zien."),
    ],
)  # fmt: skip
def test_bad_input_gets_a_dutch_message_and_saves_nothing(client, world, changes, message):
    login(client, world.utrecht_editor.email)
    form = {"title": "Catering", "product_group": "catering", "year": "2027", "quarter": "3",
            "visibility": "public", **changes}  # fmt: skip
    response = client.post("/organisaties/gemeente-utrecht/inkoopkalender/nieuw", data=form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count() == 0


def test_a_group_outside_the_editors_groups_is_refused(world):
    with pytest.raises(ServiceError, match="kiezen waarvan u lid bent"):
        plan(world.utrecht, actor=world.utrecht_editor, visibility="group", group=world.closed_group.slug)  # fmt: skip
    db.session.rollback()
    assert count() == 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kwartaal=2027-5", "Kwartaal ‘2027-5’ bestaat niet"),
        ("kwartaal=volgend", "Kwartaal ‘volgend’ bestaat niet"),
        ("productgroep=onbekend", "Onbekende productgroep ‘onbekend’."),
        ("regio=nergens", "Onbekende regio ‘nergens’."),
    ],
)
def test_the_calendar_refuses_a_filter_that_does_not_exist(client, world, query, message):
    response = client.get(f"/inkoopkalender?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_the_overlap_window_must_be_a_number_of_quarters(client, world):
    made = plan(world.utrecht)
    for bad in ("9", "-1", "twee"):
        response = client.get(f"/inkoopkalender/{made.id}?venster={bad}")
        assert response.status_code == 400
        assert "Kies een venster van 0 tot en met 8 kwartalen." in response.get_data(as_text=True)


def test_the_calendar_filters_by_quarter_product_group_and_region(client, world):
    plan(world.heumen, title="Schoonmaak Heumen", quarter=2)
    plan(world.utrecht, title="Catering Utrecht", product_group="catering", quarter=3)
    html = client.get("/inkoopkalender?kwartaal=2027-K2").get_data(as_text=True)
    assert "Schoonmaak Heumen" in html and "Catering Utrecht" not in html
    html = client.get("/inkoopkalender?productgroep=catering").get_data(as_text=True)
    assert "Catering Utrecht" in html and "Schoonmaak Heumen" not in html
    region = world.heumen.regions[0].slug
    html = client.get(f"/inkoopkalender?regio={region}").get_data(as_text=True)
    assert "Schoonmaak Heumen" in html and "Catering Utrecht" not in html


# --- Overlaps ---------------------------------------------------------------------------------


def test_overlaps_same_or_related_product_group_within_the_window_in_a_shared_region(world):
    mook, _editor, _member = neighbour(world)
    own = plan(world.heumen, product_group="asfalt-en-wegverharding", quarter=2)
    same = plan(mook, title="Asfalt Mook", product_group="asfalt-en-wegverharding", quarter=4)
    related = plan(mook, title="Grondwerk Mook", product_group="grondwerken", quarter=1)
    plan(mook, title="Ander cluster", product_group="catering", quarter=2)
    too_late = plan(mook, title="Asfalt later", product_group="asfalt-en-wegverharding", year=2028, quarter=1)  # fmt: skip
    plan(world.heumen, title="Eigen organisatie", product_group="asfalt-en-wegverharding")
    plan(world.utrecht, title="Andere regio", product_group="asfalt-en-wegverharding")
    assert same.product_group.cluster_id == related.product_group.cluster_id
    assert db.session.scalar(select(ProductGroup).where(ProductGroup.slug == "catering")).cluster_id != same.product_group.cluster_id  # fmt: skip

    visitor = AnonymousUserMixin()
    found = overlaps(own, visitor)
    assert [(o.planned.title, o.same_group, o.quarters_apart) for o in found] == [
        ("Asfalt Mook", True, 2),
        ("Grondwerk Mook", False, 1),
    ]
    assert too_late.period - own.period == 3
    assert [o.planned.title for o in overlaps(own, visitor, window=3)] == ["Asfalt Mook", "Asfalt later", "Grondwerk Mook"]  # fmt: skip
    assert [o.planned.title for o in overlaps(own, visitor, window=0)] == []
    # Both sides see it.
    own_too = db.session.scalar(select(PlannedTender.id).where(PlannedTender.title == "Eigen organisatie"))  # fmt: skip
    assert sorted(o.planned.id for o in overlaps(same, visitor)) == [own.id, own_too]


def test_a_planned_tender_in_a_region_of_its_own_overlaps_there(world):
    region = world.heumen.regions[0]
    own = plan(world.heumen)
    elsewhere = plan(world.utrecht, title="Schoonmaak stadskantoor")
    assert overlaps(own, SYSTEM) == []
    elsewhere.region = region
    db.session.commit()
    assert [o.planned.id for o in overlaps(own, SYSTEM)] == [elsewhere.id]
    # An organisation without regions and a plan without a region of its own: nothing to match.
    assert overlaps(db.session.get(PlannedTender, plan(world.utrecht, title="X").id), SYSTEM) == []


def test_an_overlap_the_viewer_may_not_see_is_not_shown(client, world):
    mook, _mook_editor, _member = neighbour(world)
    own = plan(world.heumen, visibility="public")
    plan(mook, title="Leden Mook", visibility="members")
    plan(mook, title="Groep Mook", visibility="group", group=world.closed_group.slug)
    assert overlaps(own, AnonymousUserMixin()) == []
    assert [o.planned.title for o in overlaps(own, world.outsider)] == []
    assert [o.planned.title for o in overlaps(own, world.utrecht_member)] == ["Leden Mook"]
    assert sorted(o.planned.title for o in overlaps(own, world.heumen_admin)) == ["Groep Mook", "Leden Mook"]  # fmt: skip
    html = client.get(f"/inkoopkalender/{own.id}").get_data(as_text=True)
    assert "Leden Mook" not in html and "Groep Mook" not in html
    assert "Geen andere organisatie die u kunt zien" in html


# --- Interest in buying together ----------------------------------------------------------------


def test_interest_notifies_the_other_side_and_acceptance_shares_contacts(client, world, mailbox):
    mook, mook_editor, mook_member = neighbour(world)
    mook_editor.notify_email = "immediate"
    world.heumen_admin.notify_email = "immediate"
    own = plan(world.heumen, title="Schoonmaak Heumen")
    other = plan(mook, title="Schoonmaak Mook", visibility="members", contact_role="inkoopadviseur")

    login(client, world.heumen_admin.email)
    page = client.get(f"/inkoopkalender/{own.id}").get_data(as_text=True)
    assert "Schoonmaak Mook" in page and "Belangstelling om samen in te kopen" in page
    response = client.post(f"/inkoopkalender/{own.id}/belangstelling/{other.id}")
    assert response.status_code == 302
    interest = db.session.scalar(select(PlannedTenderInterest))
    assert (interest.source_id, interest.target_id, interest.status) == (
        own.id,
        other.id,
        "pending",
    )
    notices = db.session.scalars(select(Notification).where(Notification.user_id == mook_editor.id)).all()  # fmt: skip
    assert [n.message for n in notices] == [
        "Gemeente Heumen wil misschien samen inkopen met uw geplande aanbesteding 'Schoonmaak Mook'"
    ]
    assert not db.session.scalar(select(Notification).where(Notification.user_id == mook_member.id))
    assert any("To: inkoop@mook.nl" in m and "samen inkopen" in m for m in mailbox.messages())
    again = client.post(f"/inkoopkalender/{own.id}/belangstelling/{other.id}")
    assert again.status_code == 302 and db.session.scalar(select(func.count(PlannedTenderInterest.id))) == 1  # fmt: skip
    # No contacts before acceptance; the asking side cannot accept its own interest.
    assert "inkoop@mook.nl" not in client.get(f"/inkoopkalender/{own.id}").get_data(as_text=True)
    assert client.post(f"/inkoopkalender/belangstelling/{interest.id}/accepteren").status_code == 403  # fmt: skip
    client.post("/uitloggen")

    login(client, mook_member.email)  # a member, not an editor, of the other side
    assert client.post(f"/inkoopkalender/belangstelling/{interest.id}/accepteren").status_code == 404  # fmt: skip
    client.post("/uitloggen")
    login(client, mook_editor.email)
    page = client.get(f"/inkoopkalender/{other.id}").get_data(as_text=True)
    assert "Gemeente Heumen wil samen inkopen, vanuit:" in page and "beheer@heumen.nl" not in page
    response = client.post(f"/inkoopkalender/belangstelling/{interest.id}/accepteren")
    assert response.status_code == 302
    assert db.session.get(PlannedTenderInterest, interest.id).status == "accepted"
    page = client.get(f"/inkoopkalender/{other.id}").get_data(as_text=True)
    assert "Femke Willems" in page and "beheer@heumen.nl" in page
    client.post("/uitloggen")

    told = db.session.scalars(select(Notification.message).where(Notification.user_id == world.heumen_admin.id)).all()  # fmt: skip
    assert told == [
        "Gemeente Mook wil samen inkopen: uw belangstelling voor 'Schoonmaak Mook' is geaccepteerd"
    ]
    assert any("To: beheer@heumen.nl" in m and "geaccepteerd" in m for m in mailbox.messages())
    login(client, world.heumen_admin.email)
    page = client.get(f"/inkoopkalender/{own.id}").get_data(as_text=True)
    assert "Mira Mook" in page and "inkoop@mook.nl" in page
    client.post("/uitloggen")
    login(client, world.utrecht_member.email)  # sees both plans, is neither side: no contacts
    assert "inkoop@mook.nl" not in client.get(f"/inkoopkalender/{other.id}").get_data(as_text=True)


def test_a_declined_interest_is_told_without_contacts(world):
    mook, mook_editor, _member = neighbour(world)
    own, other = plan(world.heumen), plan(mook)
    interest = services.express_interest(own, other, actor=world.heumen_admin)
    services.answer_interest(interest, False, actor=mook_editor)
    db.session.commit()
    assert interest.status == "declined"
    assert db.session.scalar(
        select(Notification.message).where(Notification.user_id == world.heumen_admin.id)
    ) == ("Gemeente Mook heeft uw belangstelling voor 'Schoonmaak gemeentehuis' afgewezen")
    with pytest.raises(ServiceError, match="al geantwoord"):
        services.answer_interest(interest, True, actor=mook_editor)


def test_interest_is_refused_to_members_and_for_plans_one_may_not_see(client, world):
    mook, _mook_editor, mook_member = neighbour(world)
    own = plan(world.heumen)
    hidden = plan(mook, title="Alleen Mook", visibility="group", group=world.open_group.slug)
    visible = plan(mook, title="Zichtbaar")
    with pytest.raises(PermissionDenied):
        services.express_interest(visible, own, actor=mook_member)
    login(client, mook_member.email)
    assert client.post(f"/inkoopkalender/{visible.id}/belangstelling/{own.id}").status_code == 403
    client.post("/uitloggen")
    login(client, world.heumen_admin.email)  # not in the open group: the plan does not exist
    assert client.post(f"/inkoopkalender/{own.id}/belangstelling/{hidden.id}").status_code == 404
    assert db.session.scalar(select(func.count(PlannedTenderInterest.id))) == 0
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_interest_from_a_plan_the_other_side_may_not_see_is_refused_and_reveals_nothing(client, world):  # fmt: skip
    mook, mook_editor, _member = neighbour(world)
    # Heumen's plan is for its closed working group only; Mook's editors are not in it.
    secret = plan(world.heumen, title="Geheim plan", visibility="group", group=world.closed_group.slug)  # fmt: skip
    other = plan(mook, title="Schoonmaak Mook")
    login(client, world.heumen_admin.email)
    assert [o.planned.title for o in overlaps(secret, world.heumen_admin)] == ["Schoonmaak Mook"]
    response = client.post(f"/inkoopkalender/{secret.id}/belangstelling/{other.id}", follow_redirects=True)  # fmt: skip
    html = response.get_data(as_text=True)
    assert "Niemand bij Gemeente Mook die de inkoopkalender bijhoudt, kan uw geplande aanbesteding zien." in html  # fmt: skip
    assert db.session.scalar(select(func.count(PlannedTenderInterest.id))) == 0
    assert db.session.scalar(select(func.count(Notification.id))) == 0
    client.post("/uitloggen")
    login(client, mook_editor.email)
    assert "Geheim plan" not in client.get(f"/inkoopkalender/{other.id}").get_data(as_text=True)
    assert client.get(f"/inkoopkalender/{secret.id}").status_code == 404


# --- Follows ----------------------------------------------------------------------------------


def test_followers_of_a_product_group_or_region_hear_of_a_new_plan_they_may_see(world):
    group = db.session.scalar(select(ProductGroup).where(ProductGroup.slug == "schoonmaak"))
    region = world.heumen.regions[0]
    db.session.add_all([
        Follow(user_id=world.outsider.id, target_type="product_group", target_id=group.id),
        Follow(user_id=world.utrecht_member.id, target_type="region", target_id=region.id),
    ])  # fmt: skip
    db.session.commit()
    plan(world.heumen, title="Openbaar plan")
    plan(world.heumen, title="Ledenplan", visibility="members")
    heard = db.session.execute(select(Notification.user_id, Notification.message)).all()
    assert sorted(heard) == [
        (world.utrecht_member.id, "Gemeente Heumen plant een aanbesteding in Schoonmaak (2027 K2): 'Ledenplan'"),
        (world.utrecht_member.id, "Gemeente Heumen plant een aanbesteding in Schoonmaak (2027 K2): 'Openbaar plan'"),
        (world.outsider.id, "Gemeente Heumen plant een aanbesteding in Schoonmaak (2027 K2): 'Openbaar plan'"),
    ]  # fmt: skip


# --- From plan to tender ----------------------------------------------------------------------


def test_a_planned_tender_becomes_a_draft_tender_keeping_the_link(client, world):
    made = plan(world.utrecht, title="Asfalt 2027", product_group="asfalt-en-wegverharding",
                value_min=100000, value_max=200000, themes=["circulair"], cpv_code="45233220",
                reference="INK-7")  # fmt: skip
    login(client, world.utrecht_member.email)
    assert client.post(f"/inkoopkalender/{made.id}/aanbesteding").status_code == 403
    client.post("/uitloggen")
    login(client, world.utrecht_editor.email)
    response = client.post(f"/inkoopkalender/{made.id}/aanbesteding")
    assert response.status_code == 302 and "/bewerken" in response.location
    made = db.session.get(PlannedTender, made.id)
    tender = made.tender
    assert (tender.title, tender.status, tender.value_min, tender.value_max) == ("Asfalt 2027", "draft", 100000, 200000)  # fmt: skip
    assert [g.slug for g in tender.product_groups] == ["asfalt-en-wegverharding"]
    assert [t.slug for t in tender.themes] == ["circulair"] and tender.tender_reference == "INK-7"
    assert "Asfalt 2027" in client.get(f"/inkoopkalender/{made.id}").get_data(as_text=True)
    with pytest.raises(PermissionDenied):
        services.convert_planned_tender(made, actor=world.utrecht_editor)


# --- Spreadsheet import -----------------------------------------------------------------------

HEADER = "referentie;titel;productgroep;jaar;kwartaal;waarde_vanaf;waarde_tot;themas;zichtbaarheid"


def upload(client, body: str, name: str = "kalender.csv"):
    return client.post(
        "/organisaties/gemeente-utrecht/inkoopkalender/importeren",
        data={"file": (io.BytesIO(body.encode("utf-8")), name)},
        content_type="multipart/form-data",
    )


def test_import_adds_good_rows_and_updates_by_reference(client, world):
    login(client, world.utrecht_editor.email)
    body = f'{HEADER}\nK-1;Schoonmaak;Schoonmaak;2027;2;100000;200000;social-return;iedereen\nK-2;Catering;catering;2027;K3;;;"milieu; circulair";leden\n'  # fmt: skip
    response = upload(client, body)
    assert response.status_code == 302
    rows = {p.reference: p for p in db.session.scalars(select(PlannedTender))}
    assert set(rows) == {"K-1", "K-2"}
    assert (rows["K-2"].quarter, rows["K-2"].visibility) == (3, "members")
    assert [t.slug for t in rows["K-1"].themes] == ["social-return"]
    assert sorted(t.slug for t in rows["K-2"].themes) == ["circulair", "milieu"]
    response = upload(client, f"{HEADER}\nK-1;Schoonmaak 2;Schoonmaak;2027;4;;;;\n")
    assert response.status_code == 302 and count() == 2
    assert db.session.get(PlannedTender, rows["K-1"].id).title == "Schoonmaak 2"


def test_import_reports_every_bad_row_in_dutch_and_writes_nothing(client, world):
    login(client, world.utrecht_editor.email)
    body = (
        f"{HEADER}\n"
        "K-1;Goed;schoonmaak;2027;2;;;;\n"
        "K-2;Kwartaal;schoonmaak;2027;5;;;;\n"
        "K-3;Omgekeerd;schoonmaak;2027;1;500000;100000;;\n"
        "K-4;Onbekend;bestaat-niet;2027;1;;;;\n"
        "K-1;Dubbel;schoonmaak;2027;1;;;;\n"
        ";Zonder referentie;schoonmaak;2027;1;;;;\n"
    )
    response = upload(client, body)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and count() == 0
    for problem in [
        "Rij 3, kolom &#39;kwartaal&#39;: Kwartaal &#39;5&#39; bestaat niet: kies 1, 2, 3 of 4.",
        "Rij 4, kolom &#39;waarde_tot&#39;: De bovengrens van de waarde is lager dan de ondergrens.",
        "Rij 5, kolom &#39;productgroep&#39;: Onbekende waarde &#39;bestaat-niet&#39; voor de productgroep.",
        "Rij 6, kolom &#39;referentie&#39;: dezelfde referentie staat al in rij 2.",
        "Rij 7, kolom &#39;referentie&#39;: Vul de referentie in.",
    ]:  # fmt: skip
        assert problem in html
    assert "Er is niets opgeslagen" in html


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("referentie;titel;jaar;kwartaal\nK-1;X;2027;1\n", "De kolom 'productgroep' ontbreekt in de eerste rij."),
        (f"{HEADER};kleur\nK-1;X;schoonmaak;2027;1;;;;;rood\n", "Onbekende kolom 'kleur' in de eerste rij."),
        ("", "Het bestand is leeg."),
        (HEADER + "\n" + "\n".join(f"K-{n};X;schoonmaak;2027;1;;;;" for n in range(10_000)) + "\n", "Upload hoogstens 5000 rijen tegelijk."),
    ],
)  # fmt: skip
def test_import_refuses_a_sheet_with_wrong_columns_or_too_many_rows(world, body, message):
    with pytest.raises(UploadError) as refused:
        services.import_planned_tenders(world.utrecht, "kalender.csv", body.encode(), actor=world.utrecht_editor)  # fmt: skip
    assert refused.value.problems == [message]
    db.session.rollback()
    assert count() == 0


def test_import_of_an_xlsx_sheet_and_the_templates(client, world):
    from openpyxl import load_workbook

    login(client, world.utrecht_editor.email)
    xlsx = client.get("/organisaties/gemeente-utrecht/inkoopkalender/sjabloon.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    header = [c.value for c in sheet[1]]
    assert header == list(services.HEADERS.values())
    response = client.post(
        "/organisaties/gemeente-utrecht/inkoopkalender/importeren",
        data={"file": (io.BytesIO(xlsx.data), "sjabloon.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    made = db.session.scalar(select(PlannedTender))
    assert made.reference == "2027-INK-004" and made.region is not None
    csv = client.get("/organisaties/gemeente-utrecht/inkoopkalender/sjabloon.csv")
    assert csv.data.decode("utf-8-sig").startswith("referentie;titel;omschrijving;productgroep")
    client.post("/uitloggen")
    login(client, world.utrecht_member.email)
    assert client.get("/organisaties/gemeente-utrecht/inkoopkalender/sjabloon.csv").status_code == 403  # fmt: skip


def test_the_demo_loader_adds_plans_once(world):
    plans = [services.PlanData(title="Demo", product_group="catering", year=2027, quarter=1, reference="D-1")]  # fmt: skip
    assert services.load_demo_planned_tenders(world.heumen, plans, actor=SYSTEM) == 1
    assert services.load_demo_planned_tenders(world.heumen, plans, actor=SYSTEM) == 0
    assert db.session.scalar(select(PlannedTender.demo)) is True
    with pytest.raises(PermissionDenied):
        services.load_demo_planned_tenders(world.utrecht, plans, actor=world.utrecht_member)


def test_the_menu_and_the_organisation_page_lead_to_the_calendar(client, world):
    plan(world.heumen)
    home = client.get("/").get_data(as_text=True)
    assert '<a href="/inkoopkalender">Inkoopkalender</a>' in home
    page = client.get("/organisaties/gemeente-heumen").get_data(as_text=True)
    assert "1 geplande aanbesteding bekijken" in page
    assert "Inkoopkalender" not in client.get("/organisaties/gemeente-utrecht").get_data(as_text=True).split("<main", 1)[1]  # fmt: skip
    assert db.session.scalar(select(func.count(Region.id))) >= 1


def test_notices_naming_a_plan_are_withdrawn_from_who_may_no_longer_see_it(world):
    """A notice without an item is not checked again when shown: narrowing a plan's visibility
    takes it back from followers outside, deleting the plan from everyone."""
    group = db.session.scalar(select(ProductGroup).where(ProductGroup.slug == "schoonmaak"))
    db.session.add_all([
        Follow(user_id=world.outsider.id, target_type="product_group", target_id=group.id),
        Follow(user_id=world.utrecht_member.id, target_type="product_group", target_id=group.id),
    ])  # fmt: skip
    db.session.commit()
    planned = plan(world.heumen, title="Geheim schoonmaakplan")

    def told() -> list[int]:
        return sorted(db.session.scalars(
            select(Notification.user_id).where(Notification.key == f"planned:{planned.id}")
        ))  # fmt: skip

    assert told() == sorted([world.outsider.id, world.utrecht_member.id])
    values = {"title": planned.title, "product_group": "schoonmaak", "year": 2027, "quarter": 2}
    services.update_planned_tender(planned, services.PlanData(**values, visibility="members"),
                                   actor=world.heumen_admin)  # fmt: skip
    db.session.commit()
    assert told() == [world.utrecht_member.id]  # the outsider is no member: taken back
    services.update_planned_tender(planned, services.PlanData(**values, visibility="public"),
                                   actor=world.heumen_admin)  # fmt: skip
    db.session.commit()
    assert told() == [world.utrecht_member.id]  # widening again does not re-announce
    services.delete_planned_tender(planned, actor=world.heumen_admin)
    db.session.commit()
    assert db.session.scalar(select(func.count(Notification.id))) == 0
