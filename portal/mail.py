"""Outgoing mail: SMTP when MAIL_SERVER is set, else a file under instance/mail/."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from blinker import Namespace
from flask import current_app
from sqlalchemy.orm import Session

from portal.common import one_line, utcnow
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
    for name, value in (headers or {}).items():
        message[name] = one_line(value)
    # 8bit UTF-8 keeps the mail files under instance/mail/ readable, links unbroken.
    message.set_content(body, cte="8bit")
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


def send_mail(
    to: str, subject: str, body: str, *, unsubscribe_url: str | None = None,
    meta: dict[str, Any] | None = None,
) -> OutboxMessage:  # fmt: skip
    """Record a mail in the outbox: it leaves only after the current transaction commits, and is
    retried until the mail server accepts it (the request never waits on SMTP).

    With unsubscribe_url the mail carries List-Unsubscribe headers (one click, RFC 8058).
    """
    headers = {}
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
