"""The schemas Supabase manages in every project, and what a backup keeps of each.

Shipped to the backup host with the rest of this package, so the nightly `pg_dump` and the
operator's `sfops restore` apply the same rule. The list follows the Supabase CLI's own
(`supabase db dump` "excludes Supabase managed schemas: auth, storage, and those created by
extensions", https://supabase.com/docs/reference/cli/supabase-db-dump; its data dump also
leaves out the migration-history tables `auth.schema_migrations` and `storage.migrations`).

- DATA_ONLY: Supabase owns the definitions, the application owns the rows: the phone-OTP
  accounts in `auth.users` (and their identities, sessions...) and the Storage metadata in
  `storage.buckets`/`storage.objects`. Their rows are backed up and restored; their tables,
  functions, grants and policies never are (a project already has them).
- Every other managed schema (and pg_*) is neither dumped nor restored.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

DATA_ONLY = ("auth", "storage")
# Migration history of Supabase's own services: a new project has its own rows here.
EXCLUDED_TABLE_DATA = ("auth.schema_migrations", "storage.migrations", "supabase_functions.migrations")
# Glob patterns, as pg_dump's --exclude-schema reads them.
EXCLUDED = (
    "_analytics",
    "_realtime",
    "_supavisor",
    "cron",
    "dbdev",
    "extensions",
    "graphql",
    "graphql_public",
    "net",
    "pgbouncer",
    "pgmq",
    "pgsodium",
    "pgsodium_masks",
    "pgtle",
    "realtime",
    "repack",
    "supabase_functions",
    "supabase_migrations",
    "tiger",
    "tiger_data",
    "topology",
    "vault",
    "_timescaledb*",
    "timescaledb*",
)
SYSTEM = ("pg_catalog", "information_schema", "pg_toast")


def is_system(schema: str) -> bool:
    return schema in SYSTEM or schema.startswith(("pg_temp", "pg_toast_temp"))


def is_managed(schema: str) -> bool:
    """Supabase's (or PostgreSQL's) schema, not the application's."""
    return is_system(schema) or schema in DATA_ONLY or any(fnmatchcase(schema, p) for p in EXCLUDED)


def is_application(schema: str) -> bool:
    return not is_managed(schema)


def dump_arguments() -> list[str]:
    """pg_dump options: the application's schemas whole, the DATA_ONLY schemas' rows, nothing else."""
    args = [f"--exclude-schema={pattern}" for pattern in EXCLUDED]
    args += [f"--exclude-table-data={table}" for table in EXCLUDED_TABLE_DATA]
    return args


def describe(schemas: list[str], extensions: list[str]) -> dict[str, object]:
    """The manifest's `contents`: what a backup of a database with these schemas and extensions holds."""
    return {
        "application_schemas": sorted(s for s in schemas if is_application(s)),
        "data_only_schemas": sorted(s for s in schemas if s in DATA_ONLY),
        "excluded_table_data": list(EXCLUDED_TABLE_DATA),
        "left_out_schemas": sorted(s for s in schemas if is_managed(s) and s not in DATA_ONLY and not is_system(s)),
        "extensions": sorted(extensions),
        "grants_and_rls": True,
        "snapshot": "one pg_dump transaction",
    }
