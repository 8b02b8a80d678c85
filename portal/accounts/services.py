"""Account writes: register, verify, log in, reset, change e-mail/password, profile, delete."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import secrets
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from limits import parse
from sqlalchemy import select

from portal.accounts.models import AccountToken, User
from portal.common import (
    ServiceError,
    as_utc,
    clean_text,
    current_language,
    normalize_email,
    one_line,
    utcnow,
)
from portal.config import PROJECT_ROOT
from portal.extensions import count_limit, db
from portal.mail import absolute_url, mail_to
from portal.permissions import (
    Actor,
    authorized_by,
    can_edit_account,
    can_manage_user_roles,
    can_register,
)
from portal.taxonomy.models import JobRole, Theme

PASSWORD_MIN = 12  # ASVS 2.1.1
PASSWORD_MAX = 128
# The 20,000 most common passwords (Royce Williams' list as Django ships it; seeds/security/).
COMMON_PASSWORDS_FILE = PROJECT_ROOT / "seeds" / "security" / "common-passwords.txt.gz"
# Dutch ones that list lacks, in lower case.
DUTCH_COMMON_PASSWORDS = frozenset(
    {
        "wachtwoord", "wachtwoord1", "wachtwoord123", "password", "password1", "password123",
        "welkom01", "welkom123", "1234567890", "0123456789", "qwertyuiop", "azertyuiop",
        "gemeente123", "inkoop2026", "letmein123", "iloveyou12", "abcdefghij", "aanbesteding",
    }
)  # fmt: skip


@cache
def _common_passwords() -> frozenset[str]:
    """The common passwords, lower-cased (read once per process)."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8", errors="replace") as lines:
        listed = {line.strip().lower() for line in lines if line.strip()}
    return frozenset(listed | DUTCH_COMMON_PASSWORDS)


def _hasher() -> PasswordHasher:
    """argon2id; the library's recommended cost unless ARGON2_* settings lower it (tests only)."""
    config = current_app.config
    return PasswordHasher(
        time_cost=config.get("ARGON2_TIME_COST", 3),
        memory_cost=config.get("ARGON2_MEMORY_COST", 65536),
    )


def _anyone(actor: Actor) -> bool:
    """Token and login flows: the token or the password itself is the proof."""
    return True


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def password_matches(user: User, password: str) -> bool:
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password_strength(password: str, *, email: str = "", name: str = "") -> None:
    """Raise ServiceError with a Dutch message when password is too weak or too long."""
    if len(password) < PASSWORD_MIN:
        raise ServiceError(
            _("Kies een wachtwoord van minstens %(n)d tekens.", n=PASSWORD_MIN), field="password"
        )
    if len(password) > PASSWORD_MAX:
        raise ServiceError(
            _("Een wachtwoord mag hoogstens %(n)d tekens lang zijn.", n=PASSWORD_MAX),
            field="password",
        )
    lowered = password.lower()
    if lowered in _common_passwords():
        raise ServiceError(
            _(
                "Dit wachtwoord staat in de lijst van veelgebruikte wachtwoorden. Kies een ander, "
                "bijvoorbeeld een zin van een paar woorden."
            ),
            field="password",
        )
    local_part = normalize_email(email).partition("@")[0]
    if (
        len(set(password)) < 4
        or (local_part and len(local_part) >= 4 and local_part in lowered)
        or (name and lowered == name.strip().lower())
    ):
        raise ServiceError(
            _("Dit wachtwoord is te makkelijk te raden. Kies een langere zin of meer variatie."),
            field="password",
        )


def clean_email(email: str) -> str:
    """Return the normalised address, or raise ServiceError when it is not a valid address."""
    email = normalize_email(email)
    if len(email) > 254:
        raise ServiceError(_("Dit e-mailadres is te lang."), field="email")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise ServiceError(_("Vul een geldig e-mailadres in."), field="email") from error
    return email


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def _ensure_email_free(email: str) -> None:
    if find_user_by_email(email) is not None:
        raise ServiceError(
            _(
                "Er bestaat al een account met dit e-mailadres. Log in of vraag een nieuw wachtwoord aan."
            ),
            field="email",
            status=409,
        )


# --- Tokens -------------------------------------------------------------------------------


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _issue_token(user: User, purpose: str, hours: int, new_email: str | None = None) -> str:
    """Create a single-use token; earlier unused tokens for the same purpose stop working."""
    for old in db.session.scalars(
        select(AccountToken).where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
    ):
        old.used_at = utcnow()
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            token_hash=_digest(raw),
            purpose=purpose,
            user=user,
            new_email=new_email,
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    db.session.flush()
    return raw


def _consume_token(raw: str, purpose: str) -> AccountToken:
    """Return the token's row, marked used, or raise ServiceError (forged, used or expired)."""
    digest = _digest(raw or "")
    token = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == digest))
    if (
        token is None
        or not hmac.compare_digest(token.token_hash, digest)
        or token.purpose != purpose
    ):
        raise ServiceError(
            _("Deze link is ongeldig. Controleer of u de hele link heeft gekopieerd."), status=400
        )
    if token.used_at is not None:
        raise ServiceError(
            _("Deze link is al gebruikt. Vraag zo nodig een nieuwe aan."), status=410
        )
    if as_utc(token.expires_at) < utcnow():
        raise ServiceError(_("Deze link is verlopen. Vraag een nieuwe aan."), status=410)
    token.used_at = utcnow()
    return token


def _send_verification(user: User) -> None:
    raw = _issue_token(user, "verify", current_app.config["VERIFY_TOKEN_HOURS"])
    mail_to(
        user,
        lambda: (
            _("Bevestig uw e-mailadres voor het MVI-kennisportaal"),
            _(
                "Beste %(name)s,\n\nWelkom bij het MVI-kennisportaal. Bevestig uw e-mailadres via "
                "deze link:\n\n%(link)s\n\nDe link werkt %(hours)d uur en één keer.\n\n"
                "Heeft u zich niet aangemeld? Dan kunt u dit bericht negeren.",
                name=user.name,
                link=absolute_url("accounts.verify", token=raw),
                hours=current_app.config["VERIFY_TOKEN_HOURS"],
            ),
        ),
    )


# --- Writes -------------------------------------------------------------------------------


def _mail_address_taken_notice(owner: User, *, by_registration: bool) -> None:
    """Tell an address's owner (in their language, not in that of whoever tried) that someone
    tried to use it for a new or another account."""

    def text() -> tuple[str, str]:
        attempt = (
            _("Iemand probeerde zojuist een nieuw account aan te maken met uw e-mailadres.")
            if by_registration
            else _("Iemand vroeg zojuist om uw e-mailadres te gebruiken voor een ander account.")
        )
        return _("Uw e-mailadres op het MVI-kennisportaal"), _(
            "Beste %(name)s,\n\n%(attempt)s Dit adres hoort al bij uw account; er is niets "
            "veranderd.\n\nWas u dat zelf en weet u uw wachtwoord niet meer? Vraag dan een "
            "nieuw wachtwoord aan:\n\n%(link)s\n\nWas u het niet? Dan kunt u dit bericht "
            "negeren.",
            name=owner.name,
            attempt=attempt,
            link=absolute_url("accounts.forgot_password"),
        )

    mail_to(owner, text)


@authorized_by(can_register)
def register_user(email: str, password: str, name: str, *, actor: Actor) -> User | None:
    """Create an unverified account and mail its verification link.

    For an address that already has an account nothing is made (None) and its owner gets a
    notice instead: the visitor sees the same answer either way, so registering does not tell
    whether an address has an account.
    """
    email = clean_email(email)
    name = one_line(name)  # a name reaches mail subjects: no line breaks
    if not name:
        raise ServiceError(_("Vul uw naam in."), field="name")
    if len(name) > 120:
        raise ServiceError(_("Uw naam mag hoogstens 120 tekens lang zijn."), field="name")
    check_password_strength(password, email=email, name=name)
    owner = find_user_by_email(email)
    if owner is not None:
        hash_password(password)  # the same work as a new account: no timing difference
        _mail_address_taken_notice(owner, by_registration=True)
        return None
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        session_token=secrets.token_hex(16),
        language=current_language(),  # the language they signed up in, until they choose
    )
    db.session.add(user)
    db.session.flush()
    _send_verification(user)
    return user


@authorized_by(can_edit_account)
def resend_verification(user: User, *, actor: Actor) -> None:
    if user.is_verified:
        raise ServiceError(_("Uw e-mailadres is al bevestigd."), status=409)
    _send_verification(user)


@authorized_by(_anyone)
def verify_email(raw_token: str, *, actor: Actor) -> User:
    token = _consume_token(raw_token, "verify")
    if token.user.email_verified_at is None:
        token.user.email_verified_at = utcnow()
    return token.user


def login_blocked(email: str, ip: str) -> bool:
    """True when this account or this IP address has had too many failed attempts."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return False
    return not (
        count_limit(parse(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]), "login-account", email)
        and count_limit(parse(current_app.config["LOGIN_LIMIT_PER_IP"]), "login-ip", ip)
    )


def _record_failed_login(email: str, ip: str) -> None:
    if current_app.config["RATELIMIT_ENABLED"]:
        account_limit = parse(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])
        count_limit(account_limit, "login-account", email, hit=True)
        count_limit(parse(current_app.config["LOGIN_LIMIT_PER_IP"]), "login-ip", ip, hit=True)


@authorized_by(_anyone)
def authenticate(email: str, password: str, ip: str, *, actor: Actor) -> User:
    """Return the account for these credentials, or raise ServiceError (401, or 429 when throttled)."""
    email = normalize_email(email)[:254]
    if login_blocked(email, ip):
        raise ServiceError(
            _(
                "Te veel mislukte inlogpogingen. Wacht een kwartier en probeer het dan opnieuw, "
                "of vraag een nieuw wachtwoord aan."
            ),
            status=429,
        )
    user = find_user_by_email(email)
    if user is None:
        _hasher().hash(password[:PASSWORD_MAX])  # same work as a real check: no timing oracle
    if user is None or not password_matches(user, password[:PASSWORD_MAX]):
        _record_failed_login(email, ip)
        raise ServiceError(_("Het e-mailadres of het wachtwoord klopt niet."), status=401)
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


@authorized_by(_anyone)
def request_password_reset(email: str, *, actor: Actor) -> None:
    """Mail a reset link when the account exists; say nothing either way (no enumeration)."""
    user = find_user_by_email(email)
    if user is None:
        return
    raw = _issue_token(user, "reset", current_app.config["RESET_TOKEN_HOURS"])
    mail_to(
        user,
        lambda: (
            _("Nieuw wachtwoord voor het MVI-kennisportaal"),
            _(
                "Beste %(name)s,\n\nU (of iemand anders) vroeg een nieuw wachtwoord aan. Kies een "
                "nieuw wachtwoord via deze link:\n\n%(link)s\n\nDe link werkt %(hours)d uur en "
                "één keer. Vroeg u niets aan? Dan blijft uw wachtwoord gewoon hetzelfde.",
                name=user.name,
                link=absolute_url("accounts.reset_password", token=raw),
                hours=current_app.config["RESET_TOKEN_HOURS"],
            ),
        ),
    )


@authorized_by(_anyone)
def reset_password(raw_token: str, new_password: str, *, actor: Actor) -> User:
    token = _consume_token(raw_token, "reset")
    user = token.user
    check_password_strength(new_password, email=user.email, name=user.name)
    user.password_hash = hash_password(new_password)
    user.session_token = secrets.token_hex(16)
    # Following the link proves control of the mailbox.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


@authorized_by(can_edit_account)
def end_sessions(user: User, *, actor: Actor) -> None:
    """Log out: a new session token ends every session and remember-me cookie of the account.

    Other devices are signed out too (the account keeps one token, not one per device).
    """
    user.session_token = secrets.token_hex(16)


@authorized_by(can_edit_account)
def change_password(user: User, current: str, new: str, *, actor: Actor) -> None:
    if not password_matches(user, current):
        raise ServiceError(_("Uw huidige wachtwoord klopt niet."), field="current_password")
    check_password_strength(new, email=user.email, name=user.name)
    user.password_hash = hash_password(new)
    user.session_token = secrets.token_hex(16)


@authorized_by(can_edit_account)
def request_email_change(user: User, new_email: str, password: str, *, actor: Actor) -> None:
    """Mail a confirmation link to the new address; the change happens when it is followed."""
    if not password_matches(user, password):
        raise ServiceError(_("Uw wachtwoord klopt niet."), field="password")
    new_email = clean_email(new_email)
    if new_email == user.email:
        raise ServiceError(_("Dit is al uw e-mailadres."), field="email")
    owner = find_user_by_email(new_email)
    if owner is not None:  # answered as for a free address; its owner is told instead
        _mail_address_taken_notice(owner, by_registration=False)
        return
    raw = _issue_token(user, "email", current_app.config["VERIFY_TOKEN_HOURS"], new_email)
    mail_to(
        user,
        lambda: (
            _("Bevestig uw nieuwe e-mailadres"),
            _(
                "Beste %(name)s,\n\nBevestig dat u dit adres voortaan gebruikt voor het "
                "MVI-kennisportaal:\n\n%(link)s\n\nDe link werkt %(hours)d uur en één keer.",
                name=user.name,
                link=absolute_url("accounts.confirm_email", token=raw),
                hours=current_app.config["VERIFY_TOKEN_HOURS"],
            ),
        ),
        to=new_email,
    )


@authorized_by(_anyone)
def confirm_email_change(raw_token: str, *, actor: Actor) -> User:
    token = _consume_token(raw_token, "email")
    assert token.new_email is not None
    _ensure_email_free(token.new_email)
    token.user.email = token.new_email
    token.user.email_verified_at = utcnow()
    token.user.session_token = secrets.token_hex(16)
    return token.user


@authorized_by(can_edit_account)
def update_profile(
    user: User,
    *,
    name: str,
    job_role: JobRole | None,
    bio: str,
    expertise: list[Theme],
    actor: Actor,
    language: str | None = None,
) -> None:
    name = one_line(name)  # a name reaches mail subjects: no line breaks
    if not name or len(name) > 120:
        raise ServiceError(_("Vul een naam in van hoogstens 120 tekens."), field="name")
    if len(bio) > 1000:
        raise ServiceError(_("Uw korte bio mag hoogstens 1000 tekens lang zijn."), field="bio")
    if language is not None:
        if language not in current_app.config["LANGUAGES"]:
            raise ServiceError(_("Kies Nederlands of Engels."), field="language")
        user.language = language
    user.name = name
    user.job_role = job_role
    user.bio = bio.strip()
    user.expertise = list(expertise)


@authorized_by(can_edit_account)
def delete_account(user: User, password: str, *, actor: Actor) -> None:
    """Delete the account and its memberships; content it wrote stays with its organisation."""
    if not password_matches(user, password):
        raise ServiceError(_("Uw wachtwoord klopt niet."), field="password")
    db.session.delete(user)


@authorized_by(can_manage_user_roles)
def set_site_roles(
    user: User, *, is_moderator: bool, is_site_admin: bool, actor: Actor,
    is_expert: bool | None = None,
) -> None:  # fmt: skip
    """Site roles; a designated expert may verify answers (None leaves that flag as it is)."""
    user.is_moderator = is_moderator
    user.is_site_admin = is_site_admin
    if is_expert is not None:
        user.is_expert = is_expert


@authorized_by(can_manage_user_roles)
def create_verified_user(email: str, password: str, name: str, *, actor: Actor) -> User:
    """Create an account whose address an administrator vouches for (demo data, invitations)."""
    email = clean_email(email)
    name = clean_text(
        name, limit=120, field="name", label=_("de naam"), required=True, single_line=True
    )
    check_password_strength(password, email=email, name=name)
    _ensure_email_free(email)
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        session_token=secrets.token_hex(16),
        email_verified_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    return user
