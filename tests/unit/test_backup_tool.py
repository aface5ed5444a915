"""`sfops backup`/`restore` pieces without servers: env file, settings, URLs, versions, manifests, parts, bundle."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import sys
import threading
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from components.backups import host_bundle
from components.backups.config import parse_backup_config
from components.backups.cron_host import env_file_content
from components.backups.validation import age_recipient
from scripts.sfops.backup import multipart
from scripts.sfops.backup.database_url import DatabaseUrl, DatabaseUrlError, libpq_env
from scripts.sfops.backup.env_file import EnvFileError, parse_env_text, read_env_file
from scripts.sfops.backup.manifest import Manifest, ManifestError, manifest_key_for, object_key
from scripts.sfops.backup.multipart import MultipartWriter, UploadError
from scripts.sfops.backup.pg_versions import major_of_version_num, parse_pg_dump_version
from scripts.sfops.backup.settings import MIB, SettingsError, parse_settings
from scripts.sfops.restore.catalog import CatalogError, Listing, choose
from scripts.sfops.restore.compare import compare
from tests.unit.test_backup_config import base, keys

__all__ = ["keys"]  # the fixture shared with test_backup_config

RECIPIENT = age_recipient(bytes(range(32)))
ENV = {
    "DATABASE_URL": "postgresql://backup:p%40ss:w'rd@db.example.com:5432/postgres?sslmode=require",
    "BACKUP_BUCKET": "sf-backups",
    "BACKUP_PREFIX": "db/",
    "S3_ENDPOINT_URL": "https://s3.amazonaws.com",
    "AWS_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "secret/with'quote",
    "BACKUP_RECIPIENT": RECIPIENT,
}


def test_env_file_reads_back_what_the_cron_host_writes(tmp_path: Path) -> None:
    assert parse_env_text(env_file_content(ENV)) == ENV
    path = tmp_path / "backup.env"
    path.write_text(env_file_content(ENV))
    path.chmod(0o644)
    with pytest.raises(EnvFileError, match=r"readable by other users.*chmod 600"):
        read_env_file(path)
    path.chmod(0o600)
    assert read_env_file(path) == ENV
    with pytest.raises(EnvFileError, match="does not exist"):
        read_env_file(tmp_path / "missing.env")


def test_settings_name_every_problem() -> None:
    settings = parse_settings(ENV)
    assert settings.database.password == "p@ss:w'rd"
    assert settings.database.options == (("sslmode", "require"),)
    assert settings.part_size == 16 * MIB
    assert settings.max_dump_bytes == 16 * MIB * 10_000
    with pytest.raises(SettingsError) as caught:
        parse_settings({**ENV, "AWS_SECRET_ACCESS_KEY": "", "BACKUP_PREFIX": "db", "BACKUP_PART_SIZE_MB": "4"})
    problems = " | ".join(caught.value.problems)
    assert "AWS_SECRET_ACCESS_KEY is missing" in problems
    assert "BACKUP_PREFIX 'db' must end with '/'" in problems
    assert "BACKUP_PART_SIZE_MB must be a whole number from 5 to 512" in problems


def test_database_url_forms() -> None:
    socket = DatabaseUrl.parse("postgresql://postgres@%2Fvar%2Frun%2Fpostgresql:5433/app")
    assert (socket.host, socket.port, socket.dbname) == ("/var/run/postgresql", 5433, "app")
    assert DatabaseUrl.parse("postgres://u:p@[::1]/x").host == "::1"
    assert "p" not in DatabaseUrl.parse("postgres://u:secretpw@h/x").describe().split("@")[0]
    for bad in ("mysql://u@h/x", "postgresql://h/x", "postgresql://u@h/x?application_name=y"):
        with pytest.raises(DatabaseUrlError):
            DatabaseUrl.parse(bad)


def test_password_goes_to_a_private_passfile_not_the_environment() -> None:
    url = DatabaseUrl.parse("postgresql://backup:p%3Ass\\x@db:5432/postgres")
    with libpq_env(url) as env:
        passfile = Path(env["PGPASSFILE"])
        assert passfile.read_text() == "db:5432:*:backup:p\\:ss\\\\x\n"
        assert passfile.stat().st_mode & 0o777 == 0o600
        assert "p:ss" not in "".join(v for k, v in env.items() if k != "PGPASSFILE")
        assert (env["PGHOST"], env["PGUSER"], env["PGDATABASE"]) == ("db", "backup", "postgres")
    assert not passfile.exists()
    assert not passfile.parent.exists()


def test_versions() -> None:
    assert parse_pg_dump_version("pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)") == ("15.14", 15)
    assert parse_pg_dump_version("pg_dump (PostgreSQL) 17devel") == ("17", 17)
    assert major_of_version_num(150014) == 15
    assert major_of_version_num(90624) == 9


def _manifest(moment: datetime, prefix: str = "db/") -> Manifest:
    key = object_key(prefix, moment)
    return Manifest(key, 10, "a" * 64, "postgres", "15.1", "15.1", moment.isoformat(), moment.isoformat(), [RECIPIENT])


def test_manifest_round_trip_and_checks() -> None:
    moment = datetime(2026, 1, 2, 2, 0, tzinfo=UTC)
    manifest = _manifest(moment)
    assert manifest.key == "db/20260102T020000.000000Z.dump.zst.age"
    where = manifest_key_for(manifest.key)
    assert where == "db/20260102T020000.000000Z.manifest.json"
    assert Manifest.from_json(manifest.to_json(), where) == manifest
    with pytest.raises(ManifestError, match="describes another object"):
        Manifest.from_json(manifest.to_json(), "db/other.manifest.json")
    with pytest.raises(ManifestError, match="not a backup manifest"):
        Manifest.from_json(b"{}", where)


def test_choose_latest_by_time_or_name() -> None:
    base = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
    listing = Listing([_manifest(base + timedelta(days=d)) for d in range(3)], [])
    assert choose(listing).started == base + timedelta(days=2)
    assert choose(listing, at=base + timedelta(days=1, hours=5)).started == base + timedelta(days=1)
    assert choose(listing, key="20260101T020000.000000Z.dump.zst.age").started == base
    with pytest.raises(CatalogError, match="oldest is"):
        choose(listing, at=base - timedelta(hours=1))
    with pytest.raises(CatalogError, match="no backups"):
        choose(Listing([], []))


class FakeS3:
    def __init__(self) -> None:
        self.parts: dict[int, bytes] = {}
        self.completed: list[Any] = []
        self.aborted = False

    def create_multipart_upload(self, **_: Any) -> dict[str, str]:
        return {"UploadId": "u1"}

    def upload_part(self, *, PartNumber: int, Body: bytes, **_: Any) -> dict[str, str]:
        self.parts[PartNumber] = Body
        return {"ETag": f'"{PartNumber}"'}

    def complete_multipart_upload(self, *, MultipartUpload: dict[str, Any], **_: Any) -> None:
        self.completed = MultipartUpload["Parts"]

    def abort_multipart_upload(self, **_: Any) -> None:
        self.aborted = True


def test_multipart_writer_sends_fixed_parts_and_hashes_every_byte() -> None:
    s3 = FakeS3()
    writer = MultipartWriter(s3, "b", "k", part_size=1000)  # type: ignore[arg-type]
    data = os.urandom(3500)
    for start in range(0, len(data), 333):
        writer.write(data[start : start + 333])
    writer.complete()
    assert [len(s3.parts[n]) for n in sorted(s3.parts)] == [1000, 1000, 1000, 500]
    assert b"".join(s3.parts[n] for n in sorted(s3.parts)) == data
    assert [p["PartNumber"] for p in s3.completed] == [1, 2, 3, 4]
    assert writer.sha256 == hashlib.sha256(data).hexdigest()
    assert writer.size == 3500


def test_multipart_writer_refuses_past_the_part_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(multipart, "MAX_PARTS", 2)
    s3 = FakeS3()
    writer = MultipartWriter(s3, "b", "k", part_size=10)  # type: ignore[arg-type]
    with pytest.raises(UploadError, match="raise BACKUP_PART_SIZE_MB"):
        writer.write(b"x" * 35)
    writer.abort()
    assert s3.aborted


class Stopped(Exception):
    pass


def test_a_stop_while_the_upload_starts_aborts_the_upload_s3_created() -> None:
    """SIGTERM arriving while S3 creates the upload: the process learns the id first, then stops and aborts it."""

    class StoppedMidCreate(FakeS3):
        def create_multipart_upload(self, **kwargs: Any) -> dict[str, str]:
            # As `kill` from cron or systemd would, mid-request. The backup process has one thread
            # then, so a signal to the process is one to its main thread; pytest-xdist's worker has
            # more, so the test sends it to the main thread itself.
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGTERM)
            self.created = True  # reached only while the signal is held
            return super().create_multipart_upload(**kwargs)

    def stop(_signum: int, _frame: Any) -> None:
        raise Stopped

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        s3 = StoppedMidCreate()
        with pytest.raises(Stopped):
            MultipartWriter(s3, "b", "k", part_size=10)  # type: ignore[arg-type]
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert s3.created
    assert s3.aborted
    assert not signal.pthread_sigmask(signal.SIG_BLOCK, set()) & {signal.SIGTERM}, "the signal is not left held"


def test_empty_dump_still_completes_with_one_part() -> None:
    s3 = FakeS3()
    writer = MultipartWriter(s3, "b", "k", part_size=10)  # type: ignore[arg-type]
    writer.complete()
    assert s3.parts == {1: b""}


def test_host_bundle_is_deterministic_and_only_the_backup_package() -> None:
    first, second = host_bundle.bundle_bytes(), host_bundle.bundle_bytes()
    assert first == second
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert "__main__.py" in names
    assert all(
        n == "__main__.py" or n.startswith(("scripts/sfops/backup/", "scripts/__init__", "scripts/sfops/__init__"))
        for n in names
    )
    assert "scripts/sfops/backup/pipeline.py" in names
    script = host_bundle.command_script("/opt/py/bin/python", "lib/sfops-backup.pyz")
    assert 'exec \'/opt/py/bin/python\' "$here/../lib/sfops-backup.pyz" backup "$@"' in script


def test_config_takes_the_recipient_from_a_file_and_resolves_a_relative_host_python(
    tmp_path: Path, keys: dict[str, str]
) -> None:
    valid = base(keys)
    recipients = tmp_path / "recipient.txt"
    recipients.write_text(f"# local key\n{RECIPIENT}\n")
    values = {k: v for k, v in valid.items() if k != "backupRecipient"}
    problems: list[str] = []
    config = parse_backup_config(
        {**values, "backupRecipientFile": str(recipients), "backupHostPython": "venv/bin/python"}, problems
    )
    assert problems == []
    assert config is not None
    assert config.recipient == RECIPIENT
    assert config.host.python == str(Path.cwd() / "venv/bin/python")
    both: list[str] = []
    parse_backup_config({**valid, "backupRecipientFile": str(recipients)}, both)
    assert any("both set" in p for p in both)
    missing: list[str] = []
    parse_backup_config({**values, "backupRecipientFile": str(tmp_path / "none.txt")}, missing, "local")
    assert any("make services-up generates the local key pair" in p for p in missing)


def test_a_linked_host_venv_is_followed_to_its_directory_but_its_python_is_kept(
    tmp_path: Path, keys: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The set-up's venv lives where the backup user can reach it; the clone only links to it.
    real = tmp_path.resolve() / "home" / "venv-1"
    (real / "bin").mkdir(parents=True)
    (real / "bin" / "python").symlink_to(sys.executable)
    clone = tmp_path / "clone"
    (clone / ".tools").mkdir(parents=True)
    (clone / ".tools" / "backup-host-venv").symlink_to(real)
    monkeypatch.chdir(clone)
    problems: list[str] = []
    config = parse_backup_config({**base(keys), "backupHostPython": ".tools/backup-host-venv/bin/python"}, problems)
    assert problems == []
    assert config is not None
    assert config.host.python == str(real / "bin" / "python")


def test_compare_names_each_difference() -> None:
    rows = compare({"a": (1, "x"), "b": (2, "y"), "s": (5, "sequence")}, {"a": (1, "x"), "b": (2, "z"), "c": (0, "0")})
    assert {r.relation: r.status for r in rows} == {"a": "same", "b": "differs", "c": "extra", "s": "missing"}
