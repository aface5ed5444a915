"""Stream a checked backup into pg_restore: S3 -> age decrypt -> zstd -> pg_restore --single-transaction.

The bytes are hashed again on the way; a mismatch (or a decryption, decompression or
pg_restore error) kills pg_restore before it reaches the end of its input, so its single
transaction never commits and the target database stays as it was.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyrage
import zstandard

from scripts.sfops.backup.database_url import DatabaseUrl, libpq_env
from scripts.sfops.backup.manifest import Manifest
from scripts.sfops.backup.pg_versions import program
from scripts.sfops.backup.stderr_tail import StderrTail
from scripts.sfops.restore.object_check import HashingReader, IntegrityError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class RestoreFailed(Exception):
    pass


def load_identities(path: Path) -> list[Any]:
    """age X25519 identities from an identity file (age-keygen's format: comments and AGE-SECRET-KEY-1 lines)."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise RestoreFailed(f"cannot read the age identity file {path}: {exc.strerror}") from None
    identities = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(pyrage.x25519.Identity.from_str(line))
        except pyrage.IdentityError:
            raise RestoreFailed(f"{path}: a line is not an age identity (AGE-SECRET-KEY-1...)") from None
    if not identities:
        raise RestoreFailed(f"{path} holds no age identity (AGE-SECRET-KEY-1...)")
    return identities


def restore_stream(
    s3: S3Client,
    bucket: str,
    manifest: Manifest,
    etag: str,
    identities: list[Any],
    target: DatabaseUrl,
    *,
    clean: bool,
    pg_bin_dir: Path | None = None,
) -> None:
    pg_restore = program("pg_restore", pg_bin_dir)
    argv = [pg_restore, "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges", "--no-password"]
    if clean:
        argv += ["--clean", "--if-exists"]
    argv += ["--dbname", target.dbname]
    with libpq_env(target) as env:
        process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
        )
        assert process.stdin is not None
        assert process.stderr is not None
        errors = StderrTail(process.stderr)
        pg_error = errors.last_lines

        try:
            reader = HashingReader(s3.get_object(Bucket=bucket, Key=manifest.key, IfMatch=etag)["Body"])
            plain = zstandard.ZstdDecompressor().stream_writer(process.stdin, closefd=False)
            try:
                pyrage.decrypt_io(reader, plain, identities)
            except pyrage.DecryptError as exc:
                raise RestoreFailed(
                    f"{manifest.key}: the age identity cannot decrypt this backup ({exc}); it was encrypted to "
                    f"{', '.join(manifest.recipients)}"
                ) from None
            except (OSError, zstandard.ZstdError) as exc:
                if process.poll() is not None:
                    raise RestoreFailed(f"pg_restore stopped: {pg_error()}") from None
                raise RestoreFailed(f"{manifest.key}: cannot decrypt or decompress the backup: {exc}") from None
            plain.flush()  # type: ignore[no-untyped-call]
            if reader.size != manifest.size or reader.sha256.hexdigest() != manifest.sha256:
                raise IntegrityError(f"{manifest.key}: the object changed while it was restored; nothing committed")
        except BaseException:
            process.kill()
            process.wait()
            raise
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
        if process.wait() != 0:
            raise RestoreFailed(f"pg_restore failed, nothing was committed: {pg_error()}")
