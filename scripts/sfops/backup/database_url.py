"""A postgresql:// URL as libpq settings, and a private password file for pg_dump/psql/pg_restore.

TLS: libpq's default `sslmode=prefer` falls back to plain text without a word, so a server
that is not on loopback gets `sslmode=require` unless the URL says otherwise, `verify-full`
when the URL names a CA (`sslrootcert=`); `disable`, `allow` and `prefer` are refused for
such a server (the password would cross the network in the clear if TLS failed). Loopback
(127.0.0.0/8, ::1, localhost, a Unix socket directory) keeps what the URL says.

PostgreSQL's programs get the connection through the environment (PGHOST, PGPORT, PGUSER,
PGDATABASE, PGPASSFILE), never through their command line, so no password shows in `ps`.
The password file lives in a fresh 0700 directory and is removed when the block ends.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

# Query parameters passed on to libpq as environment variables.
QUERY_ENV = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "connect_timeout": "PGCONNECT_TIMEOUT"}


SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
PLAIN_TEXT_MODES = ("disable", "allow", "prefer")


class DatabaseUrlError(ValueError):
    pass


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.startswith("/"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _tls_options(host: str, query: dict[str, str]) -> dict[str, str]:
    """The URL's options with the sslmode rule applied (see the module's docstring)."""
    mode = query.get("sslmode")
    if mode is not None and mode not in SSL_MODES:
        raise DatabaseUrlError(f"sslmode={mode} is not one of {', '.join(SSL_MODES)}")
    if is_loopback(host):
        return query
    if mode in PLAIN_TEXT_MODES:
        raise DatabaseUrlError(
            f"sslmode={mode} lets the connection to {host} (not loopback) fall back to plain text "
            "(fix: leave sslmode out, require is the default, or use sslmode=verify-full&sslrootcert=CA_FILE)"
        )
    if mode is None:
        return {**query, "sslmode": "verify-full" if query.get("sslrootcert") else "require"}
    return query


@dataclass(frozen=True)
class DatabaseUrl:
    host: str
    port: int
    user: str
    password: str
    dbname: str
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, url: str) -> DatabaseUrl:
        parts = urlsplit(url)
        if parts.scheme not in ("postgres", "postgresql"):
            raise DatabaseUrlError("expected a postgresql://user:password@host:port/database URL")
        userinfo, _, hostport = parts.netloc.rpartition("@")
        user, _, password = userinfo.partition(":")
        host, port_text = hostport, ""
        if hostport.startswith("["):
            host, _, rest = hostport[1:].partition("]")
            port_text = rest.lstrip(":")
        elif ":" in hostport:
            host, _, port_text = hostport.rpartition(":")
        query = dict(parse_qsl(parts.query))
        host = unquote(host) or query.pop("host", "")
        try:
            port = int(port_text or query.pop("port", "5432"))
        except ValueError:
            raise DatabaseUrlError("the port is not a number") from None
        dbname = unquote(parts.path.lstrip("/")) or "postgres"
        if not host:
            raise DatabaseUrlError("the URL names no host")
        if not user:
            raise DatabaseUrlError("the URL names no user")
        unknown = sorted(set(query) - set(QUERY_ENV))
        if unknown:
            raise DatabaseUrlError(f"unsupported URL parameter(s): {', '.join(unknown)}")
        options = _tls_options(host, query)
        return cls(host, port, unquote(user), unquote(password), dbname, tuple(sorted(options.items())))

    def with_database(self, dbname: str) -> DatabaseUrl:
        return replace(self, dbname=dbname)

    def conninfo(self) -> dict[str, str]:
        """Keyword arguments for psycopg.connect (in-process: nothing reaches a command line)."""
        values = {"host": self.host, "port": str(self.port), "user": self.user, "dbname": self.dbname}
        if self.password:
            values["password"] = self.password
        values.update(self.options)
        return values

    def describe(self) -> str:
        """Where, without the password: safe to log."""
        return f"{self.user}@{self.host}:{self.port}/{self.dbname}"


def _passfile_field(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


@contextmanager
def libpq_env(url: DatabaseUrl) -> Iterator[dict[str, str]]:
    """The environment for a PostgreSQL client program that connects to `url`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(PGHOST=url.host, PGPORT=str(url.port), PGUSER=url.user, PGDATABASE=url.dbname)
    env.update({QUERY_ENV[k]: v for k, v in url.options})
    directory = Path(tempfile.mkdtemp(prefix="sfops-pg-"))
    try:
        passfile = directory / "pgpass"
        line = ":".join(_passfile_field(v) for v in (url.host, str(url.port), "*", url.user, url.password))
        fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(line + "\n")
        env["PGPASSFILE"] = str(passfile)
        yield env
    finally:
        shutil.rmtree(directory, ignore_errors=True)
