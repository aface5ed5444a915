"""`sfops restore`: list backups, or check, decrypt and restore one (latest, by time or by name).

Where the backups are: --bucket/--prefix/--endpoint-url/--region, else $BACKUP_BUCKET,
$BACKUP_PREFIX, $S3_ENDPOINT_URL, $AWS_REGION, else the stack's config. S3 credentials:
with --credentials-from-stack (the default on `local`), the restore identity's key from the
stack's outputs (`backupRestoreAccessKeyId`, `backupRestoreSecretAccessKey`), read in memory;
otherwise boto3's usual chain ($AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY, a profile). The
database server is $SFOPS_DATABASE_URL, else (from the stack) its `backupDatabaseUrl`; the age
identity --identity or $SFOPS_AGE_IDENTITY_FILE: never a secret on the command line.

What is restored, and as whom: see `plan.py` (the application's schemas with grants and RLS
policies, the rows of `auth` and `storage`, never a Supabase-managed definition) and
`stream_restore.py` (one transaction, as the URL's role: Supabase's `postgres` is no superuser).

Exit codes: 0 restored (and, with --verify, identical); 1 refused or different (a backup
that does not match its manifest, a wrong key, a non-empty target without --force, a
failed pg_restore, a table that differs); 2 could not start (usage, config, S3).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import click
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.table import Table

from scripts.sfops.backup.database_url import DatabaseUrl, DatabaseUrlError
from scripts.sfops.backup.pipeline import S3_CONFIG
from scripts.sfops.context import AppContext, Exit, SfopsError, run_pulumi
from scripts.sfops.output import checks_table
from scripts.sfops.restore import database as db
from scripts.sfops.restore.apply import Chosen, restore_backup
from scripts.sfops.restore.catalog import CatalogError, Listing, choose, list_backups
from scripts.sfops.restore.compare import compare
from scripts.sfops.restore.stream_restore import RestoreFailed, load_identities

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DATABASE_URL_ENV = "SFOPS_DATABASE_URL"
SOURCE_URL_ENV = "SFOPS_SOURCE_DATABASE_URL"
IDENTITY_ENV = "SFOPS_AGE_IDENTITY_FILE"
LOCAL_IDENTITY = Path(".local-services/backup-age/identity.txt")


def _location(
    app: AppContext, bucket: str | None, prefix: str | None, endpoint: str | None, region: str | None
) -> tuple[str, str, str | None, str]:
    bucket = bucket or os.environ.get("BACKUP_BUCKET")
    prefix = prefix or os.environ.get("BACKUP_PREFIX")
    endpoint = endpoint or os.environ.get("S3_ENDPOINT_URL")
    region = region or os.environ.get("AWS_REGION")
    if not bucket:
        raw = app.raw_config
        bucket = raw.get("backupBucket")
        prefix = prefix or raw.get("backupPrefix")
        endpoint = endpoint or raw.get("s3EndpointUrl")
        region = region or raw.get("backupRegion")
        if not bucket:
            raise SfopsError(f"stack {app.stack!r} has no backupBucket (fix: --bucket NAME or $BACKUP_BUCKET)")
    return bucket, prefix or "db/", endpoint or None, region or "us-east-1"


def _server(env: str = DATABASE_URL_ENV, stack_url: str = "") -> DatabaseUrl:
    url = os.environ.get(env) or stack_url
    if not url:
        raise SfopsError(
            f"set ${env} to the target server's postgresql:// URL (never on the command line), "
            "or use --credentials-from-stack to take the stack's backupDatabaseUrl"
        )
    where = f"${env}" if os.environ.get(env) else "the stack's backupDatabaseUrl"
    try:
        return DatabaseUrl.parse(url)
    except DatabaseUrlError as exc:
        raise SfopsError(f"{where}: {exc}") from None


@dataclass(frozen=True)
class StackCredentials:
    """What the stack knows for a restore, held in memory only."""

    access_key_id: str
    secret_access_key: str
    database_url: str


def _stack_credentials(app: AppContext) -> StackCredentials:
    process = run_pulumi(["stack", "output", "--json", "--show-secrets"], app.stack, app.project_dir)
    if process.returncode != 0:
        detail = process.stderr.strip().splitlines()[-1] if process.stderr.strip() else "no output"
        raise SfopsError(f"cannot read the outputs of stack {app.stack!r}: {detail} (is it up? `make demo` on local)")
    try:
        outputs = json.loads(process.stdout)
    except ValueError:
        raise SfopsError("`pulumi stack output --json` printed something that is not JSON") from None
    key_id, secret = outputs.get("backupRestoreAccessKeyId"), outputs.get("backupRestoreSecretAccessKey")
    if not key_id or not secret:
        raise SfopsError(
            f"stack {app.stack!r} has no backupRestoreAccessKeyId/backupRestoreSecretAccessKey output "
            "(fix: backupsEnabled true and `pulumi up`, or --credentials-from-env with the key exported)"
        )
    return StackCredentials(str(key_id), str(secret), app.raw_config.get("backupDatabaseUrl"))


def _identity_file(app: AppContext, given: Path | None) -> Path:
    path = given or (Path(os.environ[IDENTITY_ENV]) if os.environ.get(IDENTITY_ENV) else None)
    if path is None and app.stack == "local" and (app.project_dir / LOCAL_IDENTITY).is_file():
        path = app.project_dir / LOCAL_IDENTITY
    if path is None:
        raise SfopsError(f"no age identity: --identity FILE or ${IDENTITY_ENV} (the private key, kept off the host)")
    return path


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SfopsError(
            f"--at {text!r} is not a time such as 2026-01-02T03:00 (UTC unless it has an offset)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _render_listing(listing: Listing, console: Console) -> None:
    table = Table(title="backups (oldest first)", title_justify="left")
    for column in ("started (UTC)", "object", "size", "sha256", "pg_dump / server"):
        table.add_column(column)
    for m in listing.backups:
        table.add_row(
            m.started_at[:19], m.key, f"{m.size:,}", m.sha256[:16], f"{m.pg_dump_version} / {m.server_version}"
        )
    console.print(table)


@click.command("restore")
@click.option("--list", "list_only", is_flag=True, help="List the backups and their manifests, restore nothing.")
@click.option("--at", "at_text", default=None, help="Restore the latest backup started at or before this time.")
@click.option("--backup", "backup_key", default=None, help="Restore this backup (object name from --list).")
@click.option("--database", "target_name", default=None, help="Database to restore into (created when missing).")
@click.option("--force", is_flag=True, help="Restore over a non-empty database (objects in the backup are replaced).")
@click.option("--verify", is_flag=True, help="Restore into a scratch database and compare every table with the source.")
@click.option(
    "--source-database", default=None, help="--verify: the database to compare with (default: the backed-up one)."
)
@click.option(
    "--identity", type=click.Path(dir_okay=False, path_type=Path), default=None, help="age identity file (private key)."
)
@click.option(
    "--credentials-from-stack/--credentials-from-env",
    "from_stack",
    default=None,
    help="Restore key and database URL from the stack's outputs and config (default on local), or from the env.",
)
@click.option("--bucket", default=None)
@click.option("--prefix", default=None)
@click.option("--endpoint-url", default=None)
@click.option("--region", default=None)
@click.pass_obj
def command(
    app: AppContext,
    list_only: bool,
    at_text: str | None,
    backup_key: str | None,
    target_name: str | None,
    force: bool,
    verify: bool,
    source_database: str | None,
    identity: Path | None,
    from_stack: bool | None,
    bucket: str | None,
    prefix: str | None,
    endpoint_url: str | None,
    region: str | None,
) -> None:
    """List backups, or restore one into --database, or prove one with --verify."""
    if sum((list_only, verify, target_name is not None)) != 1:
        raise click.UsageError("give exactly one of --list, --database NAME, --verify")
    if at_text and backup_key:
        raise click.UsageError("--at and --backup exclude each other")
    at = _parse_time(at_text) if at_text else None
    name, folder, endpoint, region_name = _location(app, bucket, prefix, endpoint_url, region)
    stack = _stack_credentials(app) if (app.stack == "local" if from_stack is None else from_stack) else None
    session = boto3.Session(
        region_name=region_name,
        aws_access_key_id=stack.access_key_id if stack else None,
        aws_secret_access_key=stack.secret_access_key if stack else None,
    )
    s3: S3Client = session.client("s3", endpoint_url=endpoint, config=S3_CONFIG)
    try:
        listing = list_backups(s3, name, folder)
    except (ClientError, BotoCoreError) as exc:
        raise SfopsError(f"cannot list s3://{name}/{folder}: {exc}") from None
    for problem in listing.problems:
        app.out.warn(problem)
    if list_only:
        data = [vars(m) for m in listing.backups]
        app.out.result(data, lambda console: _render_listing(listing, console))
        return
    server = _server(stack_url=stack.database_url if stack else "")
    identities = load_identities_or_fail(_identity_file(app, identity))
    try:
        manifest = choose(listing, at=at, key=backup_key)
    except CatalogError as exc:
        raise SfopsError(str(exc), Exit.FAILED) from None
    app.out.info(f"backup {manifest.key} (started {manifest.started_at}, {manifest.size:,} bytes)")
    chosen = Chosen(s3, name, manifest, identities)
    if verify:
        _verify(app, chosen, server, source_database)
    else:
        assert target_name is not None
        _restore(app, chosen, server.with_database(target_name), force)


def load_identities_or_fail(path: Path) -> list[object]:
    try:
        return load_identities(path)
    except RestoreFailed as exc:
        raise SfopsError(str(exc)) from None


def _restore(app: AppContext, chosen: Chosen, target: DatabaseUrl, force: bool) -> None:
    manifest = chosen.manifest
    try:
        if not db.database_exists(target, target.dbname):
            db.create_database(target, target.dbname)
            app.out.info(f"created database {target.dbname}")
    except db.DatabaseError as exc:
        raise SfopsError(f"cannot reach the target server: {type(exc).__name__}: {exc}") from None
    plan = restore_backup(chosen, target, force=force, say=app.out.info)
    data = {
        "restored": manifest.key,
        "database": target.dbname,
        "sha256": manifest.sha256,
        "managed_rows": plan.data_tables,
        "left_to_supabase": len(plan.skipped),
    }
    app.out.result(data, lambda console: console.print(f"restored {manifest.key} into {target.dbname}"))


def _verify(app: AppContext, chosen: Chosen, server: DatabaseUrl, source_database: str | None) -> None:
    manifest = chosen.manifest
    source = _server(SOURCE_URL_ENV) if os.environ.get(SOURCE_URL_ENV) else server
    source = source.with_database(
        source_database or (source.dbname if os.environ.get(SOURCE_URL_ENV) else manifest.database)
    )
    scratch = server.with_database(db.scratch_name())
    try:
        db.create_database(server, scratch.dbname)
    except db.DatabaseError as exc:
        raise SfopsError(f"cannot create the scratch database: {type(exc).__name__}: {exc}") from None
    try:
        restore_backup(chosen, scratch, force=False, say=app.out.info)
        restored = db.fingerprints(scratch)
        original = db.fingerprints(source)
    except db.DatabaseError as exc:
        raise SfopsError(f"cannot read a database to compare: {type(exc).__name__}: {exc}") from None
    finally:
        db.drop_database(server, scratch.dbname)
    rows = compare(original, restored)
    same = all(row.status == "same" for row in rows)
    data = {"backup": manifest.key, "source": source.dbname, "identical": same, "tables": [vars(r) for r in rows]}
    checks = [
        (r.relation, "pass" if r.status == "same" else "fail", f"{r.source} | restored: {r.restored}") for r in rows
    ]
    app.out.result(
        data, lambda console: console.print(checks_table(f"verify {manifest.key} against {source.dbname}", checks))
    )
    if not same:
        raise SfopsError(f"the restored copy differs from {source.dbname} (see the table)", Exit.FAILED)
    app.out.info(f"verify: the restored copy of {manifest.key} is identical to {source.dbname}, table by table")
