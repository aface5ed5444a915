"""Database errors in words an operator can act on, never a traceback or a bare class name.

Connecting: libpq's message says what happened (refused, authentication, no such database,
timeout, unknown host); we name it and the fix, and scrub the URL and its password from
whatever we repeat. Running a statement: the server's SQLSTATE, message, detail, hint and
the position (as a line and column of the patch file).
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import psycopg

# (what libpq says, what we tell the operator): first match wins.
CONNECT_REASONS = (
    ("connection refused", "connection refused: nothing listens at that host and port (is the server running? "
     "check the host and port in the URL)"),
    ("password authentication failed", "authentication failed: the server refused the user or password "
     "(check both in the URL)"),
    ("no password supplied", "authentication failed: the server wants a password and the URL has none"),
    ("no pg_hba.conf entry", "refused by the server's pg_hba.conf for this host, user and database "
     "(ask for access, or use sslmode=require if the entry needs SSL)"),
    ("does not exist", "the database or role in the URL does not exist on that server"),
    ("timeout expired", "no answer before the connect timeout (a firewall, or the wrong host)"),
    ("could not translate host name", "the host name does not resolve (check the host in the URL)"),
    ("name or service not known", "the host name does not resolve (check the host in the URL)"),
    ("ssl", "the SSL handshake failed (check sslmode and the server's certificate)"),
)  # fmt: skip


def _scrub(text: str, url: str) -> str:
    password = unquote(urlsplit(url).password or "") if "://" in url else ""
    for secret in (url, password):
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def describe_connect_error(exc: psycopg.Error, url: str) -> str:
    """Why a connection failed, with the fix; the server's own first line for anything else."""
    message = str(exc)
    lowered = message.lower()
    for needle, reason in CONNECT_REASONS:
        if needle in lowered:
            return reason
    if isinstance(exc, psycopg.ProgrammingError):
        return "not a valid postgresql:// URL (postgresql://user:password@host:5432/database)"
    first = next((line.strip() for line in message.splitlines() if line.strip()), type(exc).__name__)
    return _scrub(first, url)


def _line_and_column(text: str, position: int, first_line: int) -> str:
    before = text[: max(0, position - 1)]
    line = first_line + before.count("\n")
    column = len(before) - (before.rfind("\n") + 1) + 1
    return f"line {line}, column {column}"


def describe_server_error(exc: psycopg.Error, statement: str, first_line: int) -> str:
    """`ERROR <sqlstate>: <message> (at line L, column C)` plus the server's detail and hint."""
    diag = exc.diag
    lines = str(exc).strip().splitlines()
    message = diag.message_primary or (lines[0] if lines else type(exc).__name__)
    parts = [f"ERROR {diag.sqlstate or '?'}: {message}"]
    position = diag.statement_position
    if position and position.isdigit():
        parts.append(f"(at {_line_and_column(statement, int(position), first_line)})")
    if diag.message_detail:
        parts.append(f"detail: {diag.message_detail}")
    if diag.message_hint:
        parts.append(f"hint: {diag.message_hint}")
    return " ".join(parts)
