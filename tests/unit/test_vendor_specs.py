"""Vendor specs come from pinned packages inside the repo, never from a path outside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local_services.netlify import spec
from local_services.netlify.spec import SpecNotInstalled, load_netlify_spec, netlify_spec_path

REPO = Path(__file__).resolve().parents[2]


def test_the_netlify_spec_is_the_locked_package_version() -> None:
    lock = json.loads((REPO / "package-lock.json").read_text())
    manifest = json.loads((REPO / "package.json").read_text())
    pinned = manifest["devDependencies"][spec.SPEC_PACKAGE]
    assert pinned[0].isdigit(), "pin an exact version, not a range"
    assert lock["packages"][f"node_modules/{spec.SPEC_PACKAGE}"]["version"] == pinned
    loaded = load_netlify_spec()
    assert (loaded["swagger"], loaded["info"]["version"]) == ("2.0", pinned)
    assert netlify_spec_path().is_relative_to(REPO)


def test_a_missing_spec_says_to_run_make_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spec, "SPEC_FILE", tmp_path / "swagger.json")
    with pytest.raises(SpecNotInstalled, match=r"run `make setup`.*@netlify/open-api"):
        netlify_spec_path()
