"""`python -m local_services.postgres_server --port N --data-dir DIR`: the local stack's PostgreSQL.

A real server (Debian's `postgresql` package) on 127.0.0.1, run as an unprivileged user
(`nobody` when started as root), with its data kept under DIR between runs. On first start
it is initialised the way a Supabase project is (`local_services.supabase_shape`: the
superuser `supabase_admin` is not ours; `postgres`, no superuser, logs in over TCP with the
password in $SOUNDFACTORY_PG_PASSWORD, scram-sha-256; the socket in DIR is trust) and gets
the database `soundfactory`: managed schemas with rows and the generated application.
A data directory from before the Supabase shape (generated data only) is made again. The
`healthcheck` role may log in without a password and can do nothing: the supervisor's
readiness probe. The process stays in the foreground and
stops the server (fast shutdown) on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import stat
import sys
import threading
from pathlib import Path

import psycopg

from local_services import supabase_shape
from local_services.postgres import UNPRIVILEGED_USER, PostgresCluster, server_bin_dir

DATABASE = "soundfactory"
HEALTH_ROLE = "healthcheck"
PASSWORD_ENV = "SOUNDFACTORY_PG_PASSWORD"  # noqa: S105 - the name of the variable
OUTSIDE_CLONES = Path("/var/lib/soundfactory-infra")  # root-owned: no other user can plant it


def health_url(port: int) -> str:
    return f"postgresql://{HEALTH_ROLE}@127.0.0.1:{port}/{DATABASE}"


def data_root(requested: Path, user: str | None) -> Path:
    """Where the cluster lives: `requested`, unless the server's user cannot enter its directories.

    A clone under /root or in a `mktemp -d` directory is 0700: `nobody` cannot reach its
    `.local-services`, so the data goes to a root-owned, world-traversable place, one per clone.
    """
    if user is None:
        return requested
    parent = requested.parent.resolve()
    existing = [p for p in (parent, *parent.parents) if p.exists()]  # missing ones are made 0755 by mkdir
    if all(p.stat().st_mode & stat.S_IXOTH for p in existing):
        return requested
    OUTSIDE_CLONES.mkdir(parents=True, exist_ok=True)
    OUTSIDE_CLONES.chmod(0o755)
    digest = hashlib.sha256(str(requested).encode()).hexdigest()[:12]
    return OUTSIDE_CLONES / f"postgres-{digest}"


SHAPE_MARK = "supabase-shape"


def _prepare(cluster: PostgresCluster) -> None:
    if (cluster.data_dir / "PG_VERSION").is_file():
        if (cluster.root / SHAPE_MARK).is_file():
            return
        print(f"postgres: {cluster.data_dir} predates the Supabase shape; generating it again", flush=True)
        shutil.rmtree(cluster.data_dir)
    cluster.prepare_root()
    cluster.initdb()
    hba = cluster.data_dir / "pg_hba.conf"
    hba.write_text(f"host {DATABASE} {HEALTH_ROLE} 127.0.0.1/32 trust\n" + hba.read_text())
    (cluster.root / SHAPE_MARK).write_text("local_services.supabase_shape\n")


def _seed(cluster: PostgresCluster, rows: int, password: str) -> None:
    admin = dict(cluster.socket())
    supabase_shape.create_roles(admin, password)
    with psycopg.connect(**admin, dbname="postgres", autocommit=True) as conn:  # type: ignore[arg-type]
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
            return
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}_seeding")
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (HEALTH_ROLE,)).fetchone():
            conn.execute(f"CREATE ROLE {HEALTH_ROLE} LOGIN")
    # Seeded under another name, renamed when complete: `soundfactory` exists only whole.
    owner = dict(cluster.socket("postgres"))
    supabase_shape.create_supabase_database(admin, owner, f"{DATABASE}_seeding", rows=rows)
    with psycopg.connect(**admin, dbname="postgres", autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f"ALTER DATABASE {DATABASE}_seeding RENAME TO {DATABASE}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_services.postgres_server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=5000, help="tickets in the generated database")
    args = parser.parse_args(argv)
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        print(f"postgres_server: set ${PASSWORD_ENV} (the postgres role's password for TCP)", file=sys.stderr)
        return 2
    user = UNPRIVILEGED_USER if os.geteuid() == 0 else None
    root = data_root(args.data_dir.resolve(), user)
    if root != args.data_dir.resolve():
        print(f"postgres: {args.data_dir} is not reachable by {user}; data kept in {root}", flush=True)
    cluster = PostgresCluster(root, args.port, server_bin_dir(), user, password, supabase_shape.SUPERUSER)
    _prepare(cluster)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    cluster.start_server()
    try:
        _seed(cluster, args.rows, password)
        print(f"postgres: ready on 127.0.0.1:{args.port}, database {DATABASE}", flush=True)
        stopping.wait()
    finally:
        cluster.stop_server()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
