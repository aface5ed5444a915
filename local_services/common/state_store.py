"""An emulator's state: one JSON document in its data dir, guarded by one lock.

Every mutation runs inside `mutate()`, which rolls the in-memory document back if the
mutation raises (a failed request changes nothing) and otherwise writes the file
atomically before the lock is released, so a crash never leaves a half written state
and a restart sees every change a client was told about.

Vendors keep secrets in their state (deploy snapshots, API keys), hence owner-only
permissions. The document's shape is the vendor's; the store only needs a top-level
`version` so an old file is upgraded or refused instead of misread.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Generic, TypeVar, cast

LOCK_FILE = ".lock"

StateT = TypeVar("StateT")
# Turns a document of an older version into the current one (the vendor knows how).
Upgrade = Callable[[dict[str, Any]], dict[str, Any]]


class StateError(Exception):
    """The data dir cannot be used (corrupt file, newer schema, another emulator on it)."""


def format_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonStateStore(Generic[StateT]):
    def __init__(
        self,
        data_dir: Path,
        *,
        file_name: str,
        version: int,
        empty: Callable[[], StateT],
        label: str,
        upgrade: Upgrade | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.path = data_dir / file_name
        self.version = version
        self.label = label
        self.lock = threading.RLock()
        self._empty = empty
        self._upgrade = upgrade
        self._last_stamp_ms = 0
        self._closed = False
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock_file = self._take_dir_lock()
        try:
            self.data: StateT = self._load()
        except BaseException:
            self.close()
            raise

    def _take_dir_lock(self) -> IO[bytes]:
        # Two emulators writing one file would silently lose each other's changes.
        handle = (self.data_dir / LOCK_FILE).open("ab")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.close()
            raise StateError(f"{self.data_dir} is in use by another {self.label}") from exc
        return handle

    def close(self) -> None:
        # Under the lock: a request still in flight finishes its write first, and none
        # writes after the data dir is free for the next emulator.
        with self.lock:
            self._closed = True
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
            self._lock_file.close()

    def _load(self) -> StateT:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return self._empty()
        try:
            loaded: Any = json.loads(raw)
        except ValueError as exc:
            raise StateError(f"{self.path} is not valid JSON ({exc}); move it away to start afresh") from exc
        version = loaded.get("version") if isinstance(loaded, dict) else None
        if isinstance(version, int) and version < self.version and self._upgrade is not None:
            loaded = self._upgrade(loaded)
            version = loaded.get("version")
        if version != self.version:
            raise StateError(f"{self.path} is not a version {self.version} {self.label} state file")
        return cast(StateT, loaded)

    def _save(self) -> None:
        descriptor, temp_name = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=self.data_dir)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(self.data, handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp_name, 0o600)
            os.replace(temp_name, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
            raise
        # The rename is durable only once the directory entry is.
        directory = os.open(self.data_dir, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    @contextlib.contextmanager
    def mutate(self) -> Iterator[StateT]:
        with self.lock:
            if self._closed:
                raise StateError("the emulator is stopping; state is closed")
            before = copy.deepcopy(self.data)
            try:
                yield self.data
                self._save()
            except BaseException:
                self.data = before
                raise

    @contextlib.contextmanager
    def read(self) -> Iterator[StateT]:
        with self.lock:
            yield self.data

    @contextlib.contextmanager
    def reset(self) -> Iterator[StateT]:
        """Start from an empty document; the caller seeds it. Saved (or rolled back) as one mutation."""
        with self.mutate():
            self.data = self._empty()
            yield self.data

    def snapshot(self) -> StateT:
        """A copy of the whole document, for a test to put back later with `replace`."""
        with self.lock:
            return copy.deepcopy(self.data)

    def replace(self, document: Any) -> None:
        """The whole document at once (a snapshot taken earlier), checked as a file on disk would be."""
        if not isinstance(document, dict) or document.get("version") != self.version:
            raise StateError(f"not a version {self.version} {self.label} state document")
        with self.mutate():
            self.data = cast(StateT, copy.deepcopy(document))

    def stamp(self) -> str:
        """Now, to the millisecond, strictly later than any stamp handed out before, so
        two quick edits of one object still get different timestamps."""
        with self.lock:
            now_ms = int(datetime.now(UTC).timestamp() * 1000)
            self._last_stamp_ms = max(now_ms, self._last_stamp_ms + 1)
            return format_stamp(datetime.fromtimestamp(self._last_stamp_ms / 1000, UTC))
