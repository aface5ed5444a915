"""What the restore needs to know of a database: what is ours in it, and a fingerprint of it.

A table's fingerprint is its row count and the sum of the first 64 bits of each row's MD5
(of the row's text form): independent of row order, computed by the server in one pass.
Sequences are compared by their last value. Grants (of every relation, function and schema
of the application) and row-level security (the flags and every policy of a table) are
fingerprinted as a digest of their sorted text (the owner's own privileges aside: the
restoring role owns the copy), so `--verify` sees a lost GRANT to `anon`
or a lost policy as a difference, as PostgREST would.

Only the application's schemas and the rows of the managed schemas a backup keeps (see
`scripts.sfops.backup.supabase_schemas`) count: Supabase's own schemas are neither
"user relations" of a target nor compared.
"""

from __future__ import annotations

import hashlib
import secrets
from graphlib import TopologicalSorter
from typing import Any

import psycopg
from psycopg import sql

from scripts.sfops.backup.database_url import DatabaseUrl
from scripts.sfops.backup.supabase_schemas import DATA_ONLY, EXCLUDED_TABLE_DATA, is_application
from scripts.sfops.restore.plan import Target

Fingerprints = dict[str, tuple[int, str]]
DatabaseError = psycopg.Error
GRANTS, POLICIES, SEQUENCE = "grants", "policies", "sequence"

_RELATIONS = (
    "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') ORDER BY 1, 2"
)
# One row per grant: (schema, object, "grantee:PRIVILEGE[*]"); NULL ACLs read as their defaults.
_GRANTEE = "coalesce(nullif(pg_get_userbyid(a.grantee), '-'), 'PUBLIC') || ':' || a.privilege_type"
_RELATION_GRANTS = """
SELECT n.nspname, c.relname, GRANTEE || CASE WHEN a.is_grantable THEN '*' ELSE '' END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL aclexplode(coalesce(c.relacl, acldefault(CASE c.relkind WHEN 'S' THEN 's'::"char"
                                                            ELSE 'r'::"char" END, c.relowner))) a
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND a.grantee <> c.relowner
UNION ALL
SELECT n.nspname, 'function ' || p.oid::regprocedure::text, GRANTEE
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a WHERE a.grantee <> p.proowner
UNION ALL
SELECT n.nspname, 'schema', GRANTEE
FROM pg_namespace n
CROSS JOIN LATERAL aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a WHERE a.grantee <> n.nspowner
""".replace("GRANTEE", _GRANTEE)
_ROW_SECURITY = """
SELECT n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity,
       coalesce((SELECT string_agg(concat_ws('|', p.policyname, p.permissive, p.roles::text, p.cmd, p.qual,
                                             p.with_check), E'\\n' ORDER BY p.policyname)
                 FROM pg_policies p WHERE p.schemaname = n.nspname AND p.tablename = c.relname), '')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND (c.relrowsecurity OR EXISTS (
    SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid))
"""


def connect(url: DatabaseUrl) -> psycopg.Connection[tuple[Any, ...]]:
    conninfo = psycopg.conninfo.make_conninfo("", **url.conninfo(), connect_timeout=10)
    return psycopg.connect(conninfo, autocommit=True)


def database_exists(url: DatabaseUrl, name: str) -> bool:
    with connect(url.with_database("postgres")) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def create_database(url: DatabaseUrl, name: str) -> None:
    with connect(url.with_database("postgres")) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name)))


def drop_database(url: DatabaseUrl, name: str) -> None:
    with connect(url.with_database("postgres")) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def scratch_name() -> str:
    return f"sfops_verify_{secrets.token_hex(4)}"


def _kept_rows(schema: str, table: str) -> bool:
    """A table whose rows a backup holds: the application's, or a DATA_ONLY schema's (not migration history)."""
    return is_application(schema) or (schema in DATA_ONLY and f"{schema}.{table}" not in EXCLUDED_TABLE_DATA)


def user_relations(url: DatabaseUrl) -> list[str]:
    """The application's tables, views, sequences...: a database with none is empty (managed schemas aside)."""
    with connect(url) as conn:
        rows = conn.execute(_RELATIONS).fetchall()
    return [f"{schema}.{name}" for schema, name, _ in rows if is_application(schema)]


def managed_rows(url: DatabaseUrl, tables: list[str]) -> list[str]:
    """Those of `tables` ('auth.users'...) that exist and hold rows: a restore would add to them."""
    found = []
    with connect(url) as conn:
        for name in tables:
            schema, table = name.split(".", 1)
            exists = conn.execute("SELECT to_regclass(%s)", (sql.Identifier(schema, table).as_string(conn),))
            row = exists.fetchone()
            if row is None or row[0] is None:
                continue
            query = sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(schema, table))
            has = conn.execute(query).fetchone()
            if has is not None and has[0]:
                found.append(f"{name} (has rows)")
    return found


def target_state(url: DatabaseUrl) -> Target:
    with connect(url) as conn:
        schemas = frozenset(r[0] for r in conn.execute("SELECT nspname FROM pg_namespace"))
        tables = frozenset(
            f"{s}.{t}" for s, t, kind in conn.execute(_RELATIONS).fetchall() if s in DATA_ONLY and kind in ("r", "p")
        )
        role = conn.execute("SELECT current_user").fetchone()
    return Target(schemas, tables, str(role[0]) if role else url.user)


def referencing_tables(url: DatabaseUrl, tables: list[str]) -> list[str]:
    """Tables with a foreign key to one of `tables`: a TRUNCATE of those must name them too."""
    if not tables:
        return []
    with connect(url) as conn:
        rows = conn.execute(
            "SELECT DISTINCT cn.nspname || '.' || c.relname FROM pg_constraint k "
            "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace "
            "JOIN pg_class f ON f.oid = k.confrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace "
            "WHERE k.contype = 'f' AND fn.nspname || '.' || f.relname = ANY(%s) ORDER BY 1",
            (tables,),
        ).fetchall()
    return [row[0] for row in rows if row[0] not in tables]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprints(url: DatabaseUrl) -> Fingerprints:
    """'schema.table' -> (rows, checksum); sequences -> (last value, 'sequence'); grants and RLS of ours."""
    result: Fingerprints = {}
    with connect(url) as conn:
        for schema, table, kind in conn.execute(_RELATIONS).fetchall():
            if kind not in ("r", "p") or not _kept_rows(schema, table):
                continue
            query = sql.SQL(
                "SELECT count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint::numeric), 0)"
                " FROM {}.{} AS t"
            ).format(sql.Identifier(schema), sql.Identifier(table))
            row = conn.execute(query).fetchone()
            assert row is not None
            result[f"{schema}.{table}"] = (int(row[0]), str(row[1]))
        for schema, name, last in conn.execute("SELECT schemaname, sequencename, last_value FROM pg_sequences"):
            if _kept_rows(schema, name):
                result[f"{schema}.{name}"] = (int(last or 0), SEQUENCE)
        grants: dict[str, list[str]] = {}
        for schema, name, grant in conn.execute(_RELATION_GRANTS):
            if is_application(schema):
                grants.setdefault(schema if name == "schema" else f"{schema}.{name}", []).append(grant)
        for where, granted in grants.items():
            result[f"{GRANTS} on {where}"] = (len(granted), f"{GRANTS} {_digest(','.join(sorted(granted)))}")
        for schema, table, enabled, forced, policies in conn.execute(_ROW_SECURITY):
            if is_application(schema):
                text = f"rls={enabled} force={forced}\n{policies}"
                count = len(policies.splitlines()) if policies else 0
                result[f"{POLICIES} on {schema}.{table}"] = (count, f"{POLICIES} {_digest(text)}")
    return result


def extensions(url: DatabaseUrl) -> frozenset[str]:
    with connect(url) as conn:
        return frozenset(row[0] for row in conn.execute("SELECT extname FROM pg_extension"))


def parents_first(url: DatabaseUrl, tables: list[str]) -> list[str]:
    """`tables` ordered so that a table comes after those it references (its foreign keys' targets)."""
    graph: dict[str, set[str]] = {table: set() for table in tables}
    with connect(url) as conn:
        edges = conn.execute(
            "SELECT cn.nspname || '.' || c.relname, fn.nspname || '.' || f.relname FROM pg_constraint k "
            "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace "
            "JOIN pg_class f ON f.oid = k.confrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace "
            "WHERE k.contype = 'f'"
        ).fetchall()
    for child, parent in edges:
        if child in graph and parent in graph and child != parent:
            graph[child].add(parent)
    return list(TopologicalSorter(graph).static_order())
