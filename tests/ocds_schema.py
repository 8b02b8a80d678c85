"""The OCDS 1.1.5 schemas of ../shared/ocds-1.1.5 with the extensions the portal declares patched
in (portal/ocds/extensions/), for validating exports with jsonschema without a network."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "ocds-1.1.5"
if not SHARED.exists():  # a worktree beside the main checkout
    SHARED = Path("/work/shared/ocds-1.1.5")
EXTENSIONS = Path(__file__).resolve().parents[1] / "portal" / "ocds" / "extensions"


def _merge_patch(target: dict, patch: dict) -> dict:
    """RFC 7386 JSON Merge Patch: how OCDS applies an extension's release-schema.json."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_patch(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


@cache
def release_schema() -> dict:
    schema = json.loads((SHARED / "release-schema.json").read_text())
    for name in (
        "ocds_bid_extension",
        "ocds_lots_extension",
        "ocds_awardCriteriaBreakdown_extension",
    ):
        patch = json.loads((EXTENSIONS / f"{name}.release-schema.json").read_text())
        _merge_patch(schema, patch)
    return schema


@cache
def _validators() -> tuple[Draft4Validator, Draft4Validator]:
    release = release_schema()
    package = json.loads((SHARED / "release-package-schema.json").read_text())
    registry = Registry().with_resource(release["id"], Resource(release, specification=DRAFT4))
    checker = FormatChecker()
    return (
        Draft4Validator(release, format_checker=checker, registry=registry),
        Draft4Validator(package, format_checker=checker, registry=registry),
    )


def release_errors(release: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in _validators()[0].iter_errors(release)]  # fmt: skip


def package_errors(package: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in _validators()[1].iter_errors(package)]  # fmt: skip
