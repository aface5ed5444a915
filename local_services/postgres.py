"""A throwaway PostgreSQL cluster on a free loopback port (tests; reusable by the backup tool).

initdb refuses to run as root, so as root the cluster runs as an unprivileged user
(`nobody`) with its data in a directory that user owns. Debian keeps the server
binaries in /usr/lib/postgresql/<major>/bin (the set-up installs `postgresql`).
Authentication is `trust` on loopback only: a test cluster, never a real one.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from local_services.common.http_server import free_port

UNPRIVILEGED_USER = "nobody"


def server_bin_dir() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL server binaries not found: run `make setup-system` (apt-get install postgresql)")


@dataclass
class PostgresCluster:
    root: Path
    port: int
    bin_dir: Path
    user: str | None  # run the server as this user (None: as ourselves)
    password: str | None = None  # None: trust on loopback; else scram-sha-256 for TCP (the socket stays trust)
    # The bootstrap superuser. Another name than `postgres` (Supabase's `supabase_admin`) gets a
    # password nobody keeps; the `postgres` role with `password` is then made by the caller.
    superuser: str = "postgres"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        secret = f":{self.password}" if self.password else ""
        return f"postgresql://postgres{secret}@127.0.0.1:{self.port}/{database}"

    def socket(self, user: str | None = None) -> dict[str, str | int]:
        """psycopg keyword arguments for the Unix socket (trust): how set-up code connects."""
        return {"host": str(self.root), "port": self.port, "user": user or self.superuser}

    def _run(self, *argv: str) -> None:
        command = [str(self.bin_dir / argv[0]), *argv[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True, cwd=self.root)

    def prepare_root(self) -> None:
        """The cluster's directory, world-traversable and owned by the server's user."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        if self.user is not None:
            shutil.chown(self.root, user=self.user)

    def initdb(self) -> None:
        auth = ["--auth=trust"]
        if self.password is not None:
            pwfile = self.root / "initdb-password"
            bootstrap = self.password if self.superuser == "postgres" else secrets.token_urlsafe(24)
            pwfile.write_text(bootstrap + "\n")
            if self.user is not None:
                shutil.chown(pwfile, user=self.user)
            pwfile.chmod(0o600)
            auth = ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"]
        try:
            self._run("initdb", "-D", str(self.data_dir), "-U", self.superuser, *auth, "-E", "UTF8", "--no-sync")
        finally:
            (self.root / "initdb-password").unlink(missing_ok=True)

    def start_server(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data_dir), "-o", options, "-l", str(self.root / "server.log"), "-w", "start")

    def stop_server(self, mode: str = "fast") -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop")

    def start(self) -> PostgresCluster:
        self.initdb()
        self.start_server()
        return self

    def stop(self) -> None:
        """Stop at once and remove the cluster: a throwaway one has nothing to flush."""
        self.stop_server("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def start_cluster(password: str | None = None, superuser: str = "postgres") -> PostgresCluster:
    """initdb + start a cluster in a fresh directory; stop() removes it again.

    With `password`, TCP connections need it (scram-sha-256), as on a real server."""
    # Its own directory under /tmp, not pytest's tmp dirs: those are 0700 root, which `nobody` cannot enter.
    root = Path(tempfile.mkdtemp(prefix="sf-pg-"))
    user = UNPRIVILEGED_USER if os.geteuid() == 0 else None
    cluster = PostgresCluster(root, free_port(), server_bin_dir(), user, password, superuser)
    cluster.prepare_root()
    return cluster.start()
