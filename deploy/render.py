"""Fill the {{PLACEHOLDERS}} of a deploy/ template from the environment and write the result:
    python deploy/render.py deploy/nginx/mvi-portal.conf /etc/nginx/sites-available/mvi-portal
Unknown or unset placeholders without a default stop with a message (nothing is written)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULTS = {
    "PORTAL_ROOT": str(ROOT),
    "RUN_DIR": "/run/mvi-portal",
    "NGINX_LISTEN": "80",
    "SERVER_NAME": "_",
    "APP_UPSTREAM": "unix:/run/mvi-portal/gunicorn.sock",
}
PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")


def render(text: str, values: dict[str, str]) -> str:
    missing = sorted({name for name in PLACEHOLDER.findall(text) if not values.get(name)})
    if missing:
        raise SystemExit(f"Geen waarde voor {', '.join(missing)}: zet ze in de omgeving.")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def main(template: str, target: str) -> None:
    values = {**DEFAULTS, **{k: v for k, v in os.environ.items() if k in DEFAULTS}}
    Path(target).write_text(render(Path(template).read_text(encoding="utf-8"), values), "utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
