"""Prometheus metrics: requests and their latency per route (counted in the process, across
gunicorn's workers through PROMETHEUS_MULTIPROC_DIR), and, read from the database at each scrape,
the outbox's depth and age per topic, the search index's lag and failing mail."""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from portal.outbox.queries import waiting

REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "portal_requests_total", "Requests answered, per route, method and status.",
    ["route", "method", "status"], registry=REGISTRY,
)  # fmt: skip
LATENCY = Histogram(
    "portal_request_duration_seconds", "Time to answer a request, per route.", ["route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10), registry=REGISTRY,
)  # fmt: skip
PAGE_CACHE = Counter(
    "portal_page_cache_total", "Pages of cached blueprints: sent from the cache (hit), rendered "
    "and kept (miss), rendered and not kept (skip).", ["result"], registry=REGISTRY,
)  # fmt: skip


class OutboxCollector:
    """Gauges read from the outbox table when scraped (the same in every worker)."""

    def describe(self):
        return []  # read only when scraped, inside a request

    def collect(self):
        depth = GaugeMetricFamily(
            "portal_outbox_waiting", "Undelivered side effects.", labels=["topic"]
        )
        age = GaugeMetricFamily("portal_outbox_oldest_age_seconds", "Age of the oldest undelivered "
                                "side effect.", labels=["topic"])  # fmt: skip
        failing = GaugeMetricFamily("portal_outbox_failing", "Undelivered side effects that failed "
                                    "at least once.", labels=["topic"])  # fmt: skip
        rows = {row.topic: row for row in waiting()}
        for topic in sorted({"mail", "index", *rows}):
            row = rows.get(topic)
            depth.add_metric([topic], row.count if row else 0)
            age.add_metric([topic], row.age_seconds if row else 0)
            failing.add_metric([topic], row.failing if row else 0)
        yield depth
        yield age
        yield failing
        lag = GaugeMetricFamily("portal_search_index_lag_seconds", "How long the oldest change "
                                "has waited to reach the search index.")  # fmt: skip
        lag.add_metric([], rows["index"].age_seconds if "index" in rows else 0)
        yield lag
        mail = GaugeMetricFamily("portal_mail_failing", "Mails that failed at least once and wait "
                                 "for a retry.")  # fmt: skip
        mail.add_metric([], rows["mail"].failing if "mail" in rows else 0)
        yield mail


REGISTRY.register(OutboxCollector())


def exposition() -> Response:
    """The metrics in Prometheus' text format: with several gunicorn workers (the environment
    sets PROMETHEUS_MULTIPROC_DIR), the request metrics of all of them."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(OutboxCollector())
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    """Count each request (its start is taken by the logs' before_request)."""

    @app.after_request
    def _count(response: Response) -> Response:
        if "request_started" in g:
            route = request.url_rule.rule if request.url_rule else "(geen route)"
            REQUESTS.labels(route, request.method, str(response.status_code)).inc()
            LATENCY.labels(route).observe(time.perf_counter() - g.request_started)
        if state := response.headers.get("X-Page-Cache"):  # set by portal/pagecache.py
            PAGE_CACHE.labels(state).inc()
        return response
