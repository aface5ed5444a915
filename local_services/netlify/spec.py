"""Netlify's own OpenAPI 2.0 definition, from the pinned npm package `@netlify/open-api`.

`make setup` installs it (`npm ci`, locked by package-lock.json) under the repo's
node_modules; nothing here reads outside the repository.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, cast

REPO = Path(__file__).resolve().parents[2]
SPEC_PACKAGE = "@netlify/open-api"
SPEC_FILE = REPO / "node_modules" / "@netlify" / "open-api" / "dist" / "swagger.json"


class SpecNotInstalled(FileNotFoundError):
    """The pinned spec package is missing: the set-up has not run (or node_modules was removed)."""


def netlify_spec_path() -> Path:
    if not SPEC_FILE.is_file():
        raise SpecNotInstalled(
            f"Netlify's OpenAPI spec is not installed ({SPEC_FILE} is missing): run `make setup`, "
            f"which installs the pinned {SPEC_PACKAGE} from package-lock.json with npm ci"
        )
    return SPEC_FILE


@functools.cache
def load_netlify_spec() -> dict[str, Any]:
    """The parsed spec; cached because it is 700 kB and never changes while we run."""
    with netlify_spec_path().open(encoding="utf-8") as handle:
        return cast(dict[str, Any], json.load(handle))
