"""Outgoing mail: SMTP when MAIL_SERVER is set, else a file under instance/mail/."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Protocol

from blinker import Namespace
from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import Session

from portal.common import current_language, one_line, utcnow
from portal.outbox.models import OutboxMessage
from portal.outbox.services import handles, record

log = logging.getLogger(__name__)


def absolute_url(endpoint: str, **values) -> str:
    """An absolute link for an e-mail, from PUBLIC_URL (also in the CLI, without a request)."""
    from flask import has_request_context, url_for

    if has_request_context():
        return current_app.config["PUBLIC_URL"] + url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return current_app.config["PUBLIC_URL"] + url_for(endpoint, **values)


def build_message(
    to: str, subject: str, body: str, *, message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:  # fmt: skip
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = one_line(subject)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = message_id or make_msgid(domain="mvi-portaal")
    # 8bit UTF-8 keeps the mail files under instance/mail/ readable, links unbroken.
    message.set_content(body, cte="8bit")
    # After set_content, which drops every Content-* header set before it (Content-Language).
    for name, value in (headers or {}).items():
        message[name] = one_line(value)
    return message


def deliver(message: EmailMessage) -> Path | None:
    """Send message now: by SMTP (raising when the server does not accept it), or written to
    MAIL_DIR with its links logged."""
    config = current_app.config
    if config["MAIL_SERVER"]:
        timeout = config.get("MAIL_TIMEOUT", 10)
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            refused = smtp.send_message(message)
            if refused:
                raise smtplib.SMTPRecipientsRefused(refused)
        return None
    mail_dir = Path(config["MAIL_DIR"])
    mail_dir.mkdir(parents=True, exist_ok=True)
    recipient = re.sub(r"[^a-z0-9@.]+", "_", str(message["To"]).lower())
    path = mail_dir / f"{utcnow():%Y%m%dT%H%M%S%f}-{recipient}.eml"
    path.write_bytes(bytes(message))
    for link in re.findall(r"https?://\S+", message.get_content()):
        log.warning("Mail aan %s geschreven naar %s; link: %s", message["To"], path, link)
    return path


# Sent after a mail's delivery (in the delivering transaction), with its payload's `meta`: e.g.
# notifications mark their notices mailed only once the server accepted the mail.
mail_delivered = Namespace().signal("mail-delivered")


class Recipient(Protocol):
    email: str
    language: str


def recipient_language(recipient: Recipient | None) -> str:
    """The language mail to this member is written in (Dutch for an unknown one)."""
    language = getattr(recipient, "language", None)
    return language if language in current_app.config["LANGUAGES"] else "nl"


def mail_to(
    recipient: Recipient, text: Callable[[], tuple[str, str]], *, to: str | None = None,
    unsubscribe_url: str | None = None, meta: dict[str, Any] | None = None,
) -> OutboxMessage:  # fmt: skip
    """Record a mail to a member, its (subject, body) made by `text` in the member's language,
    never in the language of whoever caused it; `to` overrides the address (a new e-mail)."""
    language = recipient_language(recipient)
    with force_locale(language):
        subject, body = text()
    return send_mail(
        to or recipient.email, subject, body, language=language,
        unsubscribe_url=unsubscribe_url, meta=meta,
    )  # fmt: skip


def send_mail(
    to: str, subject: str, body: str, *, language: str | None = None,
    unsubscribe_url: str | None = None, meta: dict[str, Any] | None = None,
) -> OutboxMessage:  # fmt: skip
    """Record a mail in the outbox: it leaves only after the current transaction commits, and is
    retried until the mail server accepts it (the request never waits on SMTP).

    The mail says it is in `language` (Content-Language; by default the language the text is
    being made in). Mail to a member goes through mail_to(), which writes it in theirs.
    With unsubscribe_url the mail carries List-Unsubscribe headers (one click, RFC 8058).
    """
    headers = {"Content-Language": language or current_language()}
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    payload = {
        "to": to, "subject": one_line(subject), "body": body, "headers": headers,
        "message_id": make_msgid(domain="mvi-portaal"), "meta": meta or {},
    }  # fmt: skip
    return record("mail", payload)


@handles("mail")
def _deliver_recorded(payload: dict[str, Any], session: Session) -> None:
    message = build_message(
        payload["to"], payload["subject"], payload["body"],
        message_id=payload.get("message_id"), headers=payload.get("headers"),
    )  # fmt: skip
    deliver(message)
    mail_delivered.send(current_app._get_current_object(), meta=payload.get("meta") or {},
                        session=session)  # fmt: skip
