"""The restore tests' rig: one stack brought up for the backup_restore package, shared by its modules.

moto S3/IAM, sshd as the backup host, a Supabase-shaped PostgreSQL (superuser
`supabase_admin`, which we never use, and the non-superuser `postgres` with a password, see
`local_services.supabase_shape`), and the stack installed on the host. The restore and the
history tests each used to bring up their own (a cluster, a 3000-row database, an `up` and a
`destroy` each); every test in both starts from "a deployed stack holding zero or more backups"
and takes the backups it checks itself, so one rig serves both (conftest.py: package scope).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage

from local_services.postgres import PostgresCluster
from local_services.s3.empty_bucket import empty_bucket
from local_services.stack_harness import quiet
from local_services.supabase_shape import create_supabase_database, start_supabase_cluster
from scripts.sfops.backup.database_url import DatabaseUrl
from scripts.sfops.backup.manifest import MANIFEST_SUFFIX
from tests.integration.backup_support import BackupServers, backup_servers, configured_stack, site_emulators

REPO = Path(__file__).resolve().parents[3]
SFOPS = REPO / "scripts" / "bin" / "sfops"
BUCKET = "sf-it-restore"
DB_PASSWORD = "pg-pass-" + secrets.token_hex(8)
SOURCE_DB = "sfdata"
WAIT_S = 60.0


@dataclass
class Rig:
    servers: BackupServers
    cluster: PostgresCluster
    install_dir: str
    identity_file: Path
    restore_env: dict[str, str]  # what an operator exports for sfops restore
    env_values: dict[str, str]  # the host's env file, as installed
    secrets: dict[str, str]
    work: Path
    stack_env: dict[str, str]  # how sfops reaches the stack `it` (its backend and project)

    @property
    def server(self) -> DatabaseUrl:
        return DatabaseUrl.parse(self.cluster.url("postgres"))

    def db(self, name: str) -> DatabaseUrl:
        return self.server.with_database(name)

    def admin(self) -> Any:
        return self.servers.s3()

    @contextmanager
    def without_bucket_policy(self) -> Iterator[Any]:
        """The admin's client with the bucket policy lifted, put back whatever happens.

        moto applies the policy's conditional deletion Deny to everyone, break-glass included:
        lifted, only the lock is left to stop the admin (whose IAM allows everything). The next
        test must find the bucket as the stack declares it.
        """
        admin = self.admin()
        policy = admin.get_bucket_policy(Bucket=BUCKET)["Policy"]
        admin.delete_bucket_policy(Bucket=BUCKET)
        try:
            yield admin
        finally:
            admin.put_bucket_policy(Bucket=BUCKET, Policy=policy)

    def cron_command(self) -> str:
        line = next(
            row
            for row in (self.servers.crontab() or "").splitlines()
            if row.endswith(f"# soundfactory-infra backup {self.install_dir}")
        )
        return line.split(None, 5)[5].rsplit(" # ", 1)[0]

    def run_cron_line(self) -> subprocess.CompletedProcess[str]:
        """The installed crontab line's command, as cron runs it (sh -c from the user's home)."""
        return self.servers.ssh(f"cd && sh -c {json.dumps(self.cron_command())}")

    def host_log(self) -> str:
        return self.servers.ssh(f"cat {self.install_dir}/backup.log").stdout

    def restore(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SFOPS), "--stack", "it", *args],
            env={**os.environ, **self.restore_env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def local_env_file(self, **changes: str) -> Path:
        """A copy of the host's env file on this side (mode 0600), for runs of `sfops backup` here."""
        path = self.work / f"backup-{secrets.token_hex(3)}.env"
        values = {**self.env_values, **changes}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.writelines(f"{k}='{v}'\n" for k, v in values.items())
        return path

    def manifests(self) -> list[str]:
        listed = self.admin().list_objects_v2(Bucket=BUCKET, Prefix="db/").get("Contents", [])
        return sorted(o["Key"] for o in listed if o["Key"].endswith(MANIFEST_SUFFIX))


@contextmanager
def deployed_rig(root: Path) -> Iterator[Rig]:
    """The stack up on its servers and database; destroyed, the crontab checked as found, whatever happens."""
    identity = pyrage.x25519.Identity.generate()
    identity_file = root / "identity.txt"
    identity_file.write_text(f"# test identity\n{identity}\n")
    identity_file.chmod(0o600)
    with site_emulators(root) as (emulator, stripe), start_supabase_cluster(DB_PASSWORD) as cluster:
        create_supabase_database(dict(cluster.socket()), dict(cluster.socket("postgres")), SOURCE_DB, rows=3000)
        with backup_servers() as servers:
            crontab_before = servers.crontab()
            install_dir = f"sf-it-{secrets.token_hex(4)}"
            harness, _, _ = configured_stack(
                root,
                servers,
                emulator,
                stripe,
                bucket=BUCKET,
                install_dir=install_dir,
                database_url=cluster.url(SOURCE_DB),
                recipient=str(identity.to_public()),
            )
            try:  # a failed up may have installed part of it: destroyed all the same
                harness.stack.up(on_output=quiet)
                outputs = harness.outputs()
                env_values = servers.env_file(install_dir)
                restore_env = {  # the operator's exports (--credentials-from-env is the default off local)
                    "AWS_ACCESS_KEY_ID": outputs["backupRestoreAccessKeyId"],
                    "AWS_SECRET_ACCESS_KEY": outputs["backupRestoreSecretAccessKey"],
                    "BACKUP_BUCKET": BUCKET,
                    "S3_ENDPOINT_URL": servers.s3_url,
                    "AWS_REGION": "us-east-1",
                    "SFOPS_DATABASE_URL": cluster.url("postgres"),
                    "SFOPS_AGE_IDENTITY_FILE": str(identity_file),
                }
                yield Rig(
                    servers,
                    cluster,
                    install_dir,
                    identity_file,
                    restore_env,
                    env_values,
                    {
                        "database password": DB_PASSWORD,
                        "uploader secret key": env_values["AWS_SECRET_ACCESS_KEY"],
                        "restore secret key": outputs["backupRestoreSecretAccessKey"],
                        "age identity": str(identity),
                    },
                    root,
                    {**harness.env, "SFOPS_PROJECT_DIR": str(harness.project_dir)},
                )
            finally:
                empty_bucket(servers.s3(), BUCKET)
                harness.stack.destroy(on_output=quiet)
                # destroy keeps the backup log on the host (the operator's record); the test's is not.
                servers.ssh(f"rm -rf {install_dir}")
                assert servers.crontab() == crontab_before, "the crontab is left as it was"


def cron_backup(rig: Rig) -> str:
    """One backup by the installed crontab line; the new manifest's key."""
    before = set(rig.manifests())
    ran = rig.run_cron_line()
    assert ran.returncode == 0, rig.host_log()[-2000:]
    (new,) = set(rig.manifests()) - before
    return new
