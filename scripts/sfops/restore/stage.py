"""Rows for Supabase's own tables arrive in the archive's order; their foreign keys want another.

A backup is one full `pg_dump` (one snapshot), whose table data is in name order:
`auth.identities` before `auth.users`. Restoring data-only into a project whose `auth` tables
already exist, with their foreign keys, would fail on the first identity: pg_dump's own
answer (`--disable-triggers`, `session_replication_role`) needs a superuser, which Supabase's
`postgres` is not. So the SQL that pg_restore writes is rewritten on its way to psql: each
`COPY auth.x (...) FROM stdin;` goes into a temporary table of the same columns, and after the
last of them the rows are inserted into the real tables parents first, in the same
transaction, before any of the application's foreign keys (post-data) are created.
"""

from __future__ import annotations


def _quoted(table: str) -> str:
    schema, name = table.split(".", 1)
    return f"{_ident(schema)}.{_ident(name)}"


def _ident(name: str) -> str:
    # pg_restore quotes like quote_ident(); this is the same rule for the names we write.
    plain = name.isidentifier() and name == name.lower()
    return name if plain else '"' + name.replace('"', '""') + '"'


class ManagedRows:
    """Rewrites pg_restore's SQL for `tables` (in insertion order, parents first)."""

    def __init__(self, tables: list[str]) -> None:
        self.order = tables
        self.stage = {table: f"pg_temp.sfops_stage_{i}" for i, table in enumerate(tables)}
        self.headers = {f"COPY {_quoted(t)} (".encode(): t for t in tables}
        self.columns: dict[str, str] = {}
        self.in_copy = False
        self.inserted = not tables
        self.carry = b""

    @property
    def pending(self) -> bool:
        """Rows are still to come, or staged and not yet inserted."""
        return not self.inserted

    def preamble(self) -> str:
        return "".join(
            f"CREATE TEMPORARY TABLE {self.stage[t].removeprefix('pg_temp.')} (LIKE {_quoted(t)}) ON COMMIT DROP;\n"
            for t in self.order
        )

    def line(self, line: bytes) -> bytes:
        """One whole line of pg_restore's SQL, rewritten when it starts a COPY into a staged table."""
        if self.in_copy:
            self.in_copy = line != b"\\.\n"
            if not self.in_copy and len(self.columns) == len(self.order) and not self.inserted:
                self.inserted = True
                return line + self._inserts()
            return line
        if line.startswith(b"COPY ") and line.endswith(b" FROM stdin;\n"):  # not a COPY inside a function body
            self.in_copy = True
            for header, table in self.headers.items():
                if line.startswith(header):
                    columns = line[len(header) - 1 :].decode().removesuffix(" FROM stdin;\n")
                    self.columns[table] = columns
                    return f"COPY {self.stage[table]} {columns} FROM stdin;\n".encode()
        return line

    def feed(self, chunk: bytes) -> bytes:
        """A chunk of the SQL: whole lines are passed on (rewritten), a partial last line is kept for the next.

        Only COPY headers and their `\\.` terminators are looked at, with bytes.find over the chunk:
        the rows in between (nearly all of the stream) are not split into lines."""
        data = self.carry + chunk
        cut = data.rfind(b"\n") + 1
        self.carry, data = data[cut:], data[:cut]
        out: list[bytes] = []
        pos = 0
        while pos < len(data):
            if self.in_copy and not data.startswith(b"\\.\n", pos):
                found = data.find(b"\n\\.\n", pos)
                nxt = len(data) if found < 0 else found + 1
            elif not self.in_copy and not data.startswith(b"COPY ", pos):
                found = data.find(b"\nCOPY ", pos)
                nxt = len(data) if found < 0 else found + 1
            else:
                nxt = data.index(b"\n", pos) + 1
                out.append(self.line(data[pos:nxt]))
                pos = nxt
                continue
            out.append(data[pos:nxt])
            pos = nxt
        return b"".join(out)

    def finish(self) -> bytes:
        """What is left of a last line without a newline (pg_restore ends with one; kept for safety)."""
        rest, self.carry = self.carry, b""
        return rest

    def _inserts(self) -> bytes:
        statements = [
            f"INSERT INTO {_quoted(t)} {self.columns[t]} OVERRIDING SYSTEM VALUE "  # noqa: S608 - pg_restore's own, quoted names
            f"SELECT {self.columns[t][1:-1]} FROM {self.stage[t]};\n"
            for t in self.order
        ]
        return "".join(statements).encode()
