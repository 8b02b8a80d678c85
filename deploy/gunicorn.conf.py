"""gunicorn settings for the MVI portal, read by `make serve` and by the systemd unit
(`gunicorn -c deploy/gunicorn.conf.py 'portal:create_app()'`). Every value can be overridden
from the environment (see deploy/mvi-portal.env.example).

Worker model: nginx in front buffers whole requests (uploads land on its disk first) and whole
responses, so a slow client never holds a worker; the app's time goes to Python work and database
round-trips. `gthread` workers (one process per core, a few threads each) let a worker overlap
those round-trips while keeping the memory of one process per core; 2 processes x 4 threads on
this 2-core machine class. Measured with `make loadtest` (README): 4 processes x 2 threads sent
more pages from the page cache but, each process keeping its own caches, were slower for members
(76 against 113 reads/s) and at 50 users (p95 560 against 370 ms). Measure before changing it.
"""

import multiprocessing
import os
import shutil
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "unix:/run/mvi-portal/gunicorn.sock")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))  # a request that takes longer is a bug
graceful_timeout = 30
keepalive = 5  # nginx keeps connections to the app open
max_requests = 5000  # recycle a worker now and then (guards against slow leaks) ...
max_requests_jitter = 500  # ... never all at once
# The workers' heartbeat files in memory, not on a disk that may stall (gunicorn's advice).
SHM = Path("/dev/shm")  # noqa: S108 - only gunicorn's own heartbeat files go here
worker_tmp_dir = str(SHM) if SHM.is_dir() else None
accesslog = None  # the app writes one structured access line per request (portal/ops/logs.py)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = "127.0.0.1,::1"  # only nginx on this machine may set X-Forwarded-*
proc_name = "mvi-portal"
# gunicornc's control socket beside the app's socket (not in the service user's home).
control_socket = os.path.join(os.environ.get("RUN_DIR", "/run/mvi-portal"), "gunicorn.ctl")


def on_starting(server):
    """Start with an empty metrics folder: the workers of a previous run are gone."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    """Let /metrics forget a worker that ended (its counters stay summed in the totals)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
