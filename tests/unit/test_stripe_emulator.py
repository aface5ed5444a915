"""The local Stripe emulator: webhook endpoints as Stripe serves them, and event delivery."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from local_services.common.http_server import HttpError
from local_services.stripe import RunningStripe, start_emulator
from local_services.stripe.form import decode_form

KEY = "sk_test_unit0123"
EVENTS = ["charge.refunded"]


@pytest.fixture
def stripe_emu(tmp_path: Path) -> Iterator[RunningStripe]:
    running = start_emulator(tmp_path / "stripe", keys=[KEY])
    yield running
    running.stop()


@pytest.fixture
def api(stripe_emu: RunningStripe) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stripe_emu.api_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=10) as c:
        yield c


def create(api: httpx.Client, url: str = "https://x.test/hook", **extra: str | list[str]) -> httpx.Response:
    return api.post("/v1/webhook_endpoints", data={"url": url, "enabled_events[]": EVENTS, **extra})


def test_form_keys_nest_as_stripe_encodes_them() -> None:
    decoded = decode_form(b"a=1&list[]=x&list[]=y&idx[0]=p&idx[1]=q&map[k]=v&deep[a][b]=c&empty=")
    assert decoded == {
        "a": "1",
        "list": ["x", "y"],
        "idx": ["p", "q"],
        "map": {"k": "v"},
        "deep": {"a": {"b": "c"}},
        "empty": "",
    }
    with pytest.raises(HttpError):
        decode_form(b"idx[3]=gap")


def test_the_secret_is_shown_by_create_only(api: httpx.Client) -> None:
    made = create(api).json()
    assert made["secret"].startswith("whsec_")
    assert made["object"] == "webhook_endpoint"
    for answer in (
        api.get(f"/v1/webhook_endpoints/{made['id']}").json(),
        api.post(f"/v1/webhook_endpoints/{made['id']}", data={"description": "d"}).json(),
        api.get("/v1/webhook_endpoints").json()["data"][0],
    ):
        assert "secret" not in answer


def test_update_applies_stripes_allow_list_and_unsets_metadata(api: httpx.Client) -> None:
    made = create(api, **{"metadata[a]": "1", "metadata[b]": "2"}).json()
    updated = api.post(
        f"/v1/webhook_endpoints/{made['id']}",
        data={"disabled": "true", "metadata[a]": "", "enabled_events[]": ["*"]},
    ).json()
    assert updated["status"] == "disabled"
    assert updated["metadata"] == {"b": "2"}
    assert updated["enabled_events"] == ["*"]
    refused = api.post(f"/v1/webhook_endpoints/{made['id']}", data={"api_version": "2026-08-26.dahlia"})
    assert refused.status_code == 400
    assert refused.json()["error"]["type"] == "invalid_request_error"
    assert "api_version" in refused.json()["error"]["message"]


def test_list_pages_newest_first(api: httpx.Client) -> None:
    ids = [create(api, url=f"https://x.test/{n}").json()["id"] for n in range(5)]
    first = api.get("/v1/webhook_endpoints", params={"limit": 2}).json()
    assert [e["id"] for e in first["data"]] == ids[::-1][:2]
    assert first["has_more"] is True
    rest = api.get("/v1/webhook_endpoints", params={"limit": 10, "starting_after": first["data"][-1]["id"]}).json()
    assert [e["id"] for e in rest["data"]] == ids[::-1][2:]
    assert rest["has_more"] is False
    before = api.get("/v1/webhook_endpoints", params={"ending_before": ids[0], "limit": 2}).json()
    assert [e["id"] for e in before["data"]] == [ids[2], ids[1]]
    assert api.get("/v1/webhook_endpoints", params={"limit": 0}).status_code == 400


def test_delete_then_retrieve_is_resource_missing(api: httpx.Client) -> None:
    made = create(api).json()
    assert api.delete(f"/v1/webhook_endpoints/{made['id']}").json() == {
        "id": made["id"],
        "object": "webhook_endpoint",
        "deleted": True,
    }
    missing = api.get(f"/v1/webhook_endpoints/{made['id']}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "resource_missing"


def test_sixteen_endpoints_at_most(api: httpx.Client) -> None:
    for n in range(16):
        assert create(api, url=f"https://x.test/{n}").status_code == 200
    refused = create(api, url="https://x.test/17")
    assert refused.status_code == 400
    assert "maximum of 16" in refused.json()["error"]["message"]


def test_idempotency_key_replays_and_refuses_other_parameters(api: httpx.Client) -> None:
    first = api.post(
        "/v1/webhook_endpoints",
        data={"url": "https://x.test/i", "enabled_events[]": EVENTS},
        headers={"Idempotency-Key": "k-1"},
    )
    again = api.post(
        "/v1/webhook_endpoints",
        data={"enabled_events[]": EVENTS, "url": "https://x.test/i"},  # same parameters, other order
        headers={"Idempotency-Key": "k-1"},
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(api.get("/v1/webhook_endpoints").json()["data"]) == 1
    other = api.post(
        "/v1/webhook_endpoints",
        data={"url": "https://x.test/other", "enabled_events[]": EVENTS},
        headers={"Idempotency-Key": "k-1"},
    )
    assert other.status_code == 400
    assert other.json()["error"]["type"] == "idempotency_error"


def test_keys_are_checked(stripe_emu: RunningStripe) -> None:
    url = f"{stripe_emu.api_url}/v1/webhook_endpoints"
    assert httpx.get(url).status_code == 401
    wrong = httpx.get(url, headers={"Authorization": "Bearer sk_test_wrong"})
    assert wrong.status_code == 401
    assert "sk_test_wrong" not in wrong.text  # Stripe masks the key it refuses
    assert httpx.get(url, auth=(KEY, "")).status_code == 200


def test_an_injected_fault_creates_nothing(api: httpx.Client, stripe_emu: RunningStripe) -> None:
    httpx.put(f"{stripe_emu.control_url}/faults", json={"rate": 1.0, "kinds": ["503"]}).raise_for_status()
    assert create(api).status_code == 503
    httpx.delete(f"{stripe_emu.control_url}/faults").raise_for_status()
    assert api.get("/v1/webhook_endpoints").json()["data"] == []


class Receiver(BaseHTTPRequestHandler):
    """A site that fails the first `fail_first` deliveries, then accepts."""

    fail_first: ClassVar[int] = 0
    received: ClassVar[list[tuple[bytes, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((body, self.headers["Stripe-Signature"]))
        status = 500 if len(Receiver.received) <= Receiver.fail_first else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received = []
    Receiver.fail_first = 2
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_events_are_signed_per_endpoint_and_retried_until_accepted(
    api: httpx.Client, stripe_emu: RunningStripe, receiver: str
) -> None:
    httpx.put(f"{stripe_emu.control_url}/config", json={"first_retry_s": 0.05}).raise_for_status()
    made = create(api, url=receiver).json()
    create(api, url="https://x.test/not-subscribed", **{"enabled_events[]": ["charge.failed"]})
    sent = httpx.post(f"{stripe_emu.control_url}/events", json={"type": "charge.refunded"}).json()
    assert sent["endpoints"] == [made["id"]]
    deadline = time.monotonic() + 10
    while len(Receiver.received) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    attempts = httpx.get(f"{stripe_emu.control_url}/deliveries").json()["deliveries"]
    assert [a["status"] for a in attempts] == [500, 500, 200]
    body, header = Receiver.received[-1]
    timestamp = header.split(",")[0].removeprefix("t=")
    expected = hmac.new(made["secret"].encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert header.endswith(f"v1={expected}")
    assert json.loads(body)["id"] == sent["event"]["id"]


def test_a_disabled_endpoint_gets_no_event(api: httpx.Client, stripe_emu: RunningStripe) -> None:
    made = create(api).json()
    api.post(f"/v1/webhook_endpoints/{made['id']}", data={"disabled": "true"})
    sent = httpx.post(f"{stripe_emu.control_url}/events", json={"type": "charge.refunded"}).json()
    assert sent["endpoints"] == []
    assert httpx.post(f"{stripe_emu.control_url}/events", json={"type": "no.such"}).status_code == 422


def test_reset_and_restore_bring_back_the_default_delivery_settings(
    api: httpx.Client, stripe_emu: RunningStripe
) -> None:
    control = f"{stripe_emu.control_url}/config"
    defaults = httpx.get(control).json()
    create(api)
    taken = httpx.get(f"{stripe_emu.control_url}/state").json()
    for method, path, body in (("POST", "/reset", None), ("PUT", "/state", taken)):
        httpx.put(control, json={"max_attempts": 1, "first_retry_s": 9}).raise_for_status()
        httpx.request(method, f"{stripe_emu.control_url}{path}", json=body).raise_for_status()
        assert httpx.get(control).json() == defaults
    assert [e["url"] for e in api.get("/v1/webhook_endpoints").json()["data"]] == ["https://x.test/hook"]


class SlowSite(BaseHTTPRequestHandler):
    """A site that holds its first delivery until the test lets it answer 500 (so a retry is due)."""

    arrived: ClassVar[threading.Event]
    answer: ClassVar[threading.Event]
    received: ClassVar[int] = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        SlowSite.received += 1
        SlowSite.arrived.set()
        SlowSite.answer.wait(timeout=10)
        self.send_response(500)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        return None


def test_a_reset_during_a_delivery_leaves_no_attempt_of_the_old_state(
    api: httpx.Client, stripe_emu: RunningStripe
) -> None:
    """The test fixtures reset the emulator between tests: an attempt in flight at that moment
    must not be recorded, nor its retry queued, in the state the next test starts from."""
    SlowSite.arrived, SlowSite.answer, SlowSite.received = threading.Event(), threading.Event(), 0
    site = ThreadingHTTPServer(("127.0.0.1", 0), SlowSite)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        create(api, url=f"http://127.0.0.1:{site.server_address[1]}/hook")
        httpx.post(f"{stripe_emu.control_url}/events", json={"type": "charge.refunded"}).raise_for_status()
        assert SlowSite.arrived.wait(timeout=10), "the delivery reached the site"

        reset = threading.Thread(target=lambda: httpx.post(f"{stripe_emu.control_url}/reset", timeout=30))
        reset.start()
        reset.join(timeout=1)  # it waits for the attempt in flight (or, before the fix, is done)
        SlowSite.answer.set()
        reset.join(timeout=30)

        after = httpx.get(f"{stripe_emu.control_url}/deliveries").json()
        assert after == {"deliveries": [], "pending": 0}
        assert SlowSite.received == 1
    finally:
        SlowSite.answer.set()
        site.shutdown()
