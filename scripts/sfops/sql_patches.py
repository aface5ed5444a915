"""SQL patches (playbook §6): one folder, applied in order, each recorded with its checksum.

- Patches are `sql/patches/NNNN_name.sql`, applied in file-name order, one transaction each.
- An applied patch must stay byte-identical: its sha256 is recorded in the database
  (`sfops_schema_patches`) and an edit is reported (write a new "revert" patch instead).
- A new patch with a destructive statement (DROP TABLE, ALTER TABLE ... DROP COLUMN or
  ... TYPE, TRUNCATE, DELETE without WHERE) is refused unless it carries the comment
  `-- sfops:allow-destructive`. Statements are found with PostgreSQL's own parser
  (pglast), so a keyword in a string or a comment is not mistaken for one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import psycopg
from pglast import parse_sql
from pglast.ast import AlterTableStmt, DeleteStmt, DropStmt, TruncateStmt
from pglast.enums import AlterTableType, ObjectType
from pglast.parser import ParseError, scan

ALLOW_MARKER = "sfops:allow-destructive"
TABLE = "sfops_schema_patches"
DATABASE_URL_ENV = "SFOPS_DATABASE_URL"
CREATE_TABLE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    name text PRIMARY KEY,
    sha256 text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


@dataclass(frozen=True)
class Patch:
    name: str
    path: Path
    sql: str
    sha256: str


def load_patches(folder: Path) -> list[Patch]:
    patches = []
    for path in sorted(folder.glob("*.sql")):
        raw = path.read_bytes()
        patches.append(Patch(path.name, path, raw.decode("utf-8"), hashlib.sha256(raw).hexdigest()))
    return patches


def destructive_statements(sql: str) -> list[str]:
    """What in `sql` destroys data, one description per statement; raises ValueError if unparsable."""
    try:
        statements = parse_sql(sql)
    except ParseError as exc:
        raise ValueError(f"not valid PostgreSQL: {exc}") from exc
    found: list[str] = []
    for raw in statements:
        stmt = raw.stmt
        if isinstance(stmt, DropStmt) and stmt.removeType == ObjectType.OBJECT_TABLE:
            found.append("DROP TABLE")
        elif isinstance(stmt, TruncateStmt):
            found.append("TRUNCATE")
        elif isinstance(stmt, DeleteStmt) and stmt.whereClause is None:
            found.append("DELETE without WHERE")
        elif isinstance(stmt, AlterTableStmt):
            for cmd in stmt.cmds or ():
                if cmd.subtype == AlterTableType.AT_DropColumn:
                    found.append("ALTER TABLE ... DROP COLUMN")
                elif cmd.subtype == AlterTableType.AT_AlterColumnType:
                    found.append("ALTER TABLE ... ALTER COLUMN ... TYPE")
    return found


def has_allow_marker(sql: str) -> bool:
    """The marker must be a real SQL comment (found by the scanner), not text in a string."""
    for token in scan(sql):
        if token.name in ("SQL_COMMENT", "C_COMMENT") and ALLOW_MARKER in sql[token.start : token.end + 1]:
            return True
    return False


@dataclass(frozen=True)
class PatchProblem:
    patch: str
    problem: str


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
        try:
            destructive = destructive_statements(patch.sql)
        except ValueError as exc:
            problems.append(PatchProblem(patch.name, str(exc)))
            continue
        if destructive and not has_allow_marker(patch.sql):
            problems.append(
                PatchProblem(
                    patch.name,
                    f"destructive statement(s): {', '.join(destructive)}; refused without a "
                    f"`-- {ALLOW_MARKER}` comment (playbook 6: prefer additive patches)",
                )
            )
    return pending, problems


def apply_pending(conn: psycopg.Connection[tuple[str, str]], pending: list[Patch]) -> list[str]:
    """Apply each pending patch in its own transaction and record it; returns the names applied."""
    done: list[str] = []
    with conn.transaction():
        conn.execute(CREATE_TABLE)
    for patch in pending:
        with conn.transaction():
            # One applier at a time: a second `patches apply` waits, then finds nothing to do.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (TABLE,))
            row = conn.execute(f"SELECT sha256 FROM {TABLE} WHERE name = %s", (patch.name,)).fetchone()  # noqa: S608
            if row is not None:
                continue
            conn.execute(patch.sql.encode())
            conn.execute(f"INSERT INTO {TABLE} (name, sha256) VALUES (%s, %s)", (patch.name, patch.sha256))  # noqa: S608
        done.append(patch.name)
    return done
