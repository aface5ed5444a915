"""Issue 18 without servers: the managed-schema rule, the restore plan, staged rows, sslmode, manifest v2."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime

import pytest

from components.backups import host_bundle
from components.backups.config import parse_backup_config
from scripts.sfops.backup import supabase_schemas as schemas
from scripts.sfops.backup.database_url import DatabaseUrl, DatabaseUrlError
from scripts.sfops.backup.manifest import Manifest, manifest_key_for, object_key
from scripts.sfops.restore.plan import PlanRefused, Target, make_plan, parse_entry, parse_toc
from scripts.sfops.restore.stage import ManagedRows
from tests.unit.test_backup_config import base, keys

__all__ = ["keys"]

# A `pg_restore -l` of the Supabase-shaped database (trimmed), as pg_dump 15 writes it.
TOC = """;
; Archive created at 2026-12-05 22:59:09 UTC
13; 2615 16598 SCHEMA - app postgres
3538; 0 0 ACL - SCHEMA app postgres
8; 2615 16434 SCHEMA - auth supabase_auth_admin
3539; 0 0 ACL - SCHEMA auth supabase_auth_admin
6; 2615 2200 SCHEMA - public postgres
2; 3079 16397 EXTENSION - pgcrypto OWNERLESS
3542; 0 0 COMMENT - EXTENSION pgcrypto OWNERLESS
278; 1255 16475 FUNCTION auth uid() supabase_auth_admin
241; 1259 16599 TABLE app settings postgres
222; 1259 16435 TABLE auth users supabase_auth_admin
3549; 0 0 ACL auth TABLE users supabase_auth_admin
223; 1259 16444 TABLE auth identities supabase_auth_admin
240; 1259 16582 TABLE public profiles postgres
3557; 0 0 ACL public TABLE profiles postgres
3516; 0 16444 TABLE DATA auth identities supabase_auth_admin
3515; 0 16435 TABLE DATA auth users supabase_auth_admin
3529; 0 16582 TABLE DATA public profiles postgres
3564; 0 0 SEQUENCE SET auth refresh_tokens_id_seq supabase_auth_admin
3357; 2606 16454 FK CONSTRAINT auth identities identities_user_id_fkey supabase_auth_admin
3361; 2606 16590 FK CONSTRAINT public profiles profiles_id_fkey postgres
3509; 0 16582 ROW SECURITY public profiles postgres
3511; 3256 16595 POLICY public profiles profiles: a fan reads and edits their own postgres
3504; 0 16488 ROW SECURITY storage objects supabase_storage_admin
2138; 826 16392 DEFAULT ACL public DEFAULT PRIVILEGES FOR TABLES postgres
2141; 826 16395 DEFAULT ACL public DEFAULT PRIVILEGES FOR TABLES supabase_admin
""".replace(" OWNERLESS", " ")  # pg_restore ends an extension's line with a space (it has no owner)
SUPABASE = Target(
    frozenset({"public", "auth", "storage", "extensions", "realtime"}),
    frozenset({"auth.users", "auth.identities", "storage.objects"}),
    "postgres",
)
PLAIN = Target(frozenset({"public"}), frozenset(), "postgres")


def _labels(entries: list) -> set[str]:  # type: ignore[type-arg]
    return {entry.label for entry in entries}


def test_toc_lines_parse_with_multi_word_kinds_and_names() -> None:
    policy = parse_entry("3511; 3256 16595 POLICY public profiles profiles: a fan reads and edits their own postgres")
    assert policy is not None
    assert (policy.desc, policy.schema, policy.name, policy.owner) == (
        "POLICY",
        "public",
        "profiles profiles: a fan reads and edits their own",
        "postgres",
    )
    default = parse_entry("2141; 826 16395 DEFAULT ACL public DEFAULT PRIVILEGES FOR TABLES supabase_admin")
    assert default is not None
    assert (default.desc, default.owner) == ("DEFAULT ACL", "supabase_admin")
    extension = parse_entry("2; 3079 16397 EXTENSION - pgcrypto ")
    assert extension is not None
    assert (extension.desc, extension.name, extension.owner) == ("EXTENSION", "pgcrypto", "")
    assert parse_entry("; Archive created at 2026") is None
    acl = parse_entry("3539; 0 0 ACL - SCHEMA auth supabase_auth_admin")
    assert acl is not None
    assert acl.target_schema() == "auth"


def test_into_a_supabase_project_only_ours_and_the_managed_rows_are_applied() -> None:
    plan = make_plan(parse_toc(TOC), SUPABASE)
    kept = _labels(plan.keep)
    assert {"TABLE DATA auth.users", "TABLE DATA auth.identities", "SEQUENCE SET auth.refresh_tokens_id_seq"} <= kept
    assert {"TABLE app.settings", "ACL public.TABLE profiles", "ROW SECURITY public.profiles"} <= kept
    assert "POLICY public.profiles profiles: a fan reads and edits their own" in kept
    assert "DEFAULT ACL public.DEFAULT PRIVILEGES FOR TABLES" in kept  # postgres's own defaults
    assert not [e for e in plan.keep if e.target_schema() in ("auth", "storage") and e.desc not in schemas_data()]
    skipped = _labels(plan.skipped)
    assert {"SCHEMA auth", "TABLE auth.users", "FUNCTION auth.uid()", "EXTENSION pgcrypto", "SCHEMA public"} <= skipped
    assert [e.owner for e in plan.skipped if e.desc == "DEFAULT ACL"] == ["supabase_admin"]
    assert plan.data_tables == ["auth.identities", "auth.users"]
    assert plan.extensions == ["pgcrypto"]
    assert plan.list_file().splitlines()[0] == "13; 2615 16598 SCHEMA - app postgres"


def schemas_data() -> tuple[str, ...]:
    return ("TABLE DATA", "SEQUENCE SET")


def test_into_a_plain_database_the_managed_definitions_come_from_the_backup_without_grants_or_policies() -> None:
    plan = make_plan(parse_toc(TOC), PLAIN)
    kept = _labels(plan.keep)
    assert {"SCHEMA auth", "TABLE auth.users", "FUNCTION auth.uid()", "TABLE DATA auth.users"} <= kept
    assert "ACL auth.TABLE users" not in kept
    assert "ACL SCHEMA auth" not in kept
    assert "SCHEMA public" not in kept  # the target's own public stays (--clean must not drop it)


def test_definitions_in_another_managed_schema_are_refused_naming_it() -> None:
    toc = TOC + "300; 1259 17000 TABLE realtime messages supabase_admin\n14; 2615 17001 SCHEMA - vault supabase_admin\n"
    with pytest.raises(PlanRefused, match=r"2 definitions in realtime, vault, schemas Supabase manages"):
        make_plan(parse_toc(toc), SUPABASE)


def test_rows_for_a_managed_table_the_project_lacks_are_refused() -> None:
    toc = TOC + "3600; 0 17002 TABLE DATA auth mfa_factors supabase_auth_admin\n"
    with pytest.raises(PlanRefused, match=r"auth\.mfa_factors"):
        make_plan(parse_toc(toc), SUPABASE)


SQL_LINES = [
    b"SET row_security = off;\n",
    b"COPY auth.identities (id, user_id) FROM stdin;\n",
    b"COPY auth.users (id) FROM stdin;\n",  # a row's text, inside the COPY: left alone
    b"\\.\n",
    b"COPY public.profiles (id) FROM stdin;\n",
    b"1\n",
    b"\\.\n",
    b"COPY auth.users (instance_id, id) FROM stdin;\n",
    b"\t7\n",
    b"\\.\n",
    b"ALTER TABLE ONLY public.profiles ADD CONSTRAINT profiles_id_fkey;\n",
]


@pytest.mark.parametrize("split", [1, 7, 40, 10_000])
def test_managed_rows_are_staged_and_inserted_parents_first_after_the_last_copy(split: int) -> None:
    rows = ManagedRows(["auth.users", "auth.identities"])
    assert "CREATE TEMPORARY TABLE sfops_stage_0 (LIKE auth.users) ON COMMIT DROP;" in rows.preamble()
    stream = b"".join(SQL_LINES)
    sql = (b"".join(rows.feed(stream[i : i + split]) for i in range(0, len(stream), split)) + rows.finish()).decode()
    assert "COPY pg_temp.sfops_stage_1 (id, user_id) FROM stdin;\nCOPY auth.users (id) FROM stdin;\n" in sql
    assert "COPY public.profiles (id) FROM stdin;" in sql
    inserts = (
        "INSERT INTO auth.users (instance_id, id) OVERRIDING SYSTEM VALUE SELECT instance_id, id FROM "
        "pg_temp.sfops_stage_0;\nINSERT INTO auth.identities (id, user_id) OVERRIDING SYSTEM VALUE SELECT id, "
        "user_id FROM pg_temp.sfops_stage_1;\n"
    )
    assert sql.index(inserts) < sql.index("ADD CONSTRAINT profiles_id_fkey")
    assert not rows.pending


def test_sslmode_is_required_off_loopback_and_plain_text_modes_are_refused() -> None:
    remote = DatabaseUrl.parse("postgresql://postgres:pw@db.abc.supabase.co:5432/postgres")
    assert dict(remote.options)["sslmode"] == "require"
    with_ca = DatabaseUrl.parse("postgresql://postgres:pw@db.abc.supabase.co/postgres?sslrootcert=/etc/ca.pem")
    assert dict(with_ca.options)["sslmode"] == "verify-full"
    for mode in ("disable", "allow", "prefer"):
        with pytest.raises(DatabaseUrlError, match=rf"sslmode={mode} .*not loopback.*fix: leave sslmode out"):
            DatabaseUrl.parse(f"postgresql://postgres:pw@10.0.0.5/postgres?sslmode={mode}")
    with pytest.raises(DatabaseUrlError, match="sslmode=maybe is not one of"):
        DatabaseUrl.parse("postgresql://postgres:pw@127.0.0.1/postgres?sslmode=maybe")
    for host in ("127.0.0.1", "localhost", "[::1]", "%2Fvar%2Frun%2Fpostgresql"):
        plain = DatabaseUrl.parse(f"postgresql://postgres:pw@{host}/postgres?sslmode=disable")
        assert dict(plain.options)["sslmode"] == "disable"
        assert "sslmode" not in dict(DatabaseUrl.parse(f"postgresql://postgres:pw@{host}/postgres").options)


def test_the_preview_refuses_sslmode_disable_off_loopback(keys: dict[str, str]) -> None:
    values = {**base(keys), "backupDatabaseUrl": "postgresql://backup:pw@db.example.com/postgres?sslmode=disable"}
    problems: list[str] = []
    assert parse_backup_config(values, problems) is None
    assert any(p.startswith("backupDatabaseUrl: sslmode=disable") and "fix:" in p for p in problems), problems


def test_the_dump_leaves_managed_schemas_out_but_keeps_auth_and_storage_rows() -> None:
    args = schemas.dump_arguments()
    assert "--exclude-schema=realtime" in args
    assert "--exclude-schema=vault" in args
    assert "--exclude-table-data=auth.schema_migrations" in args
    assert not [a for a in args if a.endswith(("=auth", "=storage", "=public"))]
    assert schemas.is_application("public")
    assert schemas.is_application("app")
    assert not schemas.is_application("_timescaledb_internal")
    contents = schemas.describe(["public", "app", "auth", "storage", "realtime", "pg_catalog"], ["pgcrypto"])
    assert contents["application_schemas"] == ["app", "public"]
    assert contents["left_out_schemas"] == ["realtime"]


def test_manifest_v2_carries_contents_and_v1_still_reads() -> None:
    moment = datetime(2026, 1, 2, 2, 0, tzinfo=UTC)
    key = object_key("db/", moment)
    stamp = moment.isoformat()
    manifest = Manifest(key, 10, "a" * 64, "postgres", "15.1", "15.1", stamp, stamp, ["age1x"], contents={"a": 1})
    where = manifest_key_for(key)
    assert json.loads(manifest.to_json())["manifest_version"] == 2
    assert Manifest.from_json(manifest.to_json(), where) == manifest
    old = {k: v for k, v in json.loads(manifest.to_json()).items() if k not in ("contents", "manifest_version")}
    legacy = Manifest.from_json(json.dumps(old).encode(), where)
    assert (legacy.manifest_version, legacy.contents) == (1, None)


def test_the_host_bundle_ships_the_managed_schema_rule() -> None:
    names = zipfile.ZipFile(io.BytesIO(host_bundle.bundle_bytes())).namelist()
    assert "scripts/sfops/backup/supabase_schemas.py" in names
