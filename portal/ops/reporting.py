"""Error reporting to Sentry (or a compatible server such as GlitchTip) when SENTRY_DSN is set:
unhandled exceptions with the request id as a tag, without personal data."""

from __future__ import annotations

from flask import Flask

from portal.ops.logs import current_request_id


def init_app(app: Flask) -> None:
    dsn = app.config["SENTRY_DSN"]
    if not dsn:
        return
    import sentry_sdk  # only when configured: importing it hooks into logging and threads

    def tag_request(event: dict, hint: dict) -> dict:
        if request_id := current_request_id():
            event.setdefault("tags", {})["request_id"] = request_id
        return event

    sentry_sdk.init(
        dsn=dsn, environment=app.config["ENV_NAME"], send_default_pii=False,
        traces_sample_rate=app.config["SENTRY_TRACES_SAMPLE_RATE"], before_send=tag_request,
    )  # fmt: skip
