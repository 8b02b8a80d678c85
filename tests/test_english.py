"""The portal in English: vocabularies by locale (16), Babel's formats (17), Dutch content marked
lang="nl" (18), and a language per member that every page and mail follows (19)."""

import email
import email.policy
import re
from pathlib import Path

from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db
from portal.seeding import Loader
from portal.taxonomy.models import Procedure, Theme
from tests.factories import make_item, make_user


def english(client):
    assert client.post("/taal", data={"taal": "en"}).status_code == 302
    return client


def mails(app) -> list[email.message.EmailMessage]:
    paths = sorted(Path(app.config["MAIL_DIR"]).glob("*.eml"))
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in paths]


def mails_to(app, address: str) -> list[email.message.EmailMessage]:
    return [m for m in mails(app) if m["To"] == address]


# --- 16. Vocabularies in English ---------------------------------------------------------------


def test_seeded_vocabularies_have_english_names(taxonomy):
    theme = db.session.scalar(select(Theme).where(Theme.slug == "circulair"))
    assert (theme.name, theme.name_en) == ("Circulair", "Circular")
    assert theme.description_en.startswith("Circular procurement")
    procedure = db.session.scalar(select(Procedure).where(Procedure.slug == "openbare-procedure"))
    assert procedure.name_en == "Open procedure"


def test_theme_page_shows_english_names_in_english_and_dutch_in_dutch(client, taxonomy):
    dutch = client.get("/themas/circulair").get_data(as_text=True)
    assert "<h1>Circulair</h1>" in dutch and "Circulair inkopen, inclusief biobased" in dutch
    page = english(client).get("/themas/circulair").get_data(as_text=True)
    assert "<h1>Circular</h1>" in page and "Circular procurement, including biobased" in page
    assert "<h1>Circulair</h1>" not in page
    themes = client.get("/themas").get_data(as_text=True)
    assert (
        "Supply chain responsibility (ISV)" in themes and "Ketenverantwoordelijkheid" not in themes
    )


def test_an_empty_english_name_falls_back_to_dutch(client, taxonomy):
    theme = db.session.scalar(select(Theme).where(Theme.slug == "klimaat"))
    theme.name_en = ""
    db.session.commit()
    assert "<h1>Klimaat</h1>" in english(client).get("/themas/klimaat").get_data(as_text=True)


def test_tender_page_shows_english_vocabulary_names(client, world):
    tender = make_item("tender", world.utrecht, title="Asfalt Utrecht", themes=["klimaat"])
    dutch = client.get(f"/aanbestedingen/{tender.slug}").get_data(as_text=True)
    assert "Openbare procedure" in dutch and "Beste prijs-kwaliteitverhouding" in dutch
    page = english(client).get(f"/aanbestedingen/{tender.slug}").get_data(as_text=True)
    assert "Open procedure" in page and "Best price-quality ratio (BPQR)" in page
    assert "Climate" in page and "Asphalt and road paving" in page
    assert "Openbare procedure" not in page and "Beste prijs-kwaliteitverhouding" not in page


def test_search_facets_show_english_names_on_english_pages(client, world):
    make_item("tender", world.utrecht, title="Asfalt Utrecht", themes=["klimaat"])
    dutch = client.get("/zoeken", query_string={"q": "asfalt"}).get_data(as_text=True)
    assert re.search(r">Klimaat <span class=\"count\">\(1\)</span>", dutch)
    page = english(client).get("/zoeken", query_string={"q": "asfalt"}).get_data(as_text=True)
    assert re.search(r">Climate <span class=\"count\">\(1\)</span>", page)
    assert re.search(r">Open procedure <span class=\"count\">\(1\)</span>", page)
    assert ">Klimaat <span" not in page


def test_admin_edits_the_english_name_and_the_seeds_keep_it(client, world, as_user):
    as_user(world.site_admin)
    form = client.get("/beheer/lijsten/themas/circulair/bewerken").get_data(as_text=True)
    assert 'name="name_en"' in form and 'value="Circular"' in form
    response = client.post(
        "/beheer/lijsten/themas/circulair/bewerken",
        data={"name": "Circulair", "name_en": "Circular economy", "description_en": "Reuse first.",
              "position": "2", "is_active": "y", "is_core": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    theme = db.session.scalar(select(Theme).where(Theme.slug == "circulair"))
    assert (theme.name, theme.name_en, theme.description_en) == (
        "Circulair",
        "Circular economy",
        "Reuse first.",
    )
    assert "Circular economy" in client.get("/beheer/lijsten/themas").get_data(as_text=True)
    page = english(client).get("/themas/circulair").get_data(as_text=True)
    assert "<h1>Circular economy</h1>" in page and "Reuse first." in page
    Loader().taxonomies()  # a second seed run fills in only what is empty
    db.session.commit()
    db.session.expire_all()
    theme = db.session.scalar(select(Theme).where(Theme.slug == "circulair"))
    assert (theme.name_en, theme.description_en) == ("Circular economy", "Reuse first.")


def test_an_over_long_english_name_is_refused_in_dutch_and_nothing_is_saved(client, world, as_user):
    as_user(world.site_admin)
    response = client.post(
        "/beheer/lijsten/themas/circulair/bewerken",
        data={"name": "Circulair en biobased", "name_en": "x" * 151, "is_core": "y"},
    )
    assert response.status_code == 400
    assert "hoogstens 150 tekens" in response.get_data(as_text=True)
    db.session.expire_all()
    theme = db.session.scalar(select(Theme).where(Theme.slug == "circulair"))
    assert (theme.name, theme.name_en) == ("Circulair", "Circular")


def test_non_admins_cannot_edit_english_names(client, world, as_user):
    as_user(world.utrecht_admin)
    response = client.post(
        "/beheer/lijsten/themas/circulair/bewerken",
        data={"name": "Circulair", "name_en": "Hijacked"},
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.scalar(select(Theme).where(Theme.slug == "circulair")).name_en == "Circular"


def test_member_roles_are_translated(client, world, as_user):
    as_user(world.utrecht_admin)
    english(client)
    page = client.get(f"/organisaties/{world.utrecht.slug}/leden").get_data(as_text=True)
    assert ">Member</option>" in page and ">Editor</option>" in page and ">Administrator<" in page
    assert ">Redacteur</option>" not in page


# --- 17. Money and dates through Babel ---------------------------------------------------------


def test_money_and_dates_follow_the_page_language(client, world):
    tender = make_item(
        "tender", world.utrecht,
        fields={"value_min": 16000000, "value_max": 16500000, "publication_date": "2026-12-06"},
    )  # fmt: skip
    dutch = client.get(f"/aanbestedingen/{tender.slug}").get_data(as_text=True)
    assert "€\xa016.000.000 – €\xa016.500.000" in dutch and "6 december 2026" in dutch
    page = english(client).get(f"/aanbestedingen/{tender.slug}").get_data(as_text=True)
    assert "€16,000,000 – €16,500,000" in page and "December 6, 2026" in page
    assert "16.000.000" not in page and "6 december 2026" not in page


def test_event_dates_use_the_locale_pattern(client, world):
    from datetime import datetime

    from tests.test_events import make_event

    event = make_event(world.utrecht, start=datetime(2030, 12, 5, 13, 30))
    dutch = client.get(f"/bijeenkomsten/{event.slug}").get_data(as_text=True)
    assert "do 5 december 2030, 13:30–16:00" in dutch
    page = english(client).get(f"/bijeenkomsten/{event.slug}").get_data(as_text=True)
    assert "Thu, December 5, 2030, 1:30\u202fPM–4:00\u202fPM" in page
    assert "Thu 5 December" not in page


def test_number_limits_in_messages_follow_the_language(client, world, as_user):
    from flask_babel import force_locale

    from portal.formatting import money, number

    with force_locale("nl"):
        assert (number(1234567), money(1250.5)) == ("1.234.567", "€\xa01.250,50")
    with force_locale("en"):
        assert (number(1234567), money(1250.5)) == ("1,234,567", "€1,250.50")


# --- 18. Dutch content marked lang="nl" on English pages ---------------------------------------


def test_dutch_content_is_marked_on_english_pages_only(client, world):
    tender = make_item("tender", world.utrecht, title="Asfalt met minder CO2")
    dutch = client.get(f"/aanbestedingen/{tender.slug}").get_data(as_text=True)
    assert 'lang="nl">' not in dutch.replace('<html lang="nl">', "")
    page = english(client).get(f"/aanbestedingen/{tender.slug}").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert '<h1><span lang="nl">Asfalt met minder CO2</span></h1>' in page
    assert '<p class="lead"><span lang="nl">Korte samenvatting.</span></p>' in page
    assert '<div lang="nl"><p>Een <strong>toelichting</strong>.</p>' in page
    listing = client.get("/zoeken", query_string={"q": "asfalt"}).get_data(as_text=True)
    assert '<span lang="nl">Asfalt met minder CO2</span>' in listing
    profile = client.get(f"/organisaties/{world.utrecht.slug}").get_data(as_text=True)
    if world.utrecht.description:
        assert '<p class="lead"><span lang="nl">' in profile


def test_the_marking_escapes_what_members_wrote(client, world):
    tender = make_item("tender", world.utrecht, title="<b>Vet</b> & co")
    page = english(client).get(f"/aanbestedingen/{tender.slug}").get_data(as_text=True)
    assert '<span lang="nl">&lt;b&gt;Vet&lt;/b&gt; &amp; co</span>' in page


# --- 19. A language per member ------------------------------------------------------------------


def test_accept_language_gives_a_visitor_english_pages(client, taxonomy):
    response = client.get("/themas", headers={"Accept-Language": "en-GB,en;q=0.9,nl;q=0.5"})
    assert '<html lang="en">' in response.get_data(as_text=True)
    assert "Accept-Language" in response.headers["Vary"]
    response = client.get("/themas", headers={"Accept-Language": "de, fr"})
    assert '<html lang="nl">' in response.get_data(as_text=True)
    # The header's switch still wins over the browser.
    client.post("/taal", data={"taal": "nl"})
    response = client.get("/themas", headers={"Accept-Language": "en"})
    assert '<html lang="nl">' in response.get_data(as_text=True)


def test_the_members_chosen_language_wins_over_the_browser(client, world, as_user):
    world.utrecht_member.language = "en"
    db.session.commit()
    as_user(world.utrecht_member)
    page = client.get("/account", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert '<html lang="en">' in page


def test_members_choose_their_language_on_the_profile_page(client, world, as_user):
    user = world.utrecht_member
    as_user(user)
    data = {"name": user.name, "job_role": "", "bio": ""}
    assert 'name="language"' in client.get("/account/profiel").get_data(as_text=True)
    refused = client.post("/account/profiel", data={**data, "name": "Nieuw", "language": "de"})
    assert refused.status_code == 400 and "Kies Nederlands of Engels." in refused.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert (user.language, user.name) == ("nl", db.session.get(User, user.id).name)
    assert client.post("/account/profiel", data={**data, "language": "en"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).language == "en"
    assert '<html lang="en">' in client.get("/account").get_data(as_text=True)


def test_a_report_mail_is_in_each_moderators_language(app, client, world, as_user):
    dutch_moderator = world.moderator
    english_moderator = make_user("mod-en@portaal.example", name="Ella Moderator", moderator=True)
    english_moderator.language = "en"
    db.session.commit()
    tender = make_item("tender", world.utrecht, title="Asfalt Utrecht")
    as_user(world.utrecht_member)
    english(client)  # the reporter browses in English
    response = client.post(f"/aanbestedingen/{tender.slug}/melden", data={"reason": "Klopt niet"})
    assert response.status_code == 302
    (to_dutch,) = mails_to(app, dutch_moderator.email)
    assert to_dutch["Content-Language"] == "nl"
    assert to_dutch["Subject"] == "Melding over 'Asfalt Utrecht'"
    assert "meldt: Klopt niet" in to_dutch.get_content()
    (to_english,) = mails_to(app, english_moderator.email)
    assert to_english["Content-Language"] == "en"
    assert to_english["Subject"] == "Report about 'Asfalt Utrecht'"


def test_a_dutch_browsing_member_causes_an_english_mail_to_an_english_member(
    app, client, world, as_user
):
    world.utrecht_admin.language = "en"
    db.session.commit()
    requester = make_user("nieuw@utrecht.nl", name="Nina Nieuw")
    as_user(requester)
    response = client.post(f"/organisaties/{world.utrecht.slug}/lid-worden")
    assert response.status_code == 302
    (mail,) = mails_to(app, world.utrecht_admin.email)
    assert mail["Content-Language"] == "en"
    assert "Nina Nieuw" in mail.get_content() and "wil lid worden" not in mail.get_content()


def test_every_mail_says_its_language(app, client, taxonomy):
    client.post(
        "/registreren",
        data={"email": "eva@utrecht.nl", "name": "Eva", "password": "een lang wachtwoord 42",
              "password_repeat": "een lang wachtwoord 42"},
        headers={"Accept-Language": "en"},
    )  # fmt: skip
    (mail,) = mails_to(app, "eva@utrecht.nl")
    assert mail["Content-Language"] == "en"  # signed up in English: English mail
    assert db.session.scalar(select(User).where(User.email == "eva@utrecht.nl")).language == "en"


def test_a_waiting_list_mail_is_in_the_waiting_members_language(app, client, world, as_user):
    from tests.test_events import make_event, register

    event = make_event(world.utrecht, capacity=1, title="Marktbijeenkomst leerlingenvervoer")
    register(event, world.utrecht_member)
    world.outsider.language = "en"
    register(event, world.outsider)
    db.session.commit()
    as_user(world.utrecht_member)  # browses in Dutch and frees the seat
    assert client.post(f"/bijeenkomsten/{event.slug}/afmelden").status_code == 302
    (mail,) = mails_to(app, world.outsider.email)
    assert mail["Content-Language"] == "en"
    body = mail.get_content()
    assert "wachtlijst" not in body and "You were on the waiting list" in body.replace("\n", " ")


def test_a_digest_is_in_each_members_language(app, world):
    from portal.notifications.digest import send_digests
    from portal.notifications.models import Notification

    for user, language in ((world.utrecht_member, "en"), (world.heumen_admin, "nl")):
        user.language = language
        user.notify_email = "daily"
        db.session.add(Notification(user_id=user.id, key=f"k{user.id}", message="Nieuw: iets",
                                    url="http://localhost/x"))  # fmt: skip
    db.session.commit()
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        send_digests("daily")
        db.session.commit()
    (english_mail,) = mails_to(app, world.utrecht_member.email)
    (dutch_mail,) = mails_to(app, world.heumen_admin.email)
    assert english_mail["Content-Language"] == "en"
    assert "New for you since the previous digest:" in english_mail.get_content()
    assert dutch_mail["Content-Language"] == "nl"
    assert "Nieuw voor u sinds het vorige overzicht:" in dutch_mail.get_content()
