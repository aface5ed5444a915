"""Backup and restore of a generated Supabase-shaped database (100 MB and 1 GB) against plain baselines, same run.

The database is `local_services.supabase_shape`'s (managed schemas, phone-OTP users, the
application with RLS and grants); every command connects as the non-superuser `postgres`.

Backup: `sfops backup` (the bundle the host runs, on the host's Python) against
`pg_dump -Fc -Z0 | zstd -3 > /dev/null` on the same database: throughput ratio (aim >= 0.8)
and the backup process's peak RSS (VmHWM; aim < 150 MB and flat from 100 MB to 1 GB).
Restore: `sfops restore --database` into a fresh Supabase-shaped project database (checks the
object, reads its table of contents, then S3 -> age -> zstd -> pg_restore -L -> psql, with the
auth rows staged) against `pg_restore --single-transaction` of the same dump as an unencrypted
local file into a plain database (aim >= 0.8).
Servers: a throwaway PostgreSQL and moto's S3 on free loopback ports.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import boto3
import pyrage

from components.backups.host_bundle import bundle_bytes
from local_services.common.http_server import free_port
from local_services.postgres import PostgresCluster
from local_services.s3 import CREDENTIALS_FILE, s3_service
from local_services.supabase_shape import create_project_database, create_supabase_database, start_supabase_cluster
from local_services.supervisor import RUN_DIR, start, stop
from scripts.sfops.backup.database_url import DatabaseUrl, libpq_env
from scripts.sfops.backup.supabase_schemas import dump_arguments
from tests.integration.backup_support import HOST_PYTHON

REPO = Path(__file__).resolve().parents[1]
ROWS_PER_MB = 3300  # tickets per MB of database with the sample schema (measured)
BUCKET = "sf-bench-backups"


# The same pipeline with the upload discarded: what the backup costs without the local S3 server,
# which (moto, in Python) competes for this machine's two cores with pg_dump and the backup.
NULL_S3_RUN = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from scripts.sfops.backup.env_file import read_env_file
from scripts.sfops.backup.pipeline import run_backup
from scripts.sfops.backup.settings import parse_settings

class NullS3:
    def create_multipart_upload(self, **_):
        return {"UploadId": "discarded"}
    def upload_part(self, **kwargs):
        return {"ETag": '"0"'}
    def complete_multipart_upload(self, **_):
        return {}
    def abort_multipart_upload(self, **_):
        return {}
    def put_object(self, **_):
        return {}

run_backup(parse_settings(read_env_file(Path(sys.argv[2]))), NullS3())
"""


class PeakRss(threading.Thread):
    """Polls /proc/<pid>/status for VmHWM (the kernel's own peak-RSS mark) until the process exits."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kib = pid, 0

    def run(self) -> None:
        status = Path(f"/proc/{self.pid}/status")
        while True:
            try:
                match = re.search(r"VmHWM:\s+(\d+) kB", status.read_text())
            except OSError:
                return
            if match:
                self.peak_kib = max(self.peak_kib, int(match[1]))
            time.sleep(0.02)


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    sampler = PeakRss(process.pid)
    sampler.start()
    status = process.wait()
    elapsed = time.perf_counter() - started
    sampler.join()
    if status != 0:
        raise RuntimeError(f"{argv[0][:60]} exited with {status}")
    return elapsed, sampler.peak_kib


def run_backup_restore(sizes_mb: tuple[int, ...] = (100, 1000), restore: bool = True) -> None:
    root = RUN_DIR / f"bench-{secrets.token_hex(3)}"
    work = Path(tempfile.mkdtemp(prefix="sf-bench-backup-"))
    port = free_port()
    s3_svc = s3_service(port, root / "s3", run_dir=root, name="s3")
    start(s3_svc, say=lambda _: None)
    password = secrets.token_hex(12)
    cluster = start_supabase_cluster(password)
    python = str(HOST_PYTHON if HOST_PYTHON.exists() else sys.executable)
    try:
        text = (root / "s3" / CREDENTIALS_FILE).read_text()
        key_id = re.search(r"aws_access_key_id = (\S+)", text)[1]  # type: ignore[index]
        secret = re.search(r"aws_secret_access_key = (\S+)", text)[1]  # type: ignore[index]
        endpoint = f"http://127.0.0.1:{port}"
        boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key_id, aws_secret_access_key=secret
        ).create_bucket(Bucket=BUCKET)
        identity = pyrage.x25519.Identity.generate()
        (work / "identity.txt").write_text(f"{identity}\n")
        bundle = work / "sfops-backup.pyz"
        bundle.write_bytes(bundle_bytes())
        bundle.chmod(0o644)
        server = DatabaseUrl.parse(cluster.url())
        print(f"backup/restore benchmark (host Python {python}):")
        for size_mb in sizes_mb:
            name = f"bench_{size_mb}mb"
            started = time.perf_counter()
            rows = size_mb * ROWS_PER_MB
            create_supabase_database(
                dict(cluster.socket()), dict(cluster.socket("postgres")), name, rows=rows, users=rows // 10, bio_kib=64
            )
            source = server.with_database(name)
            with libpq_env(source) as env:
                size = subprocess.run(
                    ["psql", "-XAtc", f"SELECT pg_database_size('{name}')"],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.strip()
                print(
                    f"  database {name}: {int(size) / 1e6:.0f} MB (generated in {time.perf_counter() - started:.0f} s)"
                )
                args = " ".join(dump_arguments())  # the same selection, so the same work
                pipeline = f"set -o pipefail; pg_dump -Fc -Z0 --no-password {args} | zstd -3 -q > /dev/null"
                baseline_s, _ = _timed(["bash", "-c", pipeline], env)
            env_file = work / f"{name}.env"
            env_file.write_text(
                f"DATABASE_URL='{source_url(cluster.port, password, name)}'\nBACKUP_BUCKET='{BUCKET}'\n"
                f"BACKUP_PREFIX='db/{name}/'\nS3_ENDPOINT_URL='{endpoint}'\nAWS_REGION='us-east-1'\n"
                f"AWS_ACCESS_KEY_ID='{key_id}'\nAWS_SECRET_ACCESS_KEY='{secret}'\nBACKUP_RECIPIENT='{identity.to_public()}'\n"
            )
            env_file.chmod(0o600)
            ours_s, peak_kib = _timed([python, str(bundle), "backup", str(env_file)], dict(os.environ))
            null_s, null_kib = _timed([python, "-c", NULL_S3_RUN, str(bundle), str(env_file)], dict(os.environ))
            print(
                f"    backup, upload discarded: {null_s:.1f} s, ratio {baseline_s / null_s:.2f}, "
                f"peak RSS {null_kib / 1024:.0f} MB"
            )
            print(
                f"    backup: pg_dump | zstd > /dev/null {baseline_s:.1f} s; sfops backup {ours_s:.1f} s; "
                f"throughput ratio {baseline_s / ours_s:.2f} (aim >= 0.8); "
                f"peak RSS {peak_kib / 1024:.0f} MB (aim < 150)"
            )
            if restore:
                _bench_restore(cluster, password, name, key_id, secret, endpoint, work)
    finally:
        cluster.stop()
        stop(s3_svc, say=lambda _: None)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def source_url(port: int, password: str, name: str) -> str:
    return f"postgresql://postgres:{password}@127.0.0.1:{port}/{name}"


def _not_for_postgres(toc_line: str) -> bool:
    return " EXTENSION " in toc_line or (" DEFAULT ACL " in toc_line and toc_line.endswith(" supabase_admin"))


def _bench_restore(
    cluster: PostgresCluster, password: str, name: str, key_id: str, secret: str, endpoint: str, work: Path
) -> None:
    port = cluster.port
    server = DatabaseUrl.parse(source_url(port, password, "postgres"))
    dump_file = work / f"{name}.dump"
    with libpq_env(server.with_database(name)) as env:
        dump = ["pg_dump", "-Fc", "-Z0", "--no-password", *dump_arguments(), "-f", str(dump_file)]
        subprocess.run(dump, env=env, check=True)
    plain_db, ours_db = f"{name}_plain", f"{name}_ours"
    with libpq_env(server) as env:
        subprocess.run(["createdb", "--no-password", plain_db], env=env, check=True)
        # Everything postgres may restore into a plain database: not the extension (it needs the
        # `extensions` schema) nor supabase_admin's default privileges (only that role may set them).
        toc = subprocess.run(["pg_restore", "--list", str(dump_file)], capture_output=True, text=True, check=True)
        kept = [line for line in toc.stdout.splitlines() if line[:1].isdigit() and not _not_for_postgres(line)]
        (work / "plain.list").write_text("\n".join(kept) + "\n")
        argv = [
            "pg_restore",
            "--single-transaction",
            "--no-owner",
            "--no-password",
            f"--use-list={work / 'plain.list'}",
        ]
        baseline_s, _ = _timed([*argv, "-d", plain_db, str(dump_file)], env)
    create_project_database(dict(cluster.socket()), ours_db)
    dump_file.unlink()
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": key_id,
        "AWS_SECRET_ACCESS_KEY": secret,
        "BACKUP_BUCKET": BUCKET,
        "BACKUP_PREFIX": f"db/{name}/",
        "S3_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
        "SFOPS_DATABASE_URL": source_url(port, password, "postgres"),
        "SFOPS_AGE_IDENTITY_FILE": str(work / "identity.txt"),
    }
    ours_s, peak_kib = _timed(
        [str(REPO / "scripts" / "bin" / "sfops"), "-q", "restore", "--credentials-from-env", "--database", ours_db], env
    )
    print(
        f"    restore: pg_restore of a local unencrypted dump {baseline_s:.1f} s; sfops restore into a fresh "
        f"project {ours_s:.1f} s "
        f"(incl. the checksum pass); ratio {baseline_s / ours_s:.2f} (aim >= 0.8); peak RSS {peak_kib / 1024:.0f} MB"
    )


if __name__ == "__main__":
    run_backup_restore()
