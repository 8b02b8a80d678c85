"""Running the portal: health and readiness checks, structured logs with a request id,
Prometheus metrics and optional error reporting (Sentry). It reads the other packages' state
(database, migrations, search index, outbox) but no package imports it except create_app."""
