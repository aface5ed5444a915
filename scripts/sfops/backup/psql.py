"""One-shot queries through the host's `psql`: the same client and connection rules as `pg_dump`."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

SEPARATOR = "\t"


def psql_rows(psql: str, env: dict[str, str], sql: str, failure: Callable[[str], Exception]) -> list[list[str]]:
    """Rows of `sql`, each split on tabs. `-X` ignores the user's psqlrc (it could change the
    output format), `-w` never prompts for a password; a failure raises `failure(psql's stderr)`."""
    query = subprocess.run(
        [psql, "-X", "-A", "-t", "-q", "-w", "-F", SEPARATOR, "-c", sql],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if query.returncode != 0:
        raise failure(query.stderr.strip()[:300])
    return [line.split(SEPARATOR) for line in query.stdout.splitlines() if line]
