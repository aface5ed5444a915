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


# The spec spells the scope `post-processing` in env var bodies and `post_processing` in the
# site env filter; Netlify's own CLI (netlify-cli env:set) sends `post_processing` in bodies and
# the API accepts it. Both spellings are accepted wherever the spec lists one of them.
SCOPE_SPELLINGS = ("post-processing", "post_processing")


def _accept_both_scope_spellings(node: Any) -> None:
    if isinstance(node, dict):
        enum = node.get("enum")
        if isinstance(enum, list) and any(s in enum for s in SCOPE_SPELLINGS):
            node["enum"] = [*enum, *(s for s in SCOPE_SPELLINGS if s not in enum)]
        for child in node.values():
            _accept_both_scope_spellings(child)
    elif isinstance(node, list):
        for child in node:
            _accept_both_scope_spellings(child)


@functools.cache
def load_netlify_spec() -> dict[str, Any]:
    """The parsed spec; cached because it is 700 kB and never changes while we run."""
    with netlify_spec_path().open(encoding="utf-8") as handle:
        spec = cast(dict[str, Any], json.load(handle))
    _accept_both_scope_spellings(spec)
    return spec
