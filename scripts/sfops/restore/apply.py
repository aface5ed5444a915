"""One restore of a chosen backup into a target database: check, plan, refuse or apply in one transaction.

Order: the stored object against its manifest; its table of contents; the target's state;
the plan (refused when it would touch what Supabase manages); the emptiness check (the
application's relations, and rows already in the managed tables the backup fills), unless
--force; then the stream. With --force the transaction first empties the managed tables the
backup fills (auth.users...) together with the tables that reference them, which must be the
backup's own (they are dropped and recreated by `pg_restore --clean`); any other table with
such a reference is a refusal, not a silent TRUNCATE of data the backup cannot give back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from psycopg import sql

from scripts.sfops.backup.database_url import DatabaseUrl
from scripts.sfops.backup.manifest import Manifest
from scripts.sfops.backup.pg_versions import VersionError
from scripts.sfops.context import Exit, SfopsError
from scripts.sfops.restore import database as db
from scripts.sfops.restore.object_check import IntegrityError, verify_stored_object
from scripts.sfops.restore.plan import Plan, PlanRefused, make_plan, parse_toc
from scripts.sfops.restore.stream_restore import RestoreFailed, Source, read_toc, restore_stream

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# A Supabase project gives new objects of `postgres` grants to anon/authenticated/service_role
# (ALTER DEFAULT PRIVILEGES). pg_dump writes each object's grants as changes from PostgreSQL's
# built-in defaults, so objects recreated under Supabase's defaults would come back with more
# than they had: `anon` could suddenly write to a table it could only read. The transaction
# first drops the restoring role's default privileges; the backup's own (DEFAULT ACL entries,
# restored last) put them back as they were when it was taken.
RESET_DEFAULT_PRIVILEGES = """
DO $sfops$
DECLARE d record;
BEGIN
  FOR d IN
    SELECT p.defaclobjtype AS kind, n.nspname AS schema, a.grantee
    FROM pg_default_acl p LEFT JOIN pg_namespace n ON n.oid = p.defaclnamespace
    CROSS JOIN LATERAL aclexplode(p.defaclacl) a
    WHERE p.defaclrole = current_user::regrole AND a.grantee <> p.defaclrole
  LOOP
    EXECUTE format('ALTER DEFAULT PRIVILEGES %s REVOKE ALL ON %s FROM %s',
      CASE WHEN d.schema IS NULL THEN '' ELSE 'IN SCHEMA ' || quote_ident(d.schema) END,
      CASE d.kind WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS'
                  WHEN 'T' THEN 'TYPES' ELSE 'SCHEMAS' END,
      CASE WHEN d.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(d.grantee)) END);
  END LOOP;
END
$sfops$;
"""


@dataclass(frozen=True)
class Chosen:
    """The backup to restore, where it is, and the identities that decrypt it."""

    s3: S3Client
    bucket: str
    manifest: Manifest
    identities: list[Any]


def _refuse(message: str, target: DatabaseUrl) -> SfopsError:
    return SfopsError(f"{message}; {target.dbname} is unchanged", Exit.FAILED)


def _not_empty(target: DatabaseUrl, plan: Plan) -> list[str]:
    return db.user_relations(target) + db.managed_rows(target, plan.data_tables)


def _truncate_first(target: DatabaseUrl, plan: Plan, present: frozenset[str]) -> str:
    """--force: the SQL that empties the managed tables the backup fills, before their rows are copied."""
    tables = [t for t in plan.data_tables if t in present]
    referencing = db.referencing_tables(target, tables)
    ours = {f"{e.schema}.{e.name}" for e in plan.keep if e.desc == "TABLE"}
    foreign = [t for t in referencing if t not in ours]
    if foreign:
        raise SfopsError(
            f"{', '.join(foreign)} reference(s) {', '.join(tables)} but are not in the backup: --force would have "
            f"to empty them; nothing restored (fix: restore into a new database with --database NEW_NAME)",
            Exit.FAILED,
        )
    names = [sql.Identifier(*t.split(".", 1)) for t in [*tables, *referencing]]
    if not names:
        return ""
    with db.connect(target) as conn:
        return sql.SQL("TRUNCATE TABLE {};\n").format(sql.SQL(", ").join(names)).as_string(conn)


def restore_backup(chosen: Chosen, target: DatabaseUrl, *, force: bool, say: Callable[[str], None]) -> Plan:
    manifest = chosen.manifest
    try:
        etag = verify_stored_object(chosen.s3, chosen.bucket, manifest)
        say("size and SHA-256 match the manifest; reading its table of contents")
        source = Source(chosen.s3, chosen.bucket, manifest, etag, chosen.identities)
        entries = parse_toc(read_toc(source))
        state = db.target_state(target)
        plan = make_plan(entries, state)
        present = _not_empty(target, plan)
        if present and not force:
            shown = ", ".join(present[:5]) + (" ..." if len(present) > 5 else "")
            raise _refuse(
                f"{target.dbname} is not empty ({len(present)}: {shown}; Supabase's own schemas aside); nothing "
                "restored (fix: --database NEW_NAME, or --force to replace what the backup holds)",
                target,
            )
        preamble = _truncate_first(target, plan, state.tables) if present else ""
        missing = sorted(set(plan.extensions) - db.extensions(target))
        if missing:
            say(
                f"the backup's database had extension(s) {', '.join(missing)}, the target has not: enable them "
                "(Supabase: Database -> Extensions) if the application uses them"
            )
        say(f"restoring into {target.dbname}: {len(plan.keep)} entries, {len(plan.skipped)} left to Supabase")
        staged = db.parents_first(target, [t for t in plan.data_tables if t in state.tables])
        restore_stream(
            source,
            target,
            plan.list_file(),
            clean=bool(present),
            preamble=RESET_DEFAULT_PRIVILEGES + preamble,
            staged=staged,
        )
    except PlanRefused as exc:
        raise _refuse(str(exc), target) from None
    except (IntegrityError, RestoreFailed) as exc:
        raise _refuse(str(exc), target) from None
    except VersionError as exc:
        raise SfopsError(str(exc)) from None
    except (ClientError, BotoCoreError) as exc:
        raise SfopsError(f"cannot read {manifest.key}: {exc}") from None
    except db.DatabaseError as exc:
        raise SfopsError(f"cannot read the target database: {type(exc).__name__}: {exc}") from None
    return plan
