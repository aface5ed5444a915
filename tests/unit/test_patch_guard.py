"""The patch guard, on its own: generated patches with a known verdict, and each rule by example."""

from __future__ import annotations

import pglast
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts.sfops import patch_guard
from tests.sql_patch_corpus import GeneratedPatch, patches


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patches())
def test_destructive_needs_the_marker_and_safe_passes(patch: GeneratedPatch) -> None:
    report = patch_guard.inspect(patch.sql)
    assert report.parse_error is None, patch.sql
    refused = bool(report.refusals())
    assert refused == patch.destructive, (patch.sql, report.findings)
    marked = patch_guard.inspect(f"-- {patch_guard.ALLOW_DESTRUCTIVE}: reviewed\n{patch.sql}")
    assert not marked.refusals(), (patch.sql, marked.findings)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("UPDATE t SET a = NULL;", "UPDATE t without a WHERE"),
        ("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d;", "DELETE FROM t without a WHERE"),
        ("DO $$BEGIN EXECUTE format('DROP TABLE %I', 'x'); END$$;", "dynamic SQL in the DO block"),
        ("DO $$BEGIN EXECUTE 'TRUNCATE t'; END$$;", "TRUNCATE t removes every row"),
        ("DROP SCHEMA app CASCADE;", "DROP SCHEMA app removes it and everything that depends on it (CASCADE)"),
        ("ALTER TABLE t DISABLE TRIGGER ALL;", "has no matching ENABLE later in the patch"),
        ("ALTER TABLE t DISABLE TRIGGER audit; ALTER TABLE t ENABLE TRIGGER other;", "DISABLE TRIGGER audit"),
        ("SET session_replication_role = replica;", "never RESET"),
        ("DO LANGUAGE plperlu $$ 1 $$;", "cannot be read"),
        ("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'DELETE FROM t';", "DELETE FROM t"),
        ("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE;", "MERGE INTO t ... DELETE"),
        ("DROP ROLE app_user;", "DROP ROLE removes it"),
    ],
)
def test_destructive_examples_name_the_statement_and_the_fix(sql: str, reason: str) -> None:
    refusals = patch_guard.inspect("CREATE TABLE keep (id int);\n" + sql).refusals()
    assert refusals, sql
    assert any(reason in line and "statement 2 (line 2" in line for line in refusals), refusals
    assert all(patch_guard.ALLOW_DESTRUCTIVE in line for line in refusals)


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE t DISABLE TRIGGER ALL; INSERT INTO t VALUES (1); ALTER TABLE t ENABLE TRIGGER ALL;",
        "ALTER TABLE t DISABLE TRIGGER audit; ALTER TABLE t ENABLE TRIGGER audit;",
        "SET session_replication_role = replica; INSERT INTO t VALUES (1); RESET session_replication_role;",
        "SET LOCAL session_replication_role = replica; INSERT INTO t VALUES (1);",
        "DO $$BEGIN IF (SELECT count(*) FROM t) = 0 THEN INSERT INTO t VALUES (1); END IF; END$$;",
        "INSERT INTO t (note) VALUES ('DROP TABLE t; -- sfops:allow-destructive');",
        "ANALYZE t;",
    ],
)
def test_safe_examples_pass(sql: str) -> None:
    assert patch_guard.inspect(sql).refusals() == []


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("BEGIN; CREATE TABLE a (id int); COMMIT;", "BEGIN controls the transaction"),
        ("CREATE TABLE a (id int); COMMIT; CREATE TABLE b (id int);", "COMMIT controls the transaction"),
        ("ROLLBACK;", "ROLLBACK"),
        ("SAVEPOINT s;", "SAVEPOINT"),
        ("CREATE INDEX CONCURRENTLY i ON t (a);", "CREATE INDEX CONCURRENTLY cannot run inside a transaction"),
        ("REINDEX INDEX CONCURRENTLY i;", "REINDEX CONCURRENTLY"),
        ("VACUUM t;", "VACUUM cannot run inside a transaction"),
        ("DO $$BEGIN COMMIT; END$$;", "COMMIT in the DO block"),
        ("CREATE DATABASE other;", "CREATEDB cannot run inside a transaction"),
    ],
)
def test_transaction_control_needs_no_transaction(sql: str, reason: str) -> None:
    refusals = patch_guard.inspect(sql).refusals()
    assert any(reason in line and patch_guard.NO_TRANSACTION in line for line in refusals), refusals
    assert patch_guard.inspect(f"-- {patch_guard.NO_TRANSACTION}\n{sql}").refusals() == []


def test_a_marker_inside_a_string_is_not_a_marker() -> None:
    sql = "SELECT '-- sfops:allow-destructive';\nDELETE FROM t;"
    assert patch_guard.inspect(sql).refusals()


def test_bad_sql_names_the_line() -> None:
    report = patch_guard.inspect("CREATE TABLE a (id int);\nSELECT 1 FROM WHERE;\n")
    assert report.refusals() == [
        'not valid PostgreSQL: syntax error at or near "WHERE" at line 2 (fix the SQL; nothing was applied)'
    ]


TRANSACTION_CONTROL = (
    "COMMIT",
    "ROLLBACK",
    "BEGIN",
    "SAVEPOINT s1",
    "END",
    "CREATE INDEX CONCURRENTLY c ON items (qty)",
    "DO $$BEGIN COMMIT; END$$",
    "VACUUM items",
)


@settings(max_examples=200, deadline=None)
@given(patches(), st.sampled_from(TRANSACTION_CONTROL), st.integers(min_value=0, max_value=3), st.booleans())
def test_transaction_control_anywhere_needs_no_transaction(
    patch: GeneratedPatch, control: str, where: int, lower: bool
) -> None:
    # Statement boundaries as PostgreSQL sees them: a function body's own `;` is not one.
    statements = list(pglast.split(patch.sql))
    statements.insert(min(where, len(statements)), control.lower() if lower else control)
    sql = ";\n".join(statements) + ";\n"
    refusals = patch_guard.inspect(f"-- {patch_guard.ALLOW_DESTRUCTIVE}\n{sql}").refusals()
    assert any(patch_guard.NO_TRANSACTION in line for line in refusals), sql
    assert (
        patch_guard.inspect(f"-- {patch_guard.ALLOW_DESTRUCTIVE}\n-- {patch_guard.NO_TRANSACTION}\n{sql}").refusals()
        == []
    )
