"""Issues 9 and 18: `sfops backup` from the installed crontab line and `sfops restore`, for real, on Supabase's shape.

The rig (restore_rig.py: moto S3/IAM, sshd as the backup host, a Supabase-shaped PostgreSQL)
is brought up once for the package and shared with test_backup_history.py. Every backup and
restore connects as `postgres`. The backup runs as cron would run
it: the crontab line's command, over SSH, as the unprivileged backup user. Restores run as
the operator: `sfops restore` with the restore identity's key and the age identity file.
Each test takes the backup it needs (or, where any will do, the latest there is).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pyrage
import pytest
import zstandard

from local_services.supabase_shape import create_project_database
from scripts.sfops.backup.database_url import DatabaseUrl, libpq_env
from scripts.sfops.backup.manifest import MANIFEST_SUFFIX, manifest_key_for
from scripts.sfops.restore.database import Fingerprints, connect, fingerprints
from tests.integration.backup_restore.restore_rig import BUCKET, SFOPS, SOURCE_DB, WAIT_S, Rig, cron_backup
from tests.integration.backup_support import ProcessSampler
from tests.integration.polling import wait_for

# The backup host's user (and its one crontab) is shared: `make test` runs these modules one at a time.
pytestmark = [pytest.mark.integration, pytest.mark.serial]


def _exec(url: DatabaseUrl, statement: str) -> None:
    with connect(url) as conn:
        conn.execute(statement.encode())


# --- the round trip ----------------------------------------------------------------------------


def test_installed_cron_command_backs_up_and_verify_proves_the_copy_identical(rig: Rig) -> None:
    sampler = ProcessSampler()
    sampler.start()
    try:
        manifest_key = cron_backup(rig)
    finally:
        sampler.done.set()
        sampler.join()
    manifest = json.loads(rig.admin().get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read())
    stored = rig.admin().head_object(Bucket=BUCKET, Key=manifest["key"])
    assert stored["ContentLength"] == manifest["size"]
    assert manifest["database"] == SOURCE_DB
    assert re.fullmatch(r"\d+\.\d+", manifest["pg_dump_version"])
    assert manifest["server_version"].split(".")[0] == manifest["pg_dump_version"].split(".")[0]
    assert manifest["finished_at"] >= manifest["started_at"]

    listed = rig.restore("--json", "restore", "--list")
    assert listed.returncode == 0, listed.stderr
    assert manifest["key"] in [b["key"] for b in json.loads(listed.stdout)]

    verified = rig.restore("--json", "restore", "--verify")
    assert verified.returncode == 0, verified.stderr
    report = json.loads(verified.stdout)
    assert report["identical"] is True
    tables = {row["relation"]: row for row in report["tables"]}
    assert {"public.artists", "public.events", "public.tickets", "public.audit_log"} <= set(tables)
    assert all(row["status"] == "same" for row in report["tables"])

    # No secret on a command line while the backup ran, in the host's log or in the manifest.
    places = {
        "process command lines": "\n".join(sampler.command_lines),
        "backup log": rig.host_log(),
        "manifest": json.dumps(manifest),
        "restore output": verified.stdout + verified.stderr,
    }
    assert any("pg_dump" in line for line in sampler.command_lines), "the sampler saw the backup's pg_dump"
    for place, text in places.items():
        for name, value in rig.secrets.items():
            assert value not in text, f"the {name} appears in the {place}"
    events = [json.loads(line)["event"] for line in rig.host_log().splitlines()]
    assert events[-2:] == ["backup.start", "backup.done"]


def test_restore_into_a_named_database_and_refuse_a_non_empty_one_without_force(rig: Rig) -> None:
    cron_backup(rig)
    target = f"copy_{secrets.token_hex(3)}"
    first = rig.restore("restore", "--database", target)
    assert first.returncode == 0, first.stderr
    assert fingerprints(rig.db(target)) == fingerprints(rig.db(SOURCE_DB))

    _exec(rig.db(target), "UPDATE tickets SET holder = 'changed by hand' WHERE id = 1")
    changed = fingerprints(rig.db(target))
    refused = rig.restore("restore", "--database", target)
    assert refused.returncode == 1
    assert f"{target} is not empty" in refused.stderr
    assert "--force" in refused.stderr
    assert fingerprints(rig.db(target)) == changed, "a refused restore changes nothing"

    forced = rig.restore("restore", "--database", target, "--force")
    assert forced.returncode == 0, forced.stderr
    assert fingerprints(rig.db(target)) == fingerprints(rig.db(SOURCE_DB))


def test_credentials_from_the_stack_need_no_exports(rig: Rig) -> None:
    """The restore key comes from the stack's outputs and the server from its config: nothing exported."""
    if not rig.manifests():
        cron_backup(rig)
    bare = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SFOPS_", "BACKUP_", "S3_", "PG", "PULUMI_"))
    }
    env = {**bare, **rig.stack_env}

    def sfops(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [str(SFOPS), "--stack", "it", "--json", "restore", *args]
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)

    without = sfops("--list")
    assert without.returncode == 2, "off local the environment is the default, and it holds no key"
    listed = sfops("--credentials-from-stack", "--list")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)[-1]["key"] == rig.manifests()[-1].replace(MANIFEST_SUFFIX, ".dump.zst.age")
    verified = sfops("--credentials-from-stack", "--verify", "--identity", str(rig.identity_file))
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["identical"] is True
    for name, value in rig.secrets.items():
        assert value not in listed.stdout + listed.stderr + verified.stdout + verified.stderr, name


# --- refusals ------------------------------------------------------------------------------------


def _future_key() -> tuple[str, str]:
    """An object key an hour ahead (restore picks it as the latest) and its start time."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(time.time() + 3600)) + f".{secrets.randbelow(10**6):06d}Z"
    started = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T{stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}+00:00"
    return f"db/{stamp}.dump.zst.age", started


def _forge(rig: Rig, how: str) -> None:
    """A newer 'backup' that restore would pick as the latest, spoiled in one way."""
    s3 = rig.admin()
    latest = rig.manifests()[-1]
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=latest)["Body"].read())
    body = s3.get_object(Bucket=BUCKET, Key=manifest["key"])["Body"].read()
    key, started = _future_key()
    manifest.update(key=key, started_at=started, finished_at=started)
    if how == "tampered":
        middle = len(body) // 2
        body = body[:middle] + bytes([body[middle] ^ 0x01]) + body[middle + 1 :]
    elif how == "truncated":
        body = body[: len(body) - 1000]
    elif how == "manifest-mismatch":
        manifest["sha256"] = "0" * 64
    elif how == "wrong-key":
        other = pyrage.x25519.Identity.generate().to_public()
        body = pyrage.encrypt(b"not the database", [other])
        manifest.update(size=len(body), sha256=hashlib.sha256(body).hexdigest())
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    s3.put_object(Bucket=BUCKET, Key=manifest_key_for(key), Body=json.dumps(manifest).encode())


def _drop_forgeries(rig: Rig) -> None:
    with rig.without_bucket_policy() as s3:
        versions = s3.list_object_versions(Bucket=BUCKET, Prefix="db/")
        for version in versions.get("Versions", []):
            if version["Key"] > time.strftime("db/%Y%m%dT%H%M%S", time.gmtime(time.time() + 60)):
                s3.delete_object(
                    Bucket=BUCKET, Key=version["Key"], VersionId=version["VersionId"], BypassGovernanceRetention=True
                )


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("tampered", "does not match the manifest"),
        ("truncated", "truncated or replaced upload"),
        ("manifest-mismatch", "does not match the manifest"),
        ("wrong-key", "cannot decrypt this backup"),
    ],
)
def test_a_spoiled_backup_is_refused_and_the_target_is_unchanged(rig: Rig, how: str, message: str) -> None:
    if not rig.manifests():
        cron_backup(rig)
    target = f"target_{secrets.token_hex(3)}"
    ready = rig.restore("restore", "--database", target)
    assert ready.returncode == 0, ready.stderr
    _exec(rig.db(target), "CREATE TABLE sentinel (note text); INSERT INTO sentinel VALUES ('before')")
    before = fingerprints(rig.db(target))
    _forge(rig, how)
    try:
        for args in (("--database", target, "--force"), ("--verify",)):
            refused = rig.restore("restore", *args)
            assert refused.returncode == 1, refused.stderr
            assert message in refused.stderr, refused.stderr
            assert "is unchanged" in refused.stderr
        assert fingerprints(rig.db(target)) == before, "nothing was restored from a spoiled backup"
    finally:
        _drop_forgeries(rig)


# --- Supabase: managed schemas, grants, RLS, the non-superuser postgres ------------------------------

MANAGED_OBJECTS = (
    "SELECT 'schema ' || nspname, oid::text FROM pg_namespace "
    "WHERE nspname IN ('auth', 'storage', 'extensions', 'realtime', 'vault', 'graphql_public') "
    "UNION ALL SELECT 'table ' || oid::regclass::text, oid::text FROM pg_class "
    "WHERE relnamespace::regnamespace::text IN ('auth', 'storage', 'realtime', 'vault') AND relkind = 'r' "
    "UNION ALL SELECT 'extension ' || extname, oid::text FROM pg_extension"
)
ANON_READS = (
    "public.artists",
    "public.events",
    "public.tickets",
    "public.audit_log",
    "public.profiles",
    "app.settings",
)


def _managed(url: DatabaseUrl) -> dict[str, str]:
    """Supabase's own objects by OID: one dropped and recreated would change."""
    with connect(url) as conn:
        return dict(conn.execute(MANAGED_OBJECTS).fetchall())


def _anon_reads(url: DatabaseUrl) -> dict[str, str]:
    """What `anon` (PostgREST without a session) can read of each application table."""
    seen = {}
    with connect(url) as conn:
        conn.execute("SET ROLE anon")
        for table in ANON_READS:
            try:
                row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 - constant names
                seen[table] = f"{row[0] if row else 0} rows"
            except psycopg.errors.InsufficientPrivilege:
                seen[table] = "denied"
    return seen


def _scalar(url: DatabaseUrl, query: str) -> Any:
    with connect(url) as conn:
        row = conn.execute(query.encode()).fetchone()
    assert row is not None
    return row[0]


def test_a_supabase_backup_restores_into_a_fresh_project_and_over_itself_as_postgres(rig: Rig) -> None:
    assert rig.server.user == "postgres"
    assert _scalar(rig.db(SOURCE_DB), "SELECT rolsuper FROM pg_roles WHERE rolname = current_user") is False
    manifest_key = cron_backup(rig)
    manifest = json.loads(rig.admin().get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read())
    assert manifest["manifest_version"] == 2
    contents = manifest["contents"]
    assert contents["application_schemas"] == ["app", "public"]
    assert contents["data_only_schemas"] == ["auth", "storage"]
    assert {"realtime", "vault", "extensions", "graphql_public"} <= set(contents["left_out_schemas"])
    source = rig.db(SOURCE_DB)
    original, anon_before = fingerprints(source), _anon_reads(source)
    users = _scalar(source, "SELECT count(*) FROM auth.users")
    assert users > 0
    assert anon_before["public.events"] != "denied"
    assert anon_before["public.tickets"] == "denied"

    # Into a fresh project: Supabase's schemas are there (no users yet), the application is not.
    fresh = f"project_{secrets.token_hex(3)}"
    create_project_database(dict(rig.cluster.socket()), fresh)
    managed_before = _managed(rig.db(fresh))
    restored = rig.restore("restore", "--database", fresh)
    assert restored.returncode == 0, restored.stderr
    assert fingerprints(rig.db(fresh)) == original, "rows, sequences, grants and RLS policies as in the source"
    assert _scalar(rig.db(fresh), "SELECT count(*) FROM auth.users") == users
    assert _anon_reads(rig.db(fresh)) == anon_before
    assert _managed(rig.db(fresh)) == managed_before, "no managed schema or table was dropped or recreated"

    # Over itself, after rows, a grant and a policy were changed by hand: --force puts them back.
    managed_source = _managed(source)
    _exec(
        source,
        "UPDATE auth.users SET phone = '0000' WHERE phone LIKE '%00000001'; DELETE FROM public.profiles WHERE "
        "display_name = 'Fan 2'; GRANT SELECT ON public.tickets TO anon; CREATE POLICY leak ON public.tickets "
        'FOR SELECT TO anon USING (true); DROP POLICY "artists: everyone reads" ON public.artists',
    )
    assert _anon_reads(source) != anon_before
    forced = rig.restore("restore", "--database", SOURCE_DB, "--force")
    assert forced.returncode == 0, forced.stderr
    assert fingerprints(source) == original
    assert _anon_reads(source) == anon_before, "anon reads exactly what it could before"
    assert _managed(source) == managed_source, "no managed schema or table was dropped or recreated"

    verified = rig.restore("--json", "restore", "--verify")
    assert verified.returncode == 0, verified.stderr
    relations = {row["relation"]: row["status"] for row in json.loads(verified.stdout)["tables"]}
    for name in ("auth.users", "storage.objects", "grants on public.events", "policies on public.profiles"):
        assert relations[name] == "same", name


def test_a_changed_grant_or_policy_makes_verify_fail(rig: Rig) -> None:
    if not rig.manifests():
        cron_backup(rig)
    source = rig.db(SOURCE_DB)
    _exec(source, "GRANT INSERT ON public.events TO anon")
    try:
        report = rig.restore("--json", "restore", "--verify")
        assert report.returncode == 1
        rows = {row["relation"]: row["status"] for row in json.loads(report.stdout)["tables"]}
        assert rows["grants on public.events"] == "differs"
    finally:
        _exec(source, "REVOKE INSERT ON public.events FROM anon")


def test_a_restore_that_would_touch_a_managed_schema_is_refused(rig: Rig) -> None:
    """A whole-database dump (how backups were made before) holds Supabase's schemas: refused, naming them."""
    if not rig.manifests():
        cron_backup(rig)
    whole = rig.work / "whole.dump"
    with libpq_env(rig.db(SOURCE_DB)) as env:  # all that postgres may lock (vault's and realtime's tables not)
        dumped = subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--exclude-schema=vault",
                "--exclude-schema=realtime",
                f"--file={whole}",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    assert dumped.returncode == 0, dumped.stderr
    identity = pyrage.x25519.Identity.from_str(rig.identity_file.read_text().splitlines()[-1])
    body = pyrage.encrypt(zstandard.ZstdCompressor().compress(whole.read_bytes()), [identity.to_public()])
    key, started = _future_key()
    latest = json.loads(rig.admin().get_object(Bucket=BUCKET, Key=rig.manifests()[-1])["Body"].read())
    latest.pop("contents", None)
    latest.update(
        key=key, started_at=started, finished_at=started, size=len(body), sha256=hashlib.sha256(body).hexdigest()
    )
    latest["manifest_version"] = 1
    s3 = rig.admin()
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    s3.put_object(Bucket=BUCKET, Key=manifest_key_for(key), Body=json.dumps(latest).encode())
    target = f"project_{secrets.token_hex(3)}"
    create_project_database(dict(rig.cluster.socket()), target)
    before, managed = fingerprints(rig.db(target)), _managed(rig.db(target))
    try:
        refused = rig.restore("restore", "--database", target)
        assert refused.returncode == 1, refused.stderr
        assert "extensions, graphql_public, schemas Supabase manages" in refused.stderr
        assert "is unchanged" in refused.stderr
        assert fingerprints(rig.db(target)) == before
        assert _managed(rig.db(target)) == managed
    finally:
        _drop_forgeries(rig)


# --- one snapshot ----------------------------------------------------------------------------------


def _stub_bin(rig: Rig, pg_dump_body: str) -> Path:
    """A PG_BIN_DIR whose pg_dump wraps the real one; psql is the real one."""
    real = Path(shutil.which("pg_dump") or "/usr/bin/pg_dump")
    directory = rig.work / f"bin-{secrets.token_hex(3)}"
    directory.mkdir()
    script = directory / "pg_dump"
    script.write_text(
        f'#!/bin/sh\nREAL={real}\nif [ "$1" = --version ]; then exec "$REAL" --version; fi\n{pg_dump_body}'
    )
    script.chmod(0o755)
    (directory / "psql").symlink_to(shutil.which("psql") or "/usr/bin/psql")
    return directory


def _start_local_backup(env_file: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(SFOPS), "backup", str(env_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_writes_during_the_backup_do_not_reach_the_restored_copy(rig: Rig) -> None:
    paused, go = rig.work / "dump-paused", rig.work / "dump-go"
    # The stub lets pg_dump start (its snapshot is taken), passes 64 KiB, then holds the rest:
    # pg_dump is still running, blocked on a full pipe, while the test writes.
    stub = _stub_bin(
        rig,
        f'"$REAL" "$@" | {{ head -c 65536; touch {paused}; while [ ! -e {go} ]; do sleep 0.05; done; cat; }}\n',
    )
    source = rig.db(SOURCE_DB)
    at_start: Fingerprints = fingerprints(source)
    before = set(rig.manifests())
    backup = _start_local_backup(rig.local_env_file(PG_BIN_DIR=str(stub)))
    try:
        wait_for(paused.exists, "the dump to start", WAIT_S, 0.05)
        with connect(source) as conn:
            dumping = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_dump' AND datname = %s",
                (SOURCE_DB,),
            ).fetchone()
            assert dumping == (1,), "pg_dump is still running while the writes commit"
        with connect(source) as conn, conn.transaction():
            conn.execute("INSERT INTO events (artist_id, title, starts_at, price) VALUES (1, 'late', now(), 1)")
            conn.execute("INSERT INTO tickets (event_id, holder) SELECT max(id), 'late' FROM events")
            conn.execute("UPDATE artists SET bio = 'rewritten' WHERE id = 1")
            conn.execute("DELETE FROM audit_log WHERE actor = 'user-1'")
        go.touch()
        _, err = backup.communicate(timeout=WAIT_S)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(backup.pid, signal.SIGKILL)
    assert backup.returncode == 0, err
    (new,) = set(rig.manifests()) - before
    assert fingerprints(source) != at_start, "the writes were committed"

    target = f"snap_{secrets.token_hex(3)}"
    key = new.removesuffix(MANIFEST_SUFFIX).rsplit("/", 1)[-1] + ".dump.zst.age"
    restored = rig.restore("restore", "--database", target, "--backup", key)
    assert restored.returncode == 0, restored.stderr
    assert fingerprints(rig.db(target)) == at_start, "the copy is the database as it was when the dump began"


# --- killed backups --------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_backup_is_never_picked_as_the_latest(rig: Rig, signum: int) -> None:
    if not rig.manifests():
        cron_backup(rig)
    latest_before = rig.manifests()[-1]
    # pg_dump's output stays open (the stub sleeps): the backup is mid-upload when it is killed.
    stub = _stub_bin(rig, '"$REAL" "$@"\nexec sleep 600\n')
    admin = rig.admin()
    uploads_before = {u["UploadId"] for u in admin.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])}
    backup = _start_local_backup(rig.local_env_file(PG_BIN_DIR=str(stub)))

    def started() -> set[str]:
        uploads = admin.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
        return {u["UploadId"] for u in uploads} - uploads_before

    try:
        wait_for(started, "the multipart upload to start", WAIT_S, 0.05)
        (upload_id,) = started()
        if signum == signal.SIGKILL:
            os.killpg(backup.pid, signal.SIGKILL)
        else:
            backup.send_signal(signal.SIGTERM)
        _, err = backup.communicate(timeout=WAIT_S)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(backup.pid, signal.SIGKILL)
    assert backup.returncode != 0
    assert rig.manifests()[-1] == latest_before, "no manifest for the killed backup"
    listed = rig.restore("--json", "restore", "--list")
    assert json.loads(listed.stdout)[-1]["key"] == latest_before.replace(MANIFEST_SUFFIX, ".dump.zst.age")
    if signum == signal.SIGTERM:
        assert backup.returncode == 1
        assert upload_id not in started(), "the multipart upload was aborted"
        assert "backup.upload_aborted" in err
    else:
        # SIGKILL leaves the parts: the bucket's lifecycle aborts them after a day.
        rule = admin.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"][0]
        assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
        admin.abort_multipart_upload(
            Bucket=BUCKET,
            Key=next(
                u["Key"] for u in admin.list_multipart_uploads(Bucket=BUCKET)["Uploads"] if u["UploadId"] == upload_id
            ),
            UploadId=upload_id,
        )


# --- refusals at the start, pings --------------------------------------------------------------------


def test_a_pg_dump_older_than_the_server_is_refused(rig: Rig) -> None:
    stub = _stub_bin(rig, "")
    (stub / "pg_dump").write_text('#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n')
    before = rig.manifests()
    ran = subprocess.run(
        [str(SFOPS), "backup", str(rig.local_env_file(PG_BIN_DIR=str(stub)))],
        capture_output=True,
        text=True,
        timeout=WAIT_S,
        check=False,
    )
    assert ran.returncode == 2
    event = json.loads(ran.stderr.splitlines()[-1])
    assert event["event"] == "backup.cannot_start"
    assert "pg_dump 9.6 is older than the server's major version" in event["error"]
    assert rig.manifests() == before


class _Pings(BaseHTTPRequestHandler):
    seen: list[str]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        return None


def test_healthcheck_pings_start_and_success_or_failure(rig: Rig) -> None:
    _Pings.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pings)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    token = secrets.token_hex(8)
    url = f"http://127.0.0.1:{server.server_address[1]}/ping/{token}"
    try:
        good = rig.local_env_file(BACKUP_HEALTHCHECK_URL=url)
        ok = subprocess.run([str(SFOPS), "backup", str(good)], capture_output=True, text=True, timeout=120, check=False)
        assert ok.returncode == 0, ok.stderr
        assert _Pings.seen == [f"/ping/{token}/start", f"/ping/{token}"]
        _Pings.seen.clear()
        bad = rig.local_env_file(BACKUP_HEALTHCHECK_URL=url, BACKUP_BUCKET="sf-it-no-such-bucket")
        failed = subprocess.run(
            [str(SFOPS), "backup", str(bad)], capture_output=True, text=True, timeout=120, check=False
        )
        assert failed.returncode == 1
        assert _Pings.seen == [f"/ping/{token}/start", f"/ping/{token}/fail"]
        assert token not in ok.stderr + failed.stderr, "the ping URL (a secret) is not logged"
    finally:
        server.shutdown()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-x"]))
