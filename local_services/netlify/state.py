"""The emulator's state: one JSON document in the data dir, guarded by one lock.

Every mutation runs inside `StateStore.mutate()`, which rolls the in-memory document
back if the mutation raises (a failed request changes nothing) and otherwise writes
the file atomically before the lock is released, so a crash never leaves a half
written state and a restart sees every change a client was told about.

The file holds secret values in clear (deploy snapshots need them to run functions),
hence owner-only permissions.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import json
import os
import secrets
import tempfile
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TypedDict, cast

STATE_FILE = "netlify-state.json"
LOCK_FILE = ".lock"
SCHEMA_VERSION = 1


class StateError(Exception):
    """The data dir cannot be used (corrupt file, newer schema, another emulator on it)."""


class ValueRecord(TypedDict):
    id: str
    context: str
    context_parameter: str
    value: str


class UserRecord(TypedDict):
    id: str
    full_name: str
    email: str
    avatar_url: str


class EnvVarRecord(TypedDict):
    key: str
    scopes: list[str]
    is_secret: bool
    values: list[ValueRecord]
    updated_at: str
    updated_by: UserRecord


class SnapshotEntry(TypedDict):
    value: str
    is_secret: bool
    scopes: list[str]


class DeployRecord(TypedDict):
    id: str
    site_id: str
    build_id: str
    seq: int
    state: str
    context: str
    branch: str
    title: str
    commit_ref: str
    error_message: str | None
    # Decided when the build starts, so a restart mid-build still fails it.
    pending_error: str | None
    locked: bool
    published_at: str | None
    created_at: str
    updated_at: str
    env: dict[str, SnapshotEntry]


class BuildRecord(TypedDict):
    id: str
    deploy_id: str
    site_id: str
    sha: str
    created_at: str


class SiteRecord(TypedDict):
    id: str
    name: str
    account_slug: str
    created_at: str
    updated_at: str
    published_deploy_id: str | None


class StateData(TypedDict):
    version: int
    seq: int
    sites: dict[str, SiteRecord]
    env: dict[str, dict[str, EnvVarRecord]]
    deploys: dict[str, DeployRecord]
    builds: dict[str, BuildRecord]


# The identity behind the emulator's single token; Netlify reports the token's user.
EMULATOR_USER: UserRecord = {
    "id": "5e1f00000000000000000001",
    "full_name": "Local Emulator",
    "email": "emulator@localhost",
    "avatar_url": "",
}


def empty_state() -> StateData:
    return {"version": SCHEMA_VERSION, "seq": 0, "sites": {}, "env": {}, "deploys": {}, "builds": {}}


def new_object_id() -> str:
    """24 hex digits, the shape of Netlify's deploy and build ids."""
    return secrets.token_hex(12)


def new_value_id() -> str:
    return str(uuid.uuid4())


def new_sha() -> str:
    return secrets.token_hex(20)


def format_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class StateStore:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / STATE_FILE
        self.lock = threading.RLock()
        self._last_stamp_ms = 0
        self._closed = False
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock_file = self._take_dir_lock()
        try:
            self.data = self._load()
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
            raise StateError(f"{self.data_dir} is in use by another Netlify emulator") from exc
        return handle

    def close(self) -> None:
        # Under the lock: a request still in flight finishes its write first, and none
        # writes after the data dir is free for the next emulator.
        with self.lock:
            self._closed = True
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
            self._lock_file.close()

    def _load(self) -> StateData:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return empty_state()
        try:
            loaded: Any = json.loads(raw)
        except ValueError as exc:
            raise StateError(f"{self.path} is not valid JSON ({exc}); move it away to start afresh") from exc
        if not isinstance(loaded, dict) or loaded.get("version") != SCHEMA_VERSION:
            raise StateError(f"{self.path} is not a version {SCHEMA_VERSION} Netlify emulator state file")
        return cast(StateData, loaded)

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
    def mutate(self) -> Iterator[StateData]:
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
    def read(self) -> Iterator[StateData]:
        with self.lock:
            yield self.data

    def next_seq(self) -> int:
        with self.lock:
            self.data["seq"] += 1
            return self.data["seq"]

    def stamp(self) -> str:
        """Now, to the millisecond, strictly later than any stamp handed out before, so
        two quick edits of one variable still get different `updated_at`s."""
        with self.lock:
            now_ms = int(datetime.now(UTC).timestamp() * 1000)
            self._last_stamp_ms = max(now_ms, self._last_stamp_ms + 1)
            return format_stamp(datetime.fromtimestamp(self._last_stamp_ms / 1000, UTC))
