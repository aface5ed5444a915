"""pg_dump's version against the server's: a pg_dump older than the server's major version is refused."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from scripts.sfops.backup.psql import psql_rows


class VersionError(Exception):
    pass


@dataclass(frozen=True)
class Versions:
    pg_dump: str  # e.g. "15.14"
    pg_dump_major: int
    server: str  # e.g. "15.14"
    server_major: int


def program(name: str, bin_dir: Path | None) -> str:
    if bin_dir is not None:
        return str(bin_dir / name)
    found = shutil.which(name)
    if found is None:
        raise VersionError(f"{name} is not on PATH (fix: apt-get install postgresql-client, or set PG_BIN_DIR)")
    return found


def parse_pg_dump_version(text: str) -> tuple[str, int]:
    match = re.search(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?", text)
    if not match:
        raise VersionError(f"cannot read pg_dump's version from {text.strip()[:80]!r}")
    major = int(match[1])
    return (f"{match[1]}.{match[2]}" if match[2] else match[1]), major


def major_of_version_num(num: int) -> int:
    return num // 10000  # 150014 -> 15; 90624 (9.6.24) -> 9, as pg_dump's "9.6.24" reads


def check_versions(pg_dump: str, psql: str, env: dict[str, str]) -> Versions:
    out = subprocess.run([pg_dump, "--version"], capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise VersionError(f"{pg_dump} --version failed: {out.stderr.strip()[:200]}")
    dump_version, dump_major = parse_pg_dump_version(out.stdout)
    rows = psql_rows(
        psql,
        env,
        "SELECT current_setting('server_version_num'), version()",
        lambda err: VersionError(f"cannot connect to the database: {err}"),
    )
    num_text, full = rows[0]
    server_major = major_of_version_num(int(num_text))
    server = re.search(r"PostgreSQL (\S+)", full)
    versions = Versions(dump_version, dump_major, server[1] if server else num_text, server_major)
    if dump_major < server_major:
        raise VersionError(
            f"pg_dump {dump_version} is older than the server's major version {server_major}: its dump could "
            f"be incomplete (fix: install postgresql-client-{server_major} on the backup host, "
            "or point PG_BIN_DIR at it)"
        )
    return versions
