"""The site's Netlify Functions, as far as the stack's flags and secrets change them.

Each function sees only the env of the deploy that serves it (and, as on Netlify, only
variables with the `functions` scope), so a flag flip reaches them only through a new
deploy, and a rollback brings the old behaviour back.

- send-sms: refuses while USE_SUPABASE_PHONE_OTP is "true" (Supabase sends the OTP
  then); otherwise needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER.
  Nothing is sent: the code goes to an in-memory outbox the control API shows. The
  code is HMAC-SHA256(key=SMS_PEPPER, msg=phone) as a number mod 10^6, 6 digits.
- verify-sms: accepts the last code sent to a phone, once.
- stripe-webhook: checks `Stripe-Signature` as Stripe's libraries do (HMAC-SHA256 of
  "<t>.<raw body>", any of several v1 signatures, 300 s tolerance), keyed with any of
  the secrets in STRIPE_WEBHOOK_SECRET (a comma-separated list, newest first, while a
  secret rotates). Each event id is processed once: a redelivery (Stripe retries, and
  sends an event to each endpoint during a rotation) is acknowledged as a duplicate.
  Commission events are `transfer.created`,
  `application_fee.created`, and `checkout.session.completed` whose
  `data.object.metadata.commission` is set; PROCESS_COMMISSIONS="false" skips them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

PHONE_PATTERN = re.compile(r"^\+[1-9][0-9]{6,14}$")
CODE_PATTERN = re.compile(r"^[0-9]{6}$")
TWILIO_KEYS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")
SIGNATURE_TOLERANCE_S = 300
COMMISSION_EVENT_TYPES = frozenset({"transfer.created", "application_fee.created"})


@dataclass(frozen=True)
class FunctionResult:
    status: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class Invocation:
    env: Mapping[str, str]
    body: bytes
    headers: Mapping[str, str]  # names lower-cased
    deploy_id: str


def _flag(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip().lower()


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None


def sms_code(pepper: str, phone: str) -> str:
    digest = hmac.new(pepper.encode(), phone.encode(), hashlib.sha256).hexdigest()
    return f"{int(digest, 16) % 1_000_000:06d}"


class SmsOutbox:
    """Codes "sent" by send-sms, per phone; what a real SMS would have carried."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, str] = {}
        self._sent: list[dict[str, Any]] = []

    def issue(self, phone: str, code: str, deploy_id: str) -> None:
        with self._lock:
            self._pending[phone] = code
            self._sent.append({"phone": phone, "code": code, "deploy_id": deploy_id, "ts": time.time()})

    def consume(self, phone: str, code: str) -> bool:
        with self._lock:
            expected = self._pending.get(phone)
            if expected is None or not hmac.compare_digest(expected, code):
                return False
            del self._pending[phone]
            return True

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(message) for message in self._sent]

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
            self._sent.clear()


class WebhookLedger:
    """Stripe events the function accepted, by id: how often, and whether it processed them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, dict[str, Any]] = {}

    def accept(self, event_id: str, event_type: str, deploy_id: str) -> bool:
        """Record a signed delivery; True only the first time this event id arrives."""
        with self._lock:
            entry = self._events.get(event_id)
            if entry is not None:
                entry["accepted"] += 1
                return False
            self._events[event_id] = {"type": event_type, "accepted": 1, "processed": 1, "deploy_id": deploy_id}
            return True

    def events(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {event_id: dict(entry) for event_id, entry in self._events.items()}

    def clear(self) -> None:
        with self._lock:
            self._events.clear()


@dataclass
class FunctionState:
    """What the site's functions keep between calls (a real site keeps it in its database)."""

    sms: SmsOutbox
    webhooks: WebhookLedger

    @classmethod
    def empty(cls) -> FunctionState:
        return cls(SmsOutbox(), WebhookLedger())

    def clear(self) -> None:
        self.sms.clear()
        self.webhooks.clear()


def send_sms(call: Invocation, state: FunctionState) -> FunctionResult:
    if _flag(call.env, "USE_SUPABASE_PHONE_OTP") == "true":
        return FunctionResult(409, {"error": "custom SMS disabled: Supabase phone OTP is on"})
    body = _json_object(call.body)
    if body is None:
        return FunctionResult(400, {"error": "body must be a JSON object"})
    phone = body.get("phone")
    if not isinstance(phone, str) or not PHONE_PATTERN.match(phone):
        return FunctionResult(400, {"error": "phone must be an E.164 number like +15551234567"})
    if not all(call.env.get(key) for key in TWILIO_KEYS):
        return FunctionResult(500, {"error": "twilio not configured"})
    state.sms.issue(phone, sms_code(call.env.get("SMS_PEPPER", ""), phone), call.deploy_id)
    return FunctionResult(200, {"sent": True})


def verify_sms(call: Invocation, state: FunctionState) -> FunctionResult:
    body = _json_object(call.body)
    if body is None:
        return FunctionResult(400, {"error": "body must be a JSON object"})
    phone, code = body.get("phone"), body.get("code")
    if not isinstance(phone, str) or not PHONE_PATTERN.match(phone):
        return FunctionResult(400, {"error": "phone must be an E.164 number like +15551234567"})
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        return FunctionResult(400, {"error": "code must be 6 digits"})
    if not state.sms.consume(phone, code):
        return FunctionResult(401, {"verified": False, "error": "invalid or expired code"})
    return FunctionResult(200, {"verified": True})


def signature_problem(payload: bytes, header: str | None, secret: str, now: float) -> str | None:
    """Why a Stripe-Signature header does not authenticate `payload`, or None if it does.

    `secret` may list several secrets separated by commas: any one of them will do."""
    if not header:
        return "missing Stripe-Signature header"
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return "Stripe-Signature has a non-numeric timestamp"
        elif name == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        return "Stripe-Signature needs t= and at least one v1="
    if abs(now - timestamp) > SIGNATURE_TOLERANCE_S:
        return "Stripe-Signature timestamp is outside the tolerance zone"
    signed = f"{timestamp}.".encode() + payload
    expected = [
        hmac.new(key.strip().encode(), signed, hashlib.sha256).hexdigest() for key in secret.split(",") if key.strip()
    ]
    if not any(hmac.compare_digest(want, signature) for want in expected for signature in signatures):
        return "no v1 signature matches the payload"
    return None


def is_commission_event(event: Mapping[str, Any]) -> bool:
    kind = event.get("type")
    if kind in COMMISSION_EVENT_TYPES:
        return True
    if kind != "checkout.session.completed":
        return False
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    return isinstance(metadata, dict) and bool(metadata.get("commission"))


def stripe_webhook(call: Invocation, state: FunctionState) -> FunctionResult:
    secret = call.env.get("STRIPE_WEBHOOK_SECRET", "")
    if not secret:
        return FunctionResult(400, {"error": "webhook signing secret not configured"})
    problem = signature_problem(call.body, call.headers.get("stripe-signature"), secret, time.time())
    if problem is not None:
        return FunctionResult(400, {"error": f"invalid signature: {problem}"})
    event = _json_object(call.body)
    if event is None or not isinstance(event.get("type"), str) or not isinstance(event.get("id"), str):
        return FunctionResult(400, {"error": "body must be a Stripe event object"})
    if not state.webhooks.accept(event["id"], event["type"], call.deploy_id):
        return FunctionResult(200, {"received": True, "duplicate": True})
    if not is_commission_event(event):
        return FunctionResult(200, {"received": True})
    if _flag(call.env, "PROCESS_COMMISSIONS") == "false":
        return FunctionResult(200, {"received": True, "commission": "skipped"})
    return FunctionResult(200, {"received": True, "commission": "processed"})


FunctionImpl = Callable[[Invocation, FunctionState], FunctionResult]
FUNCTIONS: dict[str, FunctionImpl] = {
    "send-sms": send_sms,
    "verify-sms": verify_sms,
    "stripe-webhook": stripe_webhook,
}
