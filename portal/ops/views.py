"""/healthz (the process answers), /readyz (it may take traffic: JSON with each check, 503 when
one fails) and /metrics (Prometheus; only with METRICS_TOKEN or from this machine directly)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request

from portal.extensions import csrf, limiter
from portal.ops.checks import readiness
from portal.ops.metrics import exposition
from portal.permissions import can_read_metrics

bp = Blueprint("ops", __name__)
csrf.exempt(bp)
limiter.exempt(bp)


@bp.route("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    checks = readiness()
    ready = all(check.ok for check in checks)
    body = {
        "status": "ok" if ready else "niet gereed",
        "checks": {c.name: {"ok": c.ok, "detail": c.detail, "ms": c.ms} for c in checks},
    }
    response = jsonify(body)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/metrics")
def metrics():
    if not can_read_metrics(request, current_app.config["METRICS_TOKEN"]):
        abort(404)
    return exposition()
