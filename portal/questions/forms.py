"""Forms for asking, answering, commenting and marking duplicates."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Optional

from portal.forms import FormTokenField, PortalForm, choices, max_length, required

VISIBILITY = [("public", _l("Iedereen")), ("members", _l("Alleen ingelogde leden"))]


class AskForm(PortalForm):
    title = StringField(
        _l("Uw vraag in één zin"),
        validators=[required(), max_length(200)],
        description=_l(
            "Bijvoorbeeld: Hoe vraag ik social return bij een opdracht onder de drempel?"
        ),
    )
    body = TextAreaField(
        _l("Toelichting"),
        validators=[max_length(20000)],
        description=_l(
            "Wat heeft u al geprobeerd, om welke opdracht gaat het? Noem iemand met @ en zijn "
            "e-mailadres (@naam@organisatie.nl): leden die de vraag mogen zien krijgen bericht. "
            "Markdown mag."
        ),
    )
    themes = SelectMultipleField(_l("Thema's"), coerce=str)
    product_groups = SelectMultipleField(_l("Productgroepen"), coerce=str)
    addressed_groups = SelectMultipleField(
        _l("Gericht aan een groep organisaties (optioneel)"),
        coerce=str,
        # The service refuses an unknown group with its own message (the API and seeds too).
        validate_choice=False,
        description=_l(
            "Bij het plaatsen wordt de groep de lijst van organisaties die er nu toe behoren."
        ),
    )
    addressed_to = SelectMultipleField(
        _l("Gericht aan organisaties (optioneel)"),
        coerce=str,
        description=_l("Hun leden die vraagbaak zijn krijgen een bericht."),
    )
    region = SelectField(_l("Regio (optioneel)"), coerce=str, validators=[Optional()])
    group = SelectField(
        _l("Alleen binnen werkgroep (optioneel)"), coerce=str, validators=[Optional()]
    )
    visibility = SelectField(_l("Wie mag de vraag zien?"), choices=choices(VISIBILITY))
    form_token = FormTokenField()  # a second submit of this form asks no second question


class AnswerForm(PortalForm):
    body = TextAreaField(_l("Uw antwoord"), validators=[required(), max_length(20000)])
    linked_items = StringField(
        _l("Koppel kennisitems (optioneel)"),
        validators=[max_length(600)],
        description=_l(
            "Het webadres of de korte naam van aanbestedingen of criteria, gescheiden door komma's."
        ),
    )


class CommentForm(PortalForm):
    body = TextAreaField(_l("Reactie"), validators=[required(), max_length(2000)])


class DuplicateForm(PortalForm):
    original = StringField(
        _l("Dubbel van (webadres of korte naam van de vraag)"),
        validators=[required(), max_length(300)],
    )
