"""The local PostgreSQL keeps its data where its unprivileged user can reach it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from local_services import postgres_server
from local_services.postgres_server import data_root


def test_a_clone_in_a_private_directory_keeps_the_data_outside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "outside"
    monkeypatch.setattr(postgres_server, "OUTSIDE_CLONES", outside)
    private = tmp_path / "clone"
    (private / ".local-services").mkdir(parents=True)
    private.chmod(0o700)  # what `mktemp -d` makes
    requested = private / ".local-services" / "postgres"

    chosen = data_root(requested, "nobody")
    assert chosen.parent == outside
    assert chosen.name.startswith("postgres-")
    assert outside.stat().st_mode & 0o777 == 0o755
    assert data_root(requested, "nobody") == chosen  # the same clone finds its data again
    other = data_root(tmp_path / "other" / ".local-services" / "postgres", "nobody")
    assert other != chosen


def test_a_reachable_clone_or_a_server_run_as_ourselves_keeps_the_data_in_it(tmp_path: Path) -> None:
    private = tmp_path / "clone"
    (private / ".local-services").mkdir(parents=True)
    private.chmod(0o700)
    assert data_root(private / ".local-services" / "postgres", None) == private / ".local-services" / "postgres"

    # pytest's own tmp_path is under a 0700 directory: a reachable clone needs a place of its own.
    with tempfile.TemporaryDirectory(dir="/tmp") as shared:
        clone = Path(shared)
        clone.chmod(0o755)
        (clone / ".local-services").mkdir()
        assert data_root(clone / ".local-services" / "postgres", "nobody") == clone / ".local-services" / "postgres"
