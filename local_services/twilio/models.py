"""The emulator's messages ("models"): one account, its outbound messages, newest first.

Kept in the kit's `JsonStateStore`, so messages added by a test survive a restart and a
reset empties them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any, TypedDict

from local_services.common.http_server import HttpError
from local_services.common.state_store import JsonStateStore

STATE_FILE = "twilio-state.json"
SCHEMA_VERSION = 1
API_VERSION = "2010-04-01"
# What a test may give a message; Twilio has more (sending, accepted, ...) that the monitor ignores.
STATUSES = ("queued", "sent", "delivered", "failed", "undelivered")
# Twilio's error codes for a message that did not arrive.
STATUS_ERRORS = {"failed": (30008, "Unknown error"), "undelivered": (30003, "Unreachable destination handset")}


class MessageRecord(TypedDict):
    sid: str
    to: str
    from_: str
    body: str
    status: str
    created: str  # ISO 8601, UTC


class TwilioState(TypedDict):
    version: int
    messages: list[MessageRecord]  # oldest first


TwilioStore = JsonStateStore[TwilioState]


def empty_state() -> TwilioState:
    return {"version": SCHEMA_VERSION, "messages": []}


def open_store(data_dir: Path) -> TwilioStore:
    return JsonStateStore(
        data_dir, file_name=STATE_FILE, version=SCHEMA_VERSION, empty=empty_state, label="Twilio emulator"
    )


def rfc2822(moment: datetime) -> str:
    """As Twilio writes dates: "Wed, 18 Aug 2010 20:01:40 +0000"."""
    return format_datetime(moment.astimezone(UTC)).replace("-0000", "+0000")


@dataclass(frozen=True)
class NewMessages:
    status: str
    count: int = 1
    to: str = "+15005550006"
    from_: str = "+15005550001"
    body: str = "Your Sound Factory code is 123456"
    age_s: float = 0.0  # sent this long ago (to place messages outside a window)


def parse_new_messages(item: Any) -> NewMessages:
    if not isinstance(item, dict):
        raise HttpError(400, "each entry must be a JSON object")
    known = {"status", "count", "to", "from", "body", "age_s"}
    unknown = sorted(set(item) - known)
    if unknown:
        raise HttpError(422, f"unknown fields: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    status = item.get("status")
    if status not in STATUSES:
        raise HttpError(422, f"status must be one of {', '.join(STATUSES)}")
    count = item.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000:
        raise HttpError(422, "count must be an integer between 1 and 10000")
    age = item.get("age_s", 0)
    if isinstance(age, bool) or not isinstance(age, int | float) or age < 0:
        raise HttpError(422, "age_s must be a non-negative number")
    for name in ("to", "from", "body"):
        if name in item and not isinstance(item[name], str):
            raise HttpError(400, f"{name} must be a string")
    defaults = NewMessages(status)
    return NewMessages(
        status=status,
        count=count,
        to=item.get("to", defaults.to),
        from_=item.get("from", defaults.from_),
        body=item.get("body", defaults.body),
        age_s=float(age),
    )


@dataclass(frozen=True)
class MessageQuery:
    to: str | None = None
    from_: str | None = None
    sent_on: str | None = None  # DateSent=YYYY-MM-DD
    sent_after: str | None = None  # DateSent>=YYYY-MM-DD (Twilio spells it DateSent>)
    sent_before: str | None = None  # DateSent<=YYYY-MM-DD (DateSent<)

    def matches(self, message: MessageRecord) -> bool:
        day = message["created"][:10]
        return (
            (self.to is None or message["to"] == self.to)
            and (self.from_ is None or message["from_"] == self.from_)
            and (self.sent_on is None or day == self.sent_on)
            and (self.sent_after is None or day >= self.sent_after)
            and (self.sent_before is None or day <= self.sent_before)
        )


class MessageBackend:
    def __init__(self, store: TwilioStore, account_sid: str) -> None:
        self.store = store
        self.account_sid = account_sid

    def add(self, batches: list[NewMessages]) -> list[MessageRecord]:
        now = datetime.now(UTC)
        added: list[MessageRecord] = []
        with self.store.mutate() as data:
            for batch in batches:
                created = (now - timedelta(seconds=batch.age_s)).isoformat(timespec="seconds")
                for _ in range(batch.count):
                    record: MessageRecord = {
                        "sid": "SM" + secrets.token_hex(16),
                        "to": batch.to,
                        "from_": batch.from_,
                        "body": batch.body,
                        "status": batch.status,
                        "created": created,
                    }
                    data["messages"].append(record)
                    added.append(record)
            data["messages"].sort(key=lambda m: m["created"])
        return added

    def clear(self) -> None:
        with self.store.reset():
            pass

    def newest_first(self, query: MessageQuery) -> list[MessageRecord]:
        with self.store.read() as data:
            return [m for m in reversed(data["messages"]) if query.matches(m)]

    def render(self, message: MessageRecord) -> dict[str, Any]:
        """A Message resource as Twilio's API returns it."""
        created = rfc2822(datetime.fromisoformat(message["created"]))
        error_code, error_message = STATUS_ERRORS.get(message["status"], (None, None))
        base = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{message['sid']}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": message["body"],
            "date_created": created,
            "date_sent": None if message["status"] == "queued" else created,
            "date_updated": created,
            "direction": "outbound-api",
            "error_code": error_code,
            "error_message": error_message,
            "from": message["from_"],
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None if message["status"] == "queued" else "-0.00790",
            "price_unit": "USD",
            "sid": message["sid"],
            "status": message["status"],
            "subresource_uris": {"media": f"{base}/Media.json"},
            "to": message["to"],
            "uri": f"{base}.json",
        }
