"""Outgoing mail: SMTP when MAIL_SERVER is set, else a file under instance/mail/."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

from portal.common import utcnow
from portal.extensions import on_commit

log = logging.getLogger(__name__)


def absolute_url(endpoint: str, **values) -> str:
    """An absolute link for an e-mail, from PUBLIC_URL (also in the CLI, without a request)."""
    from flask import has_request_context, url_for

    if has_request_context():
        return current_app.config["PUBLIC_URL"] + url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return current_app.config["PUBLIC_URL"] + url_for(endpoint, **values)


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="mvi-portaal")
    # 8bit UTF-8 keeps the mail files under instance/mail/ readable, links unbroken.
    message.set_content(body, cte="8bit")
    return message


def deliver(message: EmailMessage) -> Path | None:
    """Send message now: by SMTP, or written to MAIL_DIR with its links logged."""
    config = current_app.config
    if config["MAIL_SERVER"]:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
        return None
    mail_dir = Path(config["MAIL_DIR"])
    mail_dir.mkdir(parents=True, exist_ok=True)
    recipient = re.sub(r"[^a-z0-9@.]+", "_", str(message["To"]).lower())
    path = mail_dir / f"{utcnow():%Y%m%dT%H%M%S%f}-{recipient}.eml"
    path.write_bytes(bytes(message))
    for link in re.findall(r"https?://\S+", message.get_content()):
        log.warning("Mail aan %s geschreven naar %s; link: %s", message["To"], path, link)
    return path


def send_mail(to: str, subject: str, body: str, *, unsubscribe_url: str | None = None) -> None:
    """Queue a mail that goes out only when the current transaction commits.

    With unsubscribe_url the mail carries List-Unsubscribe headers (one click, RFC 8058).
    """
    message = build_message(to, subject, body)
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def send() -> None:
        with app.app_context():
            try:
                deliver(message)
            except (OSError, smtplib.SMTPException):
                log.exception("Mail aan %s kon niet worden verstuurd", to)

    on_commit(send)
