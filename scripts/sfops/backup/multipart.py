"""A write-only stream into one S3 multipart upload: fixed-size parts, one uploading while the next fills.

Memory stays at about two parts whatever the size of the dump. The SHA-256 and size of
every byte written are kept for the manifest (S3's own multipart checksums are composites,
not the object's hash). `abort()` removes the parts of an unfinished upload; an upload
whose process was killed is removed by the bucket's AbortIncompleteMultipartUpload rule.
"""

from __future__ import annotations

import hashlib
import signal
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from scripts.sfops.backup.settings import MAX_PARTS

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef


# What `sfops backup` turns into a clean stop (backup/command.py), held while an upload starts.
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}


class UploadError(Exception):
    pass


class MultipartWriter:
    def __init__(self, s3: S3Client, bucket: str, key: str, part_size: int) -> None:
        self._s3, self.bucket, self.key, self.part_size = s3, bucket, key, part_size
        self._chunks: list[bytes] = []  # the part being filled, as written (joined once, when full)
        self._buffered = 0
        self._sha256 = hashlib.sha256()
        self.size = 0
        self._parts: list[CompletedPartTypeDef] = []
        self._pending: Future[CompletedPartTypeDef] | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload")
        self.upload_id = self._create()

    def _create(self) -> str:
        """Start the upload with the stop signals held while S3 creates it.

        A SIGTERM in the middle of that request left an upload whose id this process never
        learned, so it could not abort it (the bucket's rule removes it only a day later). Held,
        the signal is handled once the id is known, and the upload is aborted like any other.
        The process has one thread here (the part uploader starts with the first part), so the
        main thread's mask is the process's.
        """
        held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            created = self._s3.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, ContentType="application/octet-stream"
            )
        except BaseException:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            raise
        upload_id = created["UploadId"]
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a stop held meanwhile is raised here
        except BaseException:
            self._s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=upload_id)
            raise
        return upload_id

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    # -- the file-like side (pyrage writes here) -----------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._sha256.update(data)
        self.size += len(data)
        view = memoryview(data)
        while len(view):
            room = self.part_size - self._buffered
            head, view = view[:room], view[room:]
            self._chunks.append(bytes(head))
            self._buffered += len(head)
            if self._buffered == self.part_size:
                self._send_buffered()
        return len(data)

    def _send_buffered(self) -> None:
        body = b"".join(self._chunks)  # the one copy of a part's bytes
        self._chunks.clear()
        self._buffered = 0
        self._send(body)

    def flush(self) -> None:
        return None

    # -- parts --------------------------------------------------------------------------------

    def _upload(self, number: int, body: bytes) -> CompletedPartTypeDef:
        answer = self._s3.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=body
        )
        return {"PartNumber": number, "ETag": answer["ETag"]}

    def _send(self, body: bytes) -> None:
        number = len(self._parts) + (2 if self._pending else 1)
        if number > MAX_PARTS:
            raise UploadError(
                f"the backup is larger than {MAX_PARTS} parts of {self.part_size // 2**20} MiB "
                "(fix: raise BACKUP_PART_SIZE_MB in the env file, pulumi config backupPartSizeMb)"
            )
        self._collect()
        self._pending = self._pool.submit(self._upload, number, body)

    def _collect(self) -> None:
        if self._pending is not None:
            self._parts.append(self._pending.result())
            self._pending = None

    def complete(self) -> None:
        if self._buffered or not (self._parts or self._pending):
            self._send_buffered()
        self._collect()
        self._pool.shutdown()
        # If-None-Match: * makes the upload write-once: S3 refuses to complete it over an object that
        # exists (412), so a backup is never replaced, and on AWS the bucket policy denies a completion
        # without the header (components.backups.bucket.bucket_policy).
        self._s3.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self._parts},
            IfNoneMatch="*",
        )

    def abort(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
