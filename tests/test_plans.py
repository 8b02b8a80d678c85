"""Action plans: a knowledge kind with ambitions, SMART goals (progress computed from the monitor
or measured by hand), actions, copying a peer's plan, similar plans and the yearly report."""

from __future__ import annotations

import io
from dataclasses import replace as dataclass_replace

import docx
import pytest
from sqlalchemy import func, select

from portal.common import ServiceError, utcnow
from portal.content import services as content
from portal.content.kinds import kinds
from portal.extensions import db
from portal.permissions import SYSTEM, PermissionDenied
from portal.plans import queries, services
from portal.plans.models import Plan
from tests.conftest import login
from tests.factories import make_item, make_organisation
from tests.test_monitor import record

NEXT_YEAR = utcnow().year + 1


def goal(**overrides) -> dict:
    values = {"goal": "Meer circulair inkopen", "theme": "circulair", "indicator": "aandeel-thema",
              "direction": "stijgen", "baseline": 10, "baseline_year": 2023, "target": 50,
              "target_year": NEXT_YEAR}  # fmt: skip
    values.update(overrides)
    return values


def plan(organisation, *, goals=None, measurements=(), actions=(), **overrides) -> Plan:
    fields = {"goals": goals if goals is not None else [goal()], "measurements": list(measurements),
              "actions": list(actions), **overrides.pop("fields", {})}  # fmt: skip
    return make_item("plan", organisation, title=overrides.pop("title", "MVI-actieplan 2024-2030"),
                     fields=fields, **overrides)  # fmt: skip


def count_plans() -> int:
    return db.session.scalar(select(func.count()).select_from(Plan))


@pytest.mark.parametrize("fields, message", [
    ({"goals": [goal(target_year=2020)]}, "Het doeljaar 2020 ligt in het verleden"),
    ({"goals": [goal(baseline=30, target=30)]}, "Bij een stijgend doel moet de streefwaarde hoger"),
    ({"goals": [goal(direction="dalen", baseline=30, target=40)]}, "Bij een dalend doel moet de streefwaarde lager"),
    ({"goals": [goal(theme="ruimtevaart")]}, "thema"),
    ({"goals": [goal(theme="")]}, "Kies het thema dat deze indicator meet"),
    ({"goals": [goal(target=150)]}, "streefwaarde"),
    ({"goals": [goal(indicator="horoscoop")]}, "indicator"),
    ({"measurements": [{"goal": 3, "date": "2024-12-31", "value": 5, "source": "Jaarverslag"}]}, "Kies het nummer van een doel van dit plan"),
    ({"actions": [{"action": "Marktdag", "goal": 7}]}, "Kies het nummer van een doel van dit plan"),
    ({"period_start": 2030, "period_end": 2024}, "Het eindjaar ligt voor het beginjaar"),
])  # fmt: skip
def test_a_bad_plan_is_refused_in_dutch_and_nothing_is_saved(world, fields, message):
    before = count_plans()
    data = content.ItemData(title="Plan", status="published", fields={"goals": [goal()], **fields})
    with pytest.raises(ServiceError) as refused:
        content.create_item(world.utrecht, kinds()["plan"], data, actor=SYSTEM)
    db.session.rollback()
    assert message in refused.value.message, refused.value.message
    assert count_plans() == before


def test_the_edit_form_shows_the_problem_at_its_field(client, world, as_user):
    as_user(world.utrecht_editor)
    response = client.post("/actieplannen/nieuw", data={
        "title": "Ons plan", "status": "published", "visibility": "public",
        "organisation": world.utrecht.slug, "year": "2025",
        "goals-0-goal": "Meer circulair", "goals-0-theme": "circulair",
        "goals-0-indicator": "aandeel-thema", "goals-0-direction": "stijgen",
        "goals-0-baseline": "40", "goals-0-target": "40", "goals-0-target_year": str(NEXT_YEAR),
    })  # fmt: skip
    assert response.status_code == 400
    assert "streefwaarde hoger zijn dan de beginwaarde" in response.get_data(as_text=True)
    assert count_plans() == 0


def test_goals_computed_from_the_monitor_on_known_data(world):
    mvi = [{"theme": "circulair", "instrument": "voorschrijven", "ambition_level": "basis"}]
    record(world.utrecht, "A", year=2023, mvi=mvi)
    record(world.utrecht, "B", year=2023)
    record(world.utrecht, "C", year=2023)
    record(world.utrecht, "D", year=2024, mvi=mvi)
    record(world.utrecht, "E", year=2024)
    tender = make_item("tender", world.utrecht, fields={"mvi": [{**mvi[0], "weight_percent": 30}]})
    tender.year = 2024
    db.session.commit()
    made = plan(world.utrecht, goals=[
        goal(), goal(indicator="aandeel-mvi", theme="", baseline=None),
        goal(indicator="gewicht-thema", baseline=None, target=40),
        goal(indicator="handmatig", theme="", baseline=100, target=60, direction="dalen", unit="ton CO2"),
    ], measurements=[{"goal": 4, "date": "2024-12-31", "value": 80, "source": "CO2-monitor"},
                     {"goal": 4, "date": "2023-12-31", "value": 95, "source": "CO2-monitor"}])  # fmt: skip
    progress = queries.goal_progress(made, SYSTEM)
    assert progress[0].values == [(2023, 33), (2024, 67)]  # 1 of 3; 2 of 3 (D and the tender)
    assert progress[0].progress == 100 * (67 - 10) // (50 - 10) or progress[0].progress == 100
    assert progress[0].reached is True
    assert progress[1].values == [(2023, 33), (2024, 67)]
    assert progress[2].values == [(2024, 30)] and progress[2].reached is False
    assert progress[3].values == [(2023, 95), (2024, 80)]
    assert progress[3].progress == 50 and progress[3].reached is False  # 100 → 80 of 100 → 60


def test_monitor_progress_is_shown_only_to_those_who_may_see_the_monitor(client, world, app):
    record(world.utrecht, "A", year=2024,
           mvi=[{"theme": "circulair", "instrument": "voorschrijven", "ambition_level": "basis"}])  # fmt: skip
    made = plan(world.utrecht)
    url = f"/actieplannen/{made.slug}"
    page = client.get(url).get_data(as_text=True)
    assert "die cijfers ziet alleen Gemeente Utrecht" in page and "doel-1-tabel" not in page
    member = app.test_client()
    login(member, world.utrecht_member.email)
    assert 'id="doel-1-tabel"' in member.get(url).get_data(as_text=True)
    world.utrecht.monitor_public = True
    db.session.commit()
    assert 'id="doel-1-tabel"' in client.get(url).get_data(as_text=True)


def test_a_member_copies_a_public_plan_for_their_organisation(client, world, as_user):
    original = plan(world.utrecht, measurements=[{"goal": 1, "date": "2024-12-31", "value": 20, "source": "x"}],
                    actions=[{"action": "Marktdag circulair meubilair", "goal": 1, "status": "bezig"}])  # fmt: skip
    as_user(world.heumen_admin)
    page = client.get(f"/actieplannen/{original.slug}").get_data(as_text=True)
    assert "Plan overnemen" in page
    response = client.post(f"/actieplannen/{original.slug}/overnemen",
                           data={"organisatie": world.heumen.slug})  # fmt: skip
    assert response.status_code == 302 and "/bewerken" in response.headers["Location"]
    copy = db.session.scalar(select(Plan).where(Plan.organisation_id == world.heumen.id))
    assert copy.status == "draft" and copy.copied_from_id == original.id
    assert copy.goals[0]["goal"] == "Meer circulair inkopen" and copy.measurements == []
    assert copy.actions[0]["status"] == "gepland"
    page = client.get(f"/actieplannen/{copy.slug}").get_data(as_text=True)
    assert "Gebaseerd op" in page and original.title in page


def test_copying_is_refused_for_another_organisation_and_an_unseen_plan(
    app, client, world, as_user
):
    original = plan(world.utrecht)
    as_user(world.heumen_admin)
    refused = client.post(f"/actieplannen/{original.slug}/overnemen",
                          data={"organisatie": world.utrecht.slug})  # fmt: skip
    assert refused.status_code == 403  # not a member of Utrecht
    assert client.post(f"/actieplannen/{original.slug}/overnemen", data={}).status_code == 400
    # A plan only its closed working group reads (Heumen's admin is in it; Utrecht's member not).
    hidden = plan(world.heumen, visibility="group", group=world.closed_group.slug)
    stranger = app.test_client()
    login(stranger, world.utrecht_member.email)
    assert stranger.post(f"/actieplannen/{hidden.slug}/overnemen",
                         data={"organisatie": world.utrecht.slug}).status_code == 404  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.copy_plan(hidden, world.utrecht, actor=world.utrecht_member)
    assert count_plans() == 2
    anonymous = app.test_client()
    assert anonymous.post(f"/actieplannen/{original.slug}/overnemen").status_code == 302


def test_similar_plans_of_peers_that_the_viewer_may_see(client, world):
    own = plan(world.heumen, title="Plan Heumen")
    peer = make_organisation("Gemeente Berg en Dal")
    plan(peer, title="Plan Berg en Dal")
    plan(peer, title="Alleen voor leden", visibility="members")
    page = client.get(f"/actieplannen/{own.slug}").get_data(as_text=True)
    assert "Plan Berg en Dal" in page and "Alleen voor leden" not in page


def test_the_yearly_report_as_a_page_and_as_docx(client, world):
    made = plan(world.utrecht, goals=[goal(indicator="handmatig", theme="", unit="ton")],
                measurements=[{"goal": 1, "date": "2024-12-31", "value": 30, "source": "Eigen meting"}],
                actions=[{"action": "Inkoopstrategie vaststellen", "goal": 1, "status": "gereed",
                          "owner_role": "strategisch-inkoopadviseur"}])  # fmt: skip
    tender = make_item("tender", world.utrecht, title="Circulair meubilair")
    content.link_items(made, tender, actor=SYSTEM)
    db.session.commit()
    page = client.get(f"/actieplannen/{made.slug}/rapportage?jaar=2024").get_data(as_text=True)
    assert "Rapportage 2024" in page and "Inkoopstrategie vaststellen" in page
    assert "30 ton (2024)" in page and "Circulair meubilair" in page
    response = client.get(f"/actieplannen/{made.slug}/rapportage.docx?jaar=2024")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    document = docx.Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "Rapportage 2024" in text and "Inkoopstrategie vaststellen" in text
    assert "Circulair meubilair" in text and "30 ton (2024)" in cells
    bad = client.get(f"/actieplannen/{made.slug}/rapportage?jaar=ooit")
    assert bad.status_code == 400 and "Onbekend jaar" in bad.get_data(as_text=True)


def test_a_members_only_plan_and_its_report_stay_hidden_from_strangers(client, world):
    made = plan(world.utrecht, visibility="members")
    for url in (f"/actieplannen/{made.slug}", f"/actieplannen/{made.slug}/rapportage",
                f"/actieplannen/{made.slug}/rapportage.docx"):  # fmt: skip
        assert client.get(url).status_code == 404


def test_plans_are_found_by_the_words_of_their_goals(client, world):
    plan(world.utrecht, goals=[goal(goal="Eiwittransitie in de kantines versnellen")])
    page = client.get("/zoeken?q=eiwittransitie").get_data(as_text=True)
    assert "MVI-actieplan 2024-2030" in page


def test_a_goal_kept_as_it_was_may_pass_its_target_year(world):
    made = plan(world.utrecht)
    made.goals = [dict(made.goals[0], target_year=2024)]  # as if the year has passed since
    db.session.commit()
    fields = dict(
        made.kind_fields(),
        measurements=[{"goal": 1, "date": "2024-12-31", "value": 30, "source": "x"}],
    )
    data = content.ItemData(title=made.title, summary=made.summary, body=made.body_md,
                            themes=["circulair"], year=2024, status="published", fields=fields)  # fmt: skip
    content.update_item(made, data, actor=SYSTEM)
    db.session.commit()
    assert made.measurements[0]["value"] == 30
    changed = dict(fields, goals=[dict(fields["goals"][0], goal="Een nieuw doel")])
    with pytest.raises(ServiceError, match="ligt in het verleden"):
        content.update_item(made, dataclass_replace(data, fields=changed), actor=SYSTEM)
    db.session.rollback()


def test_a_row_with_only_the_forms_preset_choices_is_an_empty_row(world):
    preset = {"goal": "", "theme": "", "indicator": "handmatig", "direction": "stijgen",
              "baseline": None, "target": None, "target_year": None, "unit": ""}  # fmt: skip
    made = plan(world.utrecht, goals=[goal(), preset],
                actions=[{"action": "", "goal": None, "status": "gepland", "notes": ""}])  # fmt: skip
    assert len(made.goals) == 1 and made.actions == []


def test_only_the_organisations_editors_edit_its_plan(app, world):
    made = plan(world.utrecht)
    editor, stranger = app.test_client(), app.test_client()
    login(editor, world.utrecht_editor.email)
    login(stranger, world.heumen_admin.email)
    assert editor.get(f"/actieplannen/{made.slug}/bewerken").status_code == 200
    assert stranger.get(f"/actieplannen/{made.slug}/bewerken").status_code == 403
    assert (
        stranger.post(f"/actieplannen/{made.slug}/bewerken", data={"title": "Gekaapt"}).status_code
        == 403
    )
    db.session.expire_all()
    assert db.session.get(Plan, made.id).title == "MVI-actieplan 2024-2030"


def test_the_edit_form_shows_stored_dates_of_measurements_and_deadlines(client, world, as_user):
    made = plan(world.utrecht, goals=[goal(indicator="handmatig", theme="", unit="ton")],
                measurements=[{"goal": 1, "date": "2025-06-30", "value": 20, "source": "Jaarverslag"}],
                actions=[{"action": "Marktdag", "goal": 1, "deadline": "2026-03-31"}])  # fmt: skip
    as_user(world.utrecht_editor)
    response = client.get(f"/actieplannen/{made.slug}/bewerken")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="2025-06-30"' in page and 'value="2026-03-31"' in page


# --- Found in review: each failed before its fix ------------------------------------------------


@pytest.mark.parametrize("fields, message", [
    ({"goals": [goal(goal=5)]}, "tekst"),
    ({"ambitions": [{"theme": "circulair", "ambition": True}]}, "tekst"),
    ({"actions": [{"action": "Marktdag", "notes": [1]}]}, "tekst"),
    ({"goals": [goal(target=float("inf"))]}, "geheel getal"),
    ({"goals": [goal(target=40.5)]}, "geheel getal"),
    ({"goals": [goal(baseline=True)]}, "geheel getal"),
])  # fmt: skip
def test_an_import_lines_wrong_types_are_refused_not_crashed_on(world, fields, message):
    data = content.ItemData(title="Plan", status="published", fields={"goals": [goal()], **fields})
    with pytest.raises(ServiceError) as refused:
        content.create_item(world.utrecht, kinds()["plan"], data, actor=SYSTEM)
    db.session.rollback()
    assert message in refused.value.message


def test_a_copy_of_a_groups_plan_stays_the_groups_and_the_source_is_untouched(world):
    source = plan(world.heumen, visibility="group", group=world.closed_group.slug,
                  actions=[{"action": "Marktdag", "status": "bezig"}])  # fmt: skip
    copied = services.copy_plan(source, world.heumen, actor=world.heumen_admin)
    db.session.commit()
    assert (copied.visibility, copied.group_id) == ("group", world.closed_group.id)
    assert source.actions[0]["status"] == "bezig" and copied.actions[0]["status"] == "gepland"


def test_similar_plans_are_other_organisations(client, world):
    own = plan(world.heumen, title="Plan Heumen")
    plan(world.heumen, title="Ander plan van Heumen")
    page = client.get(f"/actieplannen/{own.slug}").get_data(as_text=True)
    assert "Ander plan van Heumen" not in page


def test_the_report_does_not_call_a_hidden_goal_unreached(client, world):
    made = plan(world.utrecht)  # a monitor goal; Utrecht's monitor is its members'
    page = client.get(f"/actieplannen/{made.slug}/rapportage").get_data(as_text=True)
    assert "alleen voor leden" in page and "nog niet bereikt" not in page
