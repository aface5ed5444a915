"""Stream a checked backup into the target: S3 -> age -> zstd -> pg_restore -L list -> psql --single-transaction.

Twice over the same object version (pinned by ETag): first only far enough for
`pg_restore -l` to read the table of contents (it stops after it), then whole, through
`pg_restore -L <the plan's list> -f -`, whose SQL is relayed into one `psql
--single-transaction -v ON_ERROR_STOP=1` as the restoring role (Supabase's `postgres` is not
a superuser, so everything it could not do is left out by the plan, see `plan.py`).

psql commits when its input ends, so its input ends only when everything went right: the
bytes were decrypted and decompressed, pg_restore exited 0, and their SHA-256 matched the
manifest. On any failure psql is killed first (its transaction never commits; the target
stays as it was), then pg_restore.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pyrage
import zstandard

from scripts.sfops.backup.database_url import DatabaseUrl, libpq_env
from scripts.sfops.backup.manifest import Manifest
from scripts.sfops.backup.pg_versions import program
from scripts.sfops.backup.stderr_tail import StderrTail
from scripts.sfops.restore.object_check import CHUNK, HashingReader, IntegrityError
from scripts.sfops.restore.stage import ManagedRows

Popen = subprocess.Popen[bytes]

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


class Source:
    """One stored backup and what decrypts it."""

    def __init__(self, s3: S3Client, bucket: str, manifest: Manifest, etag: str, identities: list[Any]) -> None:
        self.s3, self.bucket, self.manifest, self.etag, self.identities = s3, bucket, manifest, etag, identities

    def decrypt_into(self, sink: IO[bytes]) -> HashingReader:
        """Write the plain archive into `sink`; the reader's hash covers every stored byte read."""
        reader = HashingReader(self.s3.get_object(Bucket=self.bucket, Key=self.manifest.key, IfMatch=self.etag)["Body"])
        plain = zstandard.ZstdDecompressor().stream_writer(sink, closefd=False)
        try:
            pyrage.decrypt_io(reader, plain, self.identities)
        except pyrage.DecryptError as exc:
            raise RestoreFailed(
                f"{self.manifest.key}: the age identity cannot decrypt this backup ({exc}); it was encrypted to "
                f"{', '.join(self.manifest.recipients)}"
            ) from None
        plain.flush()  # type: ignore[no-untyped-call]
        return reader


def _drain(stream: IO[bytes], into: list[bytes]) -> threading.Thread:
    thread = threading.Thread(target=lambda: into.extend(iter(lambda: stream.read(CHUNK), b"")), daemon=True)
    thread.start()
    return thread


def read_toc(source: Source, pg_bin_dir: Path | None = None) -> str:
    """`pg_restore -l` of the archive: it reads the header and the table of contents, then exits."""
    argv = [program("pg_restore", pg_bin_dir), "--list"]
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdin is not None
    assert process.stdout is not None
    assert process.stderr is not None
    errors = StderrTail(process.stderr)
    chunks: list[bytes] = []
    reader = _drain(process.stdout, chunks)
    try:
        source.decrypt_into(process.stdin)
    except BrokenPipeError:
        pass  # pg_restore stopped reading after the table of contents: its exit status says whether it had it
    except (OSError, zstandard.ZstdError) as exc:
        process.kill()
        process.wait()
        raise RestoreFailed(f"{source.manifest.key}: cannot decrypt or decompress the backup: {exc}") from None
    except BaseException:
        process.kill()
        process.wait()
        raise
    with contextlib.suppress(BrokenPipeError):
        process.stdin.close()
    status = process.wait()
    reader.join()
    if status != 0:
        raise RestoreFailed(f"pg_restore --list cannot read the backup: {errors.last_lines()}")
    return b"".join(chunks).decode()


class _Relay(threading.Thread):
    """pg_restore's SQL into psql's input, after the preamble; never closes psql's input itself.

    Through the stager while staged rows are still to come (see `stage.py`), straight after."""

    def __init__(self, preamble: str, staged: ManagedRows, sql_out: IO[bytes], psql_in: IO[bytes], producer: Popen):
        super().__init__(daemon=True)
        self.preamble, self.staged = preamble, staged
        self.sql_out, self.psql_in, self.producer = sql_out, psql_in, producer
        self.broken = False

    def run(self) -> None:
        try:
            self.psql_in.write((self.preamble + self.staged.preamble()).encode())
            while self.staged.pending:
                chunk = self.sql_out.read(CHUNK)
                if not chunk:
                    return  # pg_restore ended before every staged table's rows: the caller refuses
                self.psql_in.write(self.staged.feed(chunk))
            self.psql_in.write(self.staged.finish())
            for chunk in iter(lambda: self.sql_out.read(CHUNK), b""):
                self.psql_in.write(chunk)
            self.psql_in.flush()
        except OSError:
            self.broken = True  # psql stopped (an SQL error): stop pg_restore so the stream stops too
            self.producer.kill()


def restore_stream(
    source: Source,
    target: DatabaseUrl,
    list_file: str,
    *,
    clean: bool,
    preamble: str = "",
    staged: list[str] | None = None,
    pg_bin_dir: Path | None = None,
) -> None:
    manifest = source.manifest
    pg_restore = [program("pg_restore", pg_bin_dir), "--no-owner", "--exit-on-error", "--file=-"]
    psql = [program("psql", pg_bin_dir), "-X", "-q", "--no-password", "--single-transaction", "-v", "ON_ERROR_STOP=1"]
    with tempfile.TemporaryDirectory(prefix="sfops-restore-") as work, libpq_env(target) as env:
        listing = Path(work) / "restore.list"
        listing.write_text(list_file)
        pg_restore += [f"--use-list={listing}", *(["--clean", "--if-exists"] if clean else [])]
        dump_in = subprocess.Popen(pg_restore, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        sql_in = subprocess.Popen(
            psql, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
        )
        assert dump_in.stdin is not None
        assert dump_in.stdout is not None
        assert dump_in.stderr is not None
        assert sql_in.stdin is not None
        assert sql_in.stderr is not None
        dump_errors, sql_errors = StderrTail(dump_in.stderr), StderrTail(sql_in.stderr)
        rows = ManagedRows(staged or [])
        relay = _Relay(preamble, rows, dump_in.stdout, sql_in.stdin, dump_in)
        relay.start()
        try:
            try:
                reader = source.decrypt_into(dump_in.stdin)
            except (OSError, zstandard.ZstdError) as exc:
                raise RestoreFailed(f"{manifest.key}: cannot decrypt or decompress the backup: {exc}") from None
            with contextlib.suppress(BrokenPipeError):
                dump_in.stdin.close()
            status = dump_in.wait()
            relay.join()
            if relay.broken or sql_in.poll() is not None:
                sql_in.wait()
                raise RestoreFailed(f"psql stopped, nothing was committed: {sql_errors.last_lines()}")
            if status != 0:
                raise RestoreFailed(f"pg_restore failed, nothing was committed: {dump_errors.last_lines()}")
            if rows.pending:
                raise RestoreFailed(
                    f"the rows of {', '.join(rows.order)} were not all in the backup; nothing committed"
                )
            if reader.size != manifest.size or reader.sha256.hexdigest() != manifest.sha256:
                raise IntegrityError(f"{manifest.key}: the object changed while it was restored; nothing committed")
        except BaseException as exc:
            sql_in.kill()  # first: its transaction must never see the end of its input
            sql_in.wait()
            dump_in.kill()
            dump_in.wait()
            if isinstance(exc, RestoreFailed) and sql_in.returncode not in (None, -9) and relay.broken:
                raise RestoreFailed(f"psql stopped, nothing was committed: {sql_errors.last_lines()}") from None
            raise
        sql_in.stdin.close()  # everything checked: the end of input commits psql's transaction
        if sql_in.wait() != 0:
            raise RestoreFailed(f"the restore failed, nothing was committed: {sql_errors.last_lines()}")
