"""Generated SQL patches with a known verdict, for the patch guard's property tests.

The verdict comes from the corpus, never from the guard: each statement is labelled safe or
destructive by hand, and a wrapper (a CTE, a DO block, a function body, EXECUTE of a
constant or of an expression) either keeps the label or, for dynamic SQL that cannot be
read, makes it destructive. Mutations change spelling (case, comments, whitespace, schema
qualification) but never meaning. Every safe patch runs cleanly on `SEED`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

SEED = """
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int NOT NULL DEFAULT 0);
CREATE TABLE tags (id int PRIMARY KEY, item_id int REFERENCES items (id), tag text);
INSERT INTO items SELECT g, 'item-' || g, g FROM generate_series(1, 20) g;
INSERT INTO tags SELECT g, g, 'tag' FROM generate_series(1, 20) g;
"""


@dataclass(frozen=True)
class Template:
    sql: str  # {n}: a number unique in the patch; {t}: the items table's spelling
    destructive: bool
    dml: bool = False  # may sit in a CTE (INSERT/UPDATE/DELETE ... RETURNING)


SAFE = (
    Template("INSERT INTO {t} (id, name, qty) VALUES ({n}, 'new', 1)", False, dml=True),
    Template("INSERT INTO {t} (id, name) VALUES ({n}, '-- sfops:allow-destructive DROP TABLE items')", False, dml=True),
    Template("UPDATE {t} SET qty = qty + 1 WHERE id = 3", False, dml=True),
    Template("UPDATE {t} SET name = 'renamed' WHERE qty > 15", False, dml=True),
    Template("DELETE FROM {t} WHERE id = {n}", False, dml=True),
    Template("CREATE TABLE extra_{n} (id int PRIMARY KEY, note text)", False),
    Template("ALTER TABLE {t} ADD COLUMN col_{n} text", False),
    Template("CREATE INDEX items_qty_{n} ON {t} (qty)", False),
    Template("COMMENT ON TABLE {t} IS 'DELETE FROM items'", False),
)
DESTRUCTIVE = (
    Template("DELETE FROM {t}", True, dml=True),
    Template("DELETE FROM {t} WHERE true", True, dml=True),
    Template("UPDATE {t} SET name = 'x'", True, dml=True),
    Template("UPDATE {t} SET qty = 0 WHERE 1 = 1", True, dml=True),
    Template("TRUNCATE {t} CASCADE", True),
    Template("DROP TABLE tags", True),
    Template("DROP TABLE IF EXISTS {t} CASCADE", True),
    Template("ALTER TABLE {t} DROP COLUMN qty", True),
    Template("ALTER TABLE {t} ALTER COLUMN name TYPE varchar(64)", True),
    Template("DROP SCHEMA public CASCADE", True),
    Template("DROP INDEX IF EXISTS items_pkey CASCADE", True),
    Template("ALTER TABLE tags DROP CONSTRAINT tags_item_id_fkey CASCADE", True),
)
TABLE_SPELLINGS = ("items", "public.items", '"items"', "ITEMS")


def _quote(sql: str) -> str:
    return sql.replace("'", "''")


@dataclass(frozen=True)
class Piece:
    sql: str
    destructive: bool


def wrap(template: Template, n: int, table: str, wrapper: str) -> Piece:
    sql = template.sql.format(n=n, t=table)
    destructive = template.destructive
    if wrapper == "cte" and template.dml:
        sql = f"WITH changed AS ({sql} RETURNING 1) SELECT count(*) FROM changed"  # noqa: S608 - test SQL
    elif wrapper == "do":
        sql = f"DO $$BEGIN {sql}; END$$"
    elif wrapper == "do-execute-constant":
        sql = f"DO $$BEGIN EXECUTE '{_quote(sql)}'; END$$"
    elif wrapper == "do-execute-expression":
        # Built at run time: nothing proves what it does, so it counts as destructive.
        sql = f"DO $$BEGIN EXECUTE '' || '{_quote(sql)}'; END$$"
        destructive = True
    elif wrapper == "sql-function":
        sql = f"CREATE FUNCTION sfops_f_{n}() RETURNS void LANGUAGE sql AS $f${sql}$f$;\nSELECT sfops_f_{n}()"
    elif wrapper == "plpgsql-function":
        sql = (
            f"CREATE FUNCTION sfops_g_{n}() RETURNS void LANGUAGE plpgsql AS $g$\nBEGIN\n  {sql};\nEND\n$g$;\n"
            f"SELECT sfops_g_{n}()"
        )
    return Piece(sql, destructive)


WRAPPERS = ("plain", "cte", "do", "do-execute-constant", "do-execute-expression", "sql-function", "plpgsql-function")
PREFIXES = ("", "-- a reviewed change\n", "/* note: DROP TABLE items */ ", "\n\n")


@st.composite
def pieces(draw: st.DrawFn, n: int) -> Piece:
    template = draw(st.sampled_from(SAFE + DESTRUCTIVE))
    table = draw(st.sampled_from(TABLE_SPELLINGS))
    wrapper = draw(st.sampled_from(WRAPPERS))
    piece = wrap(template, n, table, wrapper)
    text = piece.sql
    if draw(st.booleans()):
        # Upper-case keywords and identifiers alike: SQL folds unquoted names, and string literals
        # here carry no meaning; the quoted "items" must keep its case.
        text = text.upper().replace('"ITEMS"', '"items"')
    return Piece(draw(st.sampled_from(PREFIXES)) + text, piece.destructive)


@dataclass(frozen=True)
class GeneratedPatch:
    sql: str
    destructive: bool


@st.composite
def patches(draw: st.DrawFn) -> GeneratedPatch:
    count = draw(st.integers(min_value=1, max_value=3))
    chosen = [draw(pieces(100 + index)) for index in range(count)]
    separator = draw(st.sampled_from((";\n", ";\n\n", "; ")))
    return GeneratedPatch(separator.join(p.sql for p in chosen) + ";\n", any(p.destructive for p in chosen))
