"""`sfops patches` end to end against a real PostgreSQL: the guard, all-or-nothing, errors in words."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings

from local_services.postgres import PostgresCluster, start_cluster
from scripts.sfops.cli import cli
from tests.sql_patch_corpus import SEED, GeneratedPatch, patches

pytestmark = pytest.mark.integration


@pytest.fixture
def database(postgres: PostgresCluster, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> str:
    name = f"p_{abs(hash(request.node.name)) % 10**8}"
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    url = postgres.url(name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SEED.encode())
    monkeypatch.setenv("SFOPS_DATABASE_URL", url)
    return url


def sfops(*args: str) -> Result:
    """The whole CLI, as an operator runs it; an uncaught exception fails the test (no tracebacks)."""
    result = CliRunner().invoke(cli, ["--json", *args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def write(folder: Path, name: str, sql: str | bytes) -> None:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(sql if isinstance(sql, bytes) else sql.encode())


def fingerprint(url: str) -> tuple[object, ...]:
    """Everything a destructive patch could change: tables, columns, rows, triggers' state, records."""
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, 3"
        ).fetchall()
        rows = conn.execute(
            "SELECT (SELECT md5(string_agg(i::text, ',' ORDER BY id)) FROM items i), "
            "(SELECT count(*) FROM tags), (SELECT count(*) FROM pg_trigger WHERE tgenabled = 'D'), "
            "(SELECT count(*) FROM pg_proc WHERE proname LIKE 'sfops_%')"
        ).fetchone()
        recorded = conn.execute("SELECT to_regclass('sfops_schema_patches') IS NOT NULL").fetchone()
    return (tuple(tables), rows, recorded)


def recorded(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        if not conn.execute("SELECT to_regclass('sfops_schema_patches') IS NOT NULL").fetchone()[0]:  # type: ignore[index]
            return []
        return [row[0] for row in conn.execute("SELECT name FROM sfops_schema_patches ORDER BY name")]


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("UPDATE items SET name = NULL;", "UPDATE items without a WHERE"),
        ("WITH gone AS (DELETE FROM tags RETURNING id) SELECT count(*) FROM gone;", "DELETE FROM tags without a WHERE"),
        ("DO $$BEGIN EXECUTE 'DELETE FROM ' || 'items'; END$$;", "dynamic SQL in the DO block"),
        ("DROP SCHEMA public CASCADE;", "DROP SCHEMA public removes it and everything that depends on it (CASCADE)"),
        ("ALTER TABLE tags DISABLE TRIGGER ALL;\nINSERT INTO tags VALUES (99, 12345, 'orphan');", "no matching ENABLE"),
    ],
)
def test_destructive_patches_are_refused_and_change_nothing(
    tmp_path: Path, database: str, sql: str, named: str
) -> None:
    folder = tmp_path / "patches"
    write(folder, "0001_oops.sql", "-- cleanup\n" + sql + "\n")
    before = fingerprint(database)
    status = sfops("patches", "--dir", str(folder), "status")
    assert status.exit_code == 1
    problem = json.loads(status.stdout)["problems"][0]["problem"]
    assert named in problem
    assert "statement 1 (line 2" in problem
    assert "sfops:allow-destructive" in problem
    applied = sfops("patches", "--dir", str(folder), "apply")
    assert applied.exit_code == 1
    assert named in applied.stderr
    assert fingerprint(database) == before


def test_a_patch_with_commit_is_refused_and_nothing_is_half_applied(tmp_path: Path, database: str) -> None:
    folder = tmp_path / "patches"
    write(folder, "0001_half.sql", "CREATE TABLE first_half (id int);\nCOMMIT;\nINSERT INTO nowhere VALUES (1);\n")
    before = fingerprint(database)
    result = sfops("patches", "--dir", str(folder), "apply")
    assert result.exit_code == 1
    assert "COMMIT controls the transaction" in result.stderr
    assert "sfops:no-transaction" in result.stderr
    assert fingerprint(database) == before


def test_a_failing_statement_rolls_the_whole_patch_back_and_says_where(tmp_path: Path, database: str) -> None:
    folder = tmp_path / "patches"
    write(folder, "0001_ok.sql", "CREATE TABLE events (id int);\n")
    write(folder, "0002_bad.sql", "CREATE TABLE first_half (id int);\n\nINSERT INTO events\n  SELECT x FROM nowhere;\n")
    result = sfops("patches", "--dir", str(folder), "apply")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["applied"] == ["0001_ok.sql"]
    error = report["failed"]["error"]
    assert "0002_bad.sql, statement 2 at line 3" in error
    assert 'ERROR 42P01: relation "nowhere" does not exist (at line 4, column 17)' in error
    assert "nothing of this patch was applied" in error
    assert recorded(database) == ["0001_ok.sql"]
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT to_regclass('first_half')").fetchone() == (None,)
    # Fixed, it applies: nothing of the failed run is in the way.
    write(folder, "0002_bad.sql", "CREATE TABLE first_half (id int);\n")
    assert sfops("patches", "--dir", str(folder), "apply").exit_code == 0
    assert recorded(database) == ["0001_ok.sql", "0002_bad.sql"]


def test_concurrent_index_runs_outside_a_transaction_when_marked(tmp_path: Path, database: str) -> None:
    folder = tmp_path / "patches"
    write(folder, "0001_index.sql", "CREATE INDEX CONCURRENTLY items_qty ON items (qty);\n")
    refused = sfops("patches", "--dir", str(folder), "apply")
    assert refused.exit_code == 1
    assert "CREATE INDEX CONCURRENTLY cannot run inside a transaction" in refused.stderr
    write(
        folder,
        "0001_index.sql",
        "-- sfops:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS items_qty ON items (qty);\n",
    )
    assert sfops("patches", "--dir", str(folder), "apply").exit_code == 0
    assert recorded(database) == ["0001_index.sql"]


def test_a_failing_no_transaction_patch_says_what_stayed_applied(tmp_path: Path, database: str) -> None:
    folder = tmp_path / "patches"
    write(
        folder,
        "0001_two.sql",
        "-- sfops:no-transaction\n"
        "CREATE INDEX CONCURRENTLY a ON items (qty);\nCREATE INDEX CONCURRENTLY b ON nowhere (x);\n",
    )
    result = sfops("patches", "--dir", str(folder), "apply")
    assert result.exit_code == 1
    assert "statements 1 of this no-transaction patch stay applied and the patch is not recorded" in result.stderr
    assert recorded(database) == []


def test_a_non_utf8_patch_is_named(tmp_path: Path, database: str) -> None:
    folder = tmp_path / "patches"
    write(folder, "0001_latin1.sql", "INSERT INTO items VALUES (50, 'caf\u00e9', 1);\n".encode("latin-1"))
    result = sfops("patches", "--dir", str(folder), "status")
    assert result.exit_code == 1
    assert "not UTF-8 text (byte 34, line 1); save the file as UTF-8" in result.stdout


def test_a_missing_folder_says_so(tmp_path: Path, database: str) -> None:
    write(tmp_path / "patches", "0001.sql", "CREATE TABLE a (id int);\n")
    assert sfops("patches", "--dir", str(tmp_path / "patches"), "apply").exit_code == 0
    result = sfops("patches", "--dir", str(tmp_path / "typo"), "status")
    assert result.exit_code == 2
    assert f"no patches folder {tmp_path / 'typo'}" in result.stderr
    assert "missing from the patches folder" not in result.output


def test_connection_failures_say_refused_or_authentication(
    tmp_path: Path, postgres: PostgresCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "patches", "0001.sql", "CREATE TABLE a (id int);\n")
    monkeypatch.setenv("SFOPS_DATABASE_URL", "postgresql://postgres:pw@127.0.0.1:9/postgres")
    refused = sfops("patches", "--dir", str(tmp_path / "patches"), "status")
    assert refused.exit_code == 2
    assert "connection refused" in refused.stderr
    with start_cluster(password="right-password") as guarded:
        monkeypatch.setenv(
            "SFOPS_DATABASE_URL", f"postgresql://postgres:wrong-password@127.0.0.1:{guarded.port}/postgres"
        )
        denied = sfops("patches", "--dir", str(tmp_path / "patches"), "status")
    assert denied.exit_code == 2
    assert "authentication failed" in denied.stderr
    assert "wrong-password" not in denied.output


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(patch=patches(), marked=...)
def test_generated_patches_end_to_end(
    postgres: PostgresCluster, tmp_path: Path, patch: GeneratedPatch, marked: bool
) -> None:
    """No destructive patch applies without the marker, and every safe one applies, through `sfops patches apply`."""
    url = postgres.url("generated")
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS generated WITH (FORCE)")
        conn.execute("CREATE DATABASE generated")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SEED.encode())
    folder = tmp_path / "generated"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.sql"):
        old.unlink()
    sql = ("-- sfops:allow-destructive (reviewed)\n" if marked else "") + patch.sql
    write(folder, "0001_generated.sql", sql)
    before = fingerprint(url)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SFOPS_DATABASE_URL", url)
        result = sfops("patches", "--dir", str(folder), "apply")
    if patch.destructive and not marked:
        assert result.exit_code == 1, (sql, result.output)
        assert fingerprint(url) == before, sql
        assert recorded(url) == []
    elif not patch.destructive:
        assert result.exit_code == 0, (sql, result.output)
        assert recorded(url) == ["0001_generated.sql"]
    else:
        # Destructive and marked: it runs, and a statement the earlier ones broke fails cleanly.
        assert result.exit_code in (0, 1), (sql, result.output)


def test_the_applier_lock_is_held_by_another_session_while_a_patch_runs(tmp_path: Path, database: str) -> None:
    """A patch cannot release the one-applier lock: it is not held by the session the patch runs in."""
    folder = tmp_path / "patches"
    write(
        folder,
        "0001_lock.sql",
        "DO $$BEGIN\n"
        "  IF NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted\n"
        "                 AND pid <> pg_backend_pid() AND objid = hashtext('sfops_schema_patches')::oid) THEN\n"
        "    RAISE EXCEPTION 'no applier lock held by another session';\n"
        "  END IF;\n"
        "END$$;\n",
    )
    result = sfops("patches", "--dir", str(folder), "apply")
    assert result.exit_code == 0, result.output
    with psycopg.connect(database) as conn:  # released when the run ends
        assert conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").fetchone() == (0,)
