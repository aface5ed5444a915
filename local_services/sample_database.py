"""The generated database the backup tests, the local stack and the benchmark dump and restore.

Several tables with what a real schema has: primary keys, a foreign key, unique and check
constraints, an index, an identity column, a free-standing sequence, a large (TOASTed) text
column, non-ASCII text, JSON, and `audit_log` with no primary key. Every value is generated
by the server from the row number (deterministic, fast: about 1 GB a minute here).
`rows` scales the big tables: about 220 bytes of table data a row.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

SCHEMA = """
CREATE SEQUENCE invoice_number_seq START 100000;
CREATE TABLE artists (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE,
    country char(2) NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    bio text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE TABLE events (
    id bigserial PRIMARY KEY,
    artist_id integer NOT NULL REFERENCES artists (id),
    title text NOT NULL,
    starts_at timestamptz NOT NULL,
    price numeric(10, 2) NOT NULL CHECK (price >= 0)
);
CREATE INDEX events_starts_at_idx ON events (starts_at);
CREATE TABLE tickets (
    id bigserial PRIMARY KEY,
    event_id bigint NOT NULL REFERENCES events (id),
    holder text NOT NULL,
    seat text,
    invoice_number bigint NOT NULL UNIQUE DEFAULT nextval('invoice_number_seq')
);
CREATE TABLE audit_log (
    happened_at timestamptz NOT NULL,
    actor text NOT NULL,
    detail jsonb NOT NULL
);
"""

NAMES = "ARRAY['Björk', 'Sigur Rós', 'Motörhead', '東京事変', 'Mø', 'Ólafur Arnalds', 'Ибица', 'Zoë 🎧']"

# NAMES is a constant; the numbers are bound parameters.
DATA = f"""
INSERT INTO artists (name, country, bio, created_at)
SELECT 'Artist ' || i || ' · ' || ({NAMES})[1 + i %% 8],
       (ARRAY['IS', 'DE', 'JP', 'FR', 'NO', 'UA'])[1 + i %% 6],
       (SELECT string_agg(md5(i::text || ':' || j), ' ') FROM generate_series(1, %(bio_chunks)s) AS j),
       timestamptz '2026-01-01 00:00:00+00' + i * interval '1 hour'
FROM generate_series(1, %(artists)s) AS i;

INSERT INTO events (artist_id, title, starts_at, price)
SELECT 1 + i %% %(artists)s,
       'Nuit ' || i || ' — ' || ({NAMES})[1 + i %% 8] || ' à l''Usine',
       timestamptz '2026-03-01 20:00:00+00' + i * interval '7 minutes',
       round((i %% 9000) / 100.0 + 5, 2)
FROM generate_series(1, %(events)s) AS i;

INSERT INTO tickets (event_id, holder, seat)
SELECT 1 + i %% %(events)s,
       'Guest ' || md5(i::text) || ' Ça va? ' || i,
       CASE WHEN i %% 7 = 0 THEN NULL ELSE 'R' || (i %% 40) || '-S' || (i %% 30) END
FROM generate_series(1, %(rows)s) AS i;

INSERT INTO audit_log (happened_at, actor, detail)
SELECT timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second',
       'user-' || (i %% 1000),
       jsonb_build_object('action', (ARRAY['buy', 'refund', 'scan'])[1 + i %% 3], 'ticket', i, 'note', md5(i::text))
FROM generate_series(1, %(audit)s) AS i;
"""  # noqa: S608


def sample_sizes(rows: int, bio_kib: int = 16) -> dict[str, int]:
    return {
        "rows": rows,
        "events": max(10, rows // 10),
        "artists": max(5, rows // 1000),
        "audit": max(1, rows // 2),
        "bio_chunks": max(1, bio_kib * 1024 // 33),
    }


def fill_sample_database(conn: psycopg.Connection[Any], rows: int, bio_kib: int = 16) -> None:
    """The schema and `rows` tickets, in `conn`'s transaction."""
    conn.execute(SCHEMA)
    # A client-side cursor: several statements with parameters in one call.
    psycopg.ClientCursor(conn).execute(DATA, sample_sizes(rows, bio_kib))
    conn.execute("SELECT setval('invoice_number_seq', (SELECT max(invoice_number) FROM tickets))")


def create_sample_database(conninfo: dict[str, Any], dbname: str, rows: int = 2000, bio_kib: int = 16) -> None:
    """Create `dbname` (it must not exist) with the schema and `rows` tickets; one transaction for the data."""
    with psycopg.connect(**{**conninfo, "dbname": "postgres"}, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(dbname)))
    with psycopg.connect(**{**conninfo, "dbname": dbname}) as conn:
        fill_sample_database(conn, rows, bio_kib)
    with psycopg.connect(**{**conninfo, "dbname": dbname}, autocommit=True) as conn:
        conn.execute("ANALYZE")
