"""Which entries of a backup's table of contents (`pg_restore -l`) a restore applies, and which it refuses.

The rule is `scripts.sfops.backup.supabase_schemas`', the one the backup applied:
- the application's schemas: every entry (tables, data, grants, RLS policies), except
  default privileges set for another role (Supabase's `supabase_admin` sets its own);
- `auth` and `storage`: their rows (TABLE DATA, SEQUENCE SET) only, since a Supabase project has
  their definitions already; into a database without them (the scratch database of
  `--verify`, a plain PostgreSQL), their definitions too, without grants or policies;
- extensions: never created here (Supabase enables them; the target must have them);
- anything in another managed schema: refused, with the reason (a backup of the whole
  database, made before this rule, would collide with what Supabase owns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from scripts.sfops.backup.supabase_schemas import DATA_ONLY, is_application, is_managed

# pg_restore -l's descriptions that contain a space; the others are one word.
MULTI_WORD = (
    "TABLE DATA",
    "SEQUENCE SET",
    "SEQUENCE OWNED BY",
    "FK CONSTRAINT",
    "DEFAULT ACL",
    "ROW SECURITY",
    "CHECK CONSTRAINT",
    "EVENT TRIGGER",
    "FOREIGN TABLE",
    "FOREIGN DATA WRAPPER",
    "MATERIALIZED VIEW",
    "MATERIALIZED VIEW DATA",
    "TEXT SEARCH CONFIGURATION",
    "TEXT SEARCH DICTIONARY",
    "LARGE OBJECT",
    "BLOB",
    "BLOBS",
    "PUBLICATION TABLE",
    "PUBLICATION TABLES IN SCHEMA",
    "DATABASE PROPERTIES",
    "USER MAPPING",
    "SERVER",
)
LINE = re.compile(r"^(\d+); (\d+) (\d+) (.*)$")
DATA = ("TABLE DATA", "SEQUENCE SET")
# Entries that name roles or need ownership of Supabase's objects: never applied in a managed schema.
NOT_IN_MANAGED = ("ACL", "DEFAULT ACL", "COMMENT", "POLICY", "SECURITY LABEL")
SUPABASE_ROLES = re.compile(r"^(supabase_\w+|postgres_fdw_\w*)$")


class PlanRefused(Exception):
    """The backup cannot be restored here without touching what Supabase manages; nothing was changed."""


@dataclass(frozen=True)
class Entry:
    line: str
    dump_id: int
    desc: str
    schema: str  # "-" when the object has none (schemas, extensions)
    name: str
    owner: str

    @property
    def label(self) -> str:
        where = self.name if self.schema == "-" else f"{self.schema}.{self.name}"
        return f"{self.desc} {where}"

    def target_schema(self) -> str:
        """The schema an entry belongs to: its own for a SCHEMA or `ACL - SCHEMA x`, else its schema column."""
        if self.desc == "SCHEMA":
            return self.name
        if self.schema == "-" and self.name.startswith("SCHEMA "):
            return self.name.removeprefix("SCHEMA ")
        return self.schema


def parse_entry(line: str) -> Entry | None:
    match = LINE.match(line)
    if match is None:
        return None
    rest = match[4]
    desc = next((d for d in sorted(MULTI_WORD, key=len, reverse=True) if rest.startswith(d + " ")), None)
    desc = desc or rest.split(" ", 1)[0]
    schema, _, tail = rest[len(desc) + 1 :].partition(" ")
    name, _, owner = tail.rpartition(" ")
    return Entry(line, int(match[1]), desc, schema, name, owner)


def parse_toc(text: str) -> list[Entry]:
    return [entry for line in text.splitlines() if (entry := parse_entry(line)) is not None]


@dataclass(frozen=True)
class Target:
    """What the restore finds in the target database."""

    schemas: frozenset[str]
    tables: frozenset[str]  # "schema.table" in the DATA_ONLY schemas
    role: str  # the restoring role


@dataclass
class Plan:
    keep: list[Entry] = field(default_factory=list)
    skipped: list[Entry] = field(default_factory=list)
    data_tables: list[str] = field(default_factory=list)  # "schema.table" rows restored into a managed schema
    extensions: list[str] = field(default_factory=list)
    refused: list[Entry] = field(default_factory=list)  # definitions in a schema Supabase manages

    def list_file(self) -> str:
        """The `pg_restore -L` list: the kept entries in the archive's order."""
        return "".join(entry.line + "\n" for entry in self.keep)


def _managed_entry(entry: Entry, schema: str, target: Target, plan: Plan) -> None:
    if schema not in DATA_ONLY:
        plan.refused.append(entry)
        return
    if entry.desc in DATA:
        plan.keep.append(entry)
        if entry.desc == "TABLE DATA":
            plan.data_tables.append(f"{entry.schema}.{entry.name}")
    elif schema not in target.schemas and entry.desc not in NOT_IN_MANAGED:
        plan.keep.append(entry)  # a database without auth/storage: their tables come from the backup
    else:
        plan.skipped.append(entry)


def make_plan(entries: list[Entry], target: Target) -> Plan:
    plan = Plan()
    for entry in entries:
        schema = entry.target_schema()
        if entry.desc == "EXTENSION":
            plan.extensions.append(entry.name)
            plan.skipped.append(entry)
        elif entry.desc == "COMMENT" and entry.name.startswith("EXTENSION "):
            plan.skipped.append(entry)  # only an extension's owner may comment on it
        elif schema == "-":
            # Objects without a schema (publications, event triggers...): ours unless a Supabase role owns them.
            (plan.skipped if SUPABASE_ROLES.match(entry.owner) else plan.keep).append(entry)
        elif is_managed(schema):
            _managed_entry(entry, schema, target, plan)
        elif entry.desc == "DEFAULT ACL" and entry.owner != target.role:
            plan.skipped.append(entry)  # another role's defaults: only that role (or a superuser) may set them
        elif entry.desc == "SCHEMA" and schema == "public" and "public" in target.schemas:
            plan.skipped.append(entry)  # Supabase's `public` stays; --clean must not drop it
        else:
            assert is_application(schema)
            plan.keep.append(entry)
    if plan.refused:
        schemas = sorted({entry.target_schema() for entry in plan.refused})
        raise PlanRefused(
            f"the backup holds {len(plan.refused)} definitions in {', '.join(schemas)}, "
            f"{'a schema' if len(schemas) == 1 else 'schemas'} Supabase manages (first: {plan.refused[0].label}): "
            "restoring them would replace Supabase's own objects, so nothing was restored (fix: restore a backup "
            "made by this version, which leaves managed schemas out, or pick entries by hand with pg_restore -L, "
            "see the README)"
        )
    missing = [t for t in plan.data_tables if t.split(".")[0] in target.schemas and t not in target.tables]
    if missing:
        raise PlanRefused(
            f"the backup holds rows of {', '.join(missing)}, which the target's managed schemas do not have "
            "(a project on another Supabase version?); nothing was restored"
        )
    return plan
