from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, EqualTo, Length

from portal.forms import ConfirmForm, PortalForm, choices, max_length, required

__all__ = ["ConfirmForm"]

_EMAIL = [
    required(),
    max_length(254),
    Email(message=_l("Vul een geldig e-mailadres in."), check_deliverability=False),
]


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


_NEW_PASSWORD = [
    required(),
    Length(max=128, message=_l("Een wachtwoord mag hoogstens 128 tekens lang zijn.")),
]


class RegisterForm(PortalForm):
    name = StringField(_l("Naam"), validators=[required(), max_length(120)])
    email = EmailField(
        _l("E-mailadres"),
        validators=_EMAIL,
        filters=[_strip],
        description=_l("Gebruik het adres van uw organisatie; dan stellen we uw organisatie voor."),
    )
    password = PasswordField(
        _l("Wachtwoord"),
        validators=_NEW_PASSWORD,
        description=_l("Minstens 12 tekens. Een zin van een paar woorden werkt goed."),
    )
    password_repeat = PasswordField(
        _l("Herhaal het wachtwoord"),
        validators=[
            required(),
            EqualTo("password", message=_l("De wachtwoorden zijn niet gelijk.")),
        ],
    )


class LoginForm(PortalForm):
    email = EmailField(
        _l("E-mailadres"), validators=[required(), max_length(254)], filters=[_strip]
    )
    password = PasswordField(_l("Wachtwoord"), validators=[required(), max_length(128)])
    remember = BooleanField(_l("Ingelogd blijven op dit apparaat (30 dagen)"))
    next = HiddenField()


class ForgotPasswordForm(PortalForm):
    email = EmailField(_l("E-mailadres"), validators=_EMAIL, filters=[_strip])


class ResetPasswordForm(PortalForm):
    password = PasswordField(
        _l("Nieuw wachtwoord"), validators=_NEW_PASSWORD, description=_l("Minstens 12 tekens.")
    )
    password_repeat = PasswordField(
        _l("Herhaal het nieuwe wachtwoord"),
        validators=[
            required(),
            EqualTo("password", message=_l("De wachtwoorden zijn niet gelijk.")),
        ],
    )


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(
        _l("Huidig wachtwoord"), validators=[required(), max_length(128)]
    )


class ChangeEmailForm(PortalForm):
    email = EmailField(_l("Nieuw e-mailadres"), validators=_EMAIL, filters=[_strip])
    password = PasswordField(_l("Uw wachtwoord"), validators=[required(), max_length(128)])


class ProfileForm(PortalForm):
    name = StringField(_l("Naam"), validators=[required(), max_length(120)])
    job_role = SelectField(_l("Functie"), coerce=str)
    expertise = SelectMultipleField(
        _l("Expertise (thema's)"),
        coerce=str,
        description=_l("Kies de thema's waarover u vragen van collega's kunt beantwoorden."),
    )
    bio = TextAreaField(
        _l("Korte bio"), validators=[max_length(1000)], description=_l("Hoogstens 1000 tekens.")
    )
    language = SelectField(
        _l("Taal"),
        choices=choices([("nl", "Nederlands"), ("en", "English")]),
        validate_choice=False,  # the service refuses another; left out, the language stays
        description=_l("De taal van uw pagina's als u bent ingelogd, en van alle e-mail aan u."),
    )


class DeleteAccountForm(PortalForm):
    password = PasswordField(_l("Uw wachtwoord"), validators=[required(), max_length(128)])
    confirm = BooleanField(_l("Ja, verwijder mijn account"), validators=[required()])
