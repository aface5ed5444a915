"""What the restore needs to know of a database: is it empty, and a fingerprint of every table.

A table's fingerprint is its row count and the sum of the first 64 bits of each row's MD5
(of the row's text form): independent of row order, computed by the server in one pass.
Sequences are compared by their last value.
"""

from __future__ import annotations

import secrets
from typing import Any

import psycopg
from psycopg import sql

from scripts.sfops.backup.database_url import DatabaseUrl

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")
Fingerprints = dict[str, tuple[int, str]]


DatabaseError = psycopg.Error


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


def user_relations(url: DatabaseUrl) -> list[str]:
    """Tables, views, sequences... outside the system schemas: a database with none is empty."""
    with connect(url) as conn:
        rows = conn.execute(
            "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname <> ALL(%s) AND n.nspname NOT LIKE 'pg_temp%%' "
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') ORDER BY 1",
            (list(SYSTEM_SCHEMAS),),
        ).fetchall()
    return [row[0] for row in rows]


def fingerprints(url: DatabaseUrl) -> Fingerprints:
    """'schema.table' -> (rows, checksum) for every table; 'schema.sequence' -> (last value, 'sequence')."""
    result: Fingerprints = {}
    with connect(url) as conn:
        tables = conn.execute(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname <> ALL(%s) AND n.nspname NOT LIKE 'pg_temp%%' AND c.relkind IN ('r', 'p') ORDER BY 1, 2",
            (list(SYSTEM_SCHEMAS),),
        ).fetchall()
        for schema, table in tables:
            query = sql.SQL(
                "SELECT count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint::numeric), 0)"
                " FROM {}.{} AS t"
            ).format(sql.Identifier(schema), sql.Identifier(table))
            row = conn.execute(query).fetchone()
            assert row is not None
            result[f"{schema}.{table}"] = (int(row[0]), str(row[1]))
        for schema, name, last in conn.execute("SELECT schemaname, sequencename, last_value FROM pg_sequences"):
            result[f"{schema}.{name}"] = (int(last or 0), "sequence")
    return result
