"""`psql_rows`: the one way the backup job asks the database something."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from scripts.sfops.backup.pg_versions import VersionError, check_versions
from scripts.sfops.backup.psql import psql_rows


def fake_client(tmp_path: Path, name: str, script: str) -> str:
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_rows_are_split_on_tabs_and_the_arguments_ignore_psqlrc_and_never_prompt(tmp_path: Path) -> None:
    args = tmp_path / "args"
    psql = fake_client(tmp_path, "psql", f'echo "$@" > {args}; printf "s\\tapp\\ne\\tpgcrypto\\n\\n"')
    assert psql_rows(psql, {}, "SELECT 1", RuntimeError) == [["s", "app"], ["e", "pgcrypto"]]
    assert args.read_text().split()[:5] == ["-X", "-A", "-t", "-q", "-w"]


def test_a_failed_query_raises_the_callers_error_with_psqls_message(tmp_path: Path) -> None:
    psql = fake_client(tmp_path, "psql", 'echo "FATAL: password authentication failed" >&2; exit 2')
    with pytest.raises(VersionError, match="cannot connect to the database: FATAL: password authentication failed"):
        check_versions(fake_client(tmp_path, "pg_dump", 'echo "pg_dump (PostgreSQL) 17.2"'), psql, {})


def test_the_server_version_is_read_from_one_row(tmp_path: Path) -> None:
    psql = fake_client(tmp_path, "psql", 'printf "150014\\tPostgreSQL 15.14 on x86_64-pc-linux-gnu\\n"')
    versions = check_versions(fake_client(tmp_path, "pg_dump", 'echo "pg_dump (PostgreSQL) 17.2"'), psql, {})
    assert versions.server_major == 15
    assert versions.server == "15.14"
