"""SQL patches (playbook §6): one folder, applied in order, each recorded with its checksum.

- Patches are `sql/patches/NNNN_name.sql` (UTF-8), applied in file-name order.
- An applied patch must stay byte-identical: its sha256 is recorded in the database
  (`sfops_schema_patches`) and an edit is reported (write a new "revert" patch instead).
- What a new patch does is judged by `patch_guard` over its whole parse tree: destructive
  statements need `-- sfops:allow-destructive`; statements that cannot run in a transaction
  need `-- sfops:no-transaction`.
- All or nothing: a patch runs in one transaction together with its record, so it is either
  applied and recorded or not applied at all. A `no-transaction` patch runs statement by
  statement and is recorded only after its last one. Either way one applier at a time: the
  advisory lock is held by a separate session for the whole run, so nothing a patch does can
  release it.
- A database error is reported with the statement, its line, the server's message and the
  position, never as a traceback.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql as pgsql

from scripts.sfops import patch_guard
from scripts.sfops.database_errors import describe_server_error

TABLE = "sfops_schema_patches"
DATABASE_URL_ENV = "SFOPS_DATABASE_URL"
ALLOW_MARKER = patch_guard.ALLOW_DESTRUCTIVE
CREATE_TABLE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    name text PRIMARY KEY,
    sha256 text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""
LOCK_KEY = TABLE  # pg_advisory_lock(hashtext(...)): one applier per database


@dataclass(frozen=True)
class Patch:
    name: str
    path: Path
    sql: str | None  # None: the file is not UTF-8 text (see `unreadable`)
    sha256: str
    unreadable: str | None = None


@dataclass(frozen=True)
class PatchProblem:
    patch: str
    problem: str


class PatchFailed(Exception):
    """A statement of a patch failed in the database; `message` says which, where and why."""

    def __init__(self, patch: str, message: str, partly_applied: bool) -> None:
        super().__init__(message)
        self.patch = patch
        self.partly_applied = partly_applied


def load_patches(folder: Path) -> list[Patch]:
    patches = []
    for path in sorted(folder.glob("*.sql")):
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        try:
            patches.append(Patch(path.name, path, raw.decode("utf-8"), digest))
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            problem = f"not UTF-8 text (byte {exc.start}, line {line}); save the file as UTF-8"
            patches.append(Patch(path.name, path, None, digest, problem))
    return patches


def guard_problems(patch: Patch) -> list[str]:
    if patch.sql is None:
        return [patch.unreadable or "unreadable"]
    return patch_guard.inspect(patch.sql).refusals()


def applied_checksums(conn: psycopg.Connection[tuple[str, str]]) -> dict[str, str]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (TABLE,))
        row = cursor.fetchone()
        if row is None or not row[0]:
            return {}
        cursor.execute(f"SELECT name, sha256 FROM {TABLE}")  # noqa: S608 - a constant table name
        return dict(cursor.fetchall())


def check_patches(patches: list[Patch], applied: dict[str, str] | None) -> tuple[list[Patch], list[PatchProblem]]:
    """(pending patches, problems). `applied` None: no database to compare with."""
    problems: list[PatchProblem] = []
    pending: list[Patch] = []
    known = {patch.name for patch in patches}
    for name in sorted(set(applied or {}) - known):
        problems.append(PatchProblem(name, "applied to the database but missing from the patches folder"))
    for patch in patches:
        recorded = (applied or {}).get(patch.name)
        if recorded is not None:
            if recorded != patch.sha256:
                problems.append(
                    PatchProblem(patch.name, "edited after it was applied (checksum differs); add a new patch instead")
                )
            continue
        pending.append(patch)
        problems += [PatchProblem(patch.name, problem) for problem in guard_problems(patch)]
    return pending, problems


@contextmanager
def applier_lock(url: str) -> Iterator[None]:
    """The one-applier lock on its own session: held until the run ends, whatever the patches do."""
    with psycopg.connect(url, connect_timeout=10, autocommit=True) as session:
        session.execute("SELECT pg_advisory_lock(hashtext(%s))", (LOCK_KEY,))
        try:
            yield
        finally:
            session.execute("SELECT pg_advisory_unlock(hashtext(%s))", (LOCK_KEY,))


def _is_recorded(conn: psycopg.Connection[tuple[str, str]], name: str) -> bool:
    query = pgsql.SQL("SELECT 1 FROM {} WHERE name = %s").format(pgsql.Identifier(TABLE))
    return conn.execute(query, (name,)).fetchone() is not None


def _record(conn: psycopg.Connection[tuple[str, str]], patch: Patch, ran: list[int]) -> None:
    query = pgsql.SQL("INSERT INTO {} (name, sha256) VALUES (%s, %s)").format(pgsql.Identifier(TABLE))
    try:
        conn.execute(query, (patch.name, patch.sha256))
    except psycopg.Error as exc:
        # E.g. the patch dropped the schema that holds the record table.
        reason = describe_server_error(exc, "", 1)
        raise PatchFailed(patch.name, f"{patch.name}: cannot record it in {TABLE}: {reason}", bool(ran)) from None


def _run_statements(conn: psycopg.Connection[tuple[str, str]], patch: Patch, ran: list[int]) -> None:
    assert patch.sql is not None
    for statement, _node in patch_guard.split_statements(patch.sql):
        try:
            # bytes: sent as written, with no client-side placeholder handling of a literal %.
            conn.execute(statement.text.encode())
        except psycopg.Error as exc:
            where = f"{patch.name}, statement {statement.index} at line {statement.line}"
            shown = patch_guard.short(statement.text)
            reason = describe_server_error(exc, statement.text, statement.line)
            raise PatchFailed(patch.name, f"{where} ({shown}): {reason}", partly_applied=bool(ran)) from None
        ran.append(statement.index)


def apply_patch(conn: psycopg.Connection[tuple[str, str]], patch: Patch) -> bool:
    """Apply one patch (the caller holds `applier_lock`); False when another applier recorded it first."""
    if _is_recorded(conn, patch.name):
        return False
    assert patch.sql is not None
    if patch_guard.inspect(patch.sql).outside_transaction:
        ran: list[int] = []
        try:
            _run_statements(conn, patch, ran)
            _record(conn, patch, ran)
        except PatchFailed as failed:
            if failed.partly_applied:
                done = ", ".join(str(index) for index in ran)
                raise PatchFailed(
                    patch.name,
                    f"{failed}; statements {done} of this no-transaction patch stay applied and the patch is not "
                    "recorded: fix the failing statement, then apply again (each statement must be safe to repeat)",
                    partly_applied=True,
                ) from None
            raise
        return True
    try:
        with conn.transaction():
            _run_statements(conn, patch, [])
            _record(conn, patch, [])
    except PatchFailed as failed:
        raise PatchFailed(patch.name, f"{failed}; nothing of this patch was applied (rolled back)", False) from None
    finally:
        conn.execute("RESET ALL")  # a SET in one patch must not carry over to the next
    return True


def apply_pending(
    url: str, conn: psycopg.Connection[tuple[str, str]], pending: list[Patch]
) -> tuple[list[str], PatchFailed | None]:
    """Apply each pending patch in order and record it: (the names applied, the failure that stopped it).

    The patches before a failing one stay applied and recorded; the ones after it are not tried.
    """
    done: list[str] = []
    with applier_lock(url):
        conn.execute(CREATE_TABLE)
        for patch in pending:
            try:
                if apply_patch(conn, patch):
                    done.append(patch.name)
            except PatchFailed as failed:
                return done, failed
    return done, None


def destructive_statements(sql: str) -> list[str]:
    """The reasons a patch's statements are destructive (for tests and tools); ValueError if unparsable."""
    report = patch_guard.inspect(sql)
    if report.parse_error is not None:
        raise ValueError(f"not valid PostgreSQL: {report.parse_error}")
    return [finding.reason for finding in report.findings if finding.kind == "destructive"]
