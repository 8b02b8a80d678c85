"""`make loadtest`: the production profile (nginx -> gunicorn -> the app, plus the worker) on
PostgreSQL with the demo data and a generated corpus, loaded by Locust from 127.0.0.1 with a fixed,
bounded mix (deploy/loadtest/locustfile.py): first one user as the baseline, then many users
with think time, then the anonymous read-only mix without think time. Prints per route requests/s,
p50/p95/p99 and failures. Writes only its own database (mvi_loadtest) and instance/loadtest/."""

from __future__ import annotations

import argparse
import csv
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from portal.config import PROJECT_ROOT

RUN = PROJECT_ROOT / "instance" / "loadtest"
URL = "postgresql+psycopg://postgres@127.0.0.1:5432/mvi_loadtest"
PASSWORD = "Belastingtest-2026-wachtwoord"  # noqa: S105 - set on a demo account of its own database
NGINX, APP = "127.0.0.1:8090", "127.0.0.1:8091"
REDIS = "redis://127.0.0.1:6379/0"  # the machine's Redis; the load test's own keys


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "PORTAL_INSTANCE_DIR": str(RUN / "instance"),
            "SEARCH_ENGINE": "postgres", "RUN_DIR": str(RUN / "run"), "NGINX_LISTEN": NGINX,
            "GUNICORN_BIND": APP, "RATELIMIT_ENABLED": "false", "LOG_ACCESS": "false",
            # Several workers share the page generation through Redis, as several servers would.
            "CACHE_REDIS_URL": REDIS, "CACHE_REDIS_KEY": "mvi-loadtest:cache-generation",
            "PAGE_CACHE_REDIS_KEY": "mvi-loadtest:page-generation",
            "PATH": os.environ.get("PATH", "") + ":/usr/sbin"}  # fmt: skip


def prepare(url: str, items: int) -> None:
    """A fresh database with the demo data and `items` generated items (the bench's builder)."""
    subprocess.run([sys.executable, "-m", "portal.bench", "build", "--engine", "postgres",  # noqa: S603
                    "--url", url, "--items", str(items)], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    script = ("from portal import create_app\nfrom portal.extensions import db\n"
              "from portal.accounts.models import User\nfrom portal.accounts.services import hash_password\n"
              "app = create_app()\nwith app.app_context():\n"
              "    for user in db.session.scalars(db.select(User)):\n"
              f"        user.password_hash = hash_password({PASSWORD!r})\n"
              "    db.session.commit()\n")  # fmt: skip
    subprocess.run([sys.executable, "-c", script], check=True, env=_env(url))  # noqa: S603


def run_locust(name: str, users: int, seconds: int, classes: list[str], no_wait: bool) -> Path:
    prefix = RUN / name
    env = {
        **os.environ,
        "LOADTEST_PASSWORD": PASSWORD,
        **({"LOADTEST_NO_WAIT": "1"} if no_wait else {}),
    }
    subprocess.run([str(Path(sys.executable).parent / "locust"), "-f",  # noqa: S603
                    str(PROJECT_ROOT / "deploy" / "loadtest" / "locustfile.py"), "--headless",
                    "-u", str(users), "-r", str(max(1, users // 5)), "-t", f"{seconds}s",
                    "--host", f"http://{NGINX}", "--csv", str(prefix), "--only-summary",
                    "--loglevel", "WARNING", *classes],
                   check=False, env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)  # fmt: skip
    return Path(f"{prefix}_stats.csv")


def _home_times(seconds: float) -> list[float]:
    """The home page, fetched one after another for `seconds`: each time in ms."""
    times, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        urllib.request.urlopen(f"http://{NGINX}/", timeout=30).read()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _slow_upload(seconds: int, rate: int = 100_000) -> None:
    """One client sending a request body at `rate` bytes/s for `seconds` (nginx buffers it)."""
    host, port = NGINX.split(":")
    size = rate * seconds
    with socket.create_connection((host, int(port)), timeout=seconds + 30) as connection:
        connection.sendall(
            f"POST /aanbestedingen/belastingtest/bijlagen HTTP/1.1\r\nHost: {NGINX}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {size}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        chunk = b"x" * (rate // 10)
        for _ in range(seconds * 10):
            connection.sendall(chunk)
            time.sleep(0.1)
        connection.recv(1024)


def slow_uploads(seconds: int) -> list[str]:
    """The home page alone, then while two clients upload at 100 KB/s: p50/p95 of each."""
    alone = _home_times(10)
    uploads = [threading.Thread(target=_slow_upload, args=(seconds,)) for _ in range(2)]
    for upload in uploads:
        upload.start()
    during = _home_times(seconds - 5)
    for upload in uploads:
        upload.join()

    def line(label: str, times: list[float]) -> str:
        return (f"  {label:<34}{len(times):>6} keer  p50 {statistics.median(times):6.0f} ms"
                f"  p95 {statistics.quantiles(times, n=20)[-1]:6.0f} ms")  # fmt: skip

    return [f"Homepagina terwijl 2 clients {seconds} s lang uploaden met 100 KB/s",
            line("zonder uploads", alone), line("tijdens de uploads", during)]  # fmt: skip


def table(title: str, stats: Path) -> list[str]:
    lines = [
        title,
        f"  {'route':<22}{'requests':>9}{'req/s':>8}{'p50':>7}{'p95':>7}{'p99':>7}{'fail':>6}",
    ]
    with stats.open() as handle:
        for row in csv.DictReader(handle):
            lines.append(f"  {row['Name'][:21]:<22}{row['Request Count']:>9}"
                         f"{float(row['Requests/s']):>8.1f}{row['50%']:>7}{row['95%']:>7}"
                         f"{row['99%']:>7}{row['Failure Count']:>6}")  # fmt: skip
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.loadtest")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--baseline-seconds", type=int, default=30)
    parser.add_argument("--upload-seconds", type=int, default=40)
    parser.add_argument("--url", default=URL)
    args = parser.parse_args(argv)
    RUN.mkdir(parents=True, exist_ok=True)
    print(f"Database mvi_loadtest: demodata en {args.items} items ...", flush=True)
    prepare(args.url, args.items)
    server = subprocess.Popen([str(PROJECT_ROOT / "deploy" / "serve.sh")], cwd=PROJECT_ROOT,  # noqa: S603
                              env=_env(args.url), start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://{NGINX}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        print("Eén gebruiker (basislijn) ...", flush=True)
        lines = table(
            "1 gebruiker, 1-3 s denktijd (bezoeker + lid)",
            run_locust("baseline", 1, args.baseline_seconds, ["Visitor", "Member"], False),
        )
        print(f"{args.users} gebruikers ...", flush=True)
        lines += table(
            f"{args.users} gebruikers, 1-3 s denktijd (4 bezoekers : 1 lid)",
            run_locust("users", args.users, args.seconds, ["Visitor", "Member"], False),
        )
        print("Lezen zonder denktijd ...", flush=True)
        lines += table("8 bezoekers zonder denktijd (alleen lezen, anoniem)",
                       run_locust("reads", 8, args.baseline_seconds, ["Visitor"], True))  # fmt: skip
        print("Lezen zonder denktijd, ingelogd ...", flush=True)
        lines += table("8 ingelogde leden zonder denktijd (alleen lezen)",
                       run_locust("member-reads", 8, args.baseline_seconds, ["SignedInReader"],
                                  True))  # fmt: skip
        print("Trage uploads ...", flush=True)
        lines += slow_uploads(args.upload_seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
