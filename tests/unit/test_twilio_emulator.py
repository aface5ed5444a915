"""The Twilio emulator on the kit: basic auth, the Messages list and its paging, Twilio's
error shape, the control calls and the kit's faults; and the monitor's SMS probe against it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from local_services.twilio import RunningTwilio, start_emulator
from scripts.sfops.monitoring.probes import SmsFailureRateProbe

SID = "AC00000000000000000000000000000001"
TOKEN = "twilio-unit-token"
MESSAGES = f"/2010-04-01/Accounts/{SID}/Messages.json"


@pytest.fixture
def twilio(tmp_path: Path) -> Iterator[RunningTwilio]:
    with start_emulator(tmp_path / "twilio", SID, auth_token=TOKEN) as running:
        yield running


def add(twilio: RunningTwilio, *batches: dict[str, Any]) -> list[str]:
    response = httpx.post(f"{twilio.control_url}/messages", json={"messages": list(batches)}, timeout=5)
    assert response.status_code == 201, response.text
    sids: list[str] = response.json()["sids"]
    return sids


def get(
    twilio: RunningTwilio,
    path: str,
    params: dict[str, str] | None = None,
    auth: tuple[str, str] | None = (SID, TOKEN),
) -> httpx.Response:
    # No params at all when following a page URI: httpx would replace its query string.
    return httpx.get(f"{twilio.api_url}{path}", params=params, auth=auth, timeout=5)


def test_refuses_missing_or_wrong_credentials_in_twilios_error_shape(twilio: RunningTwilio) -> None:
    for auth in (None, (SID, "wrong-token")):
        response = get(twilio, MESSAGES, auth=auth)
        assert response.status_code == 401
        assert response.json() == {
            "code": 20003,
            "message": "Authenticate",
            "more_info": "https://www.twilio.com/docs/errors/20003",
            "status": 401,
        }
        assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_another_accounts_messages_are_not_found(twilio: RunningTwilio) -> None:
    response = get(twilio, "/2010-04-01/Accounts/AC99999999999999999999999999999999/Messages.json")
    assert response.status_code == 404
    assert response.json()["code"] == 20404


def test_pages_walk_every_message_once_newest_first(twilio: RunningTwilio) -> None:
    old = add(twilio, {"status": "delivered", "count": 4, "age_s": 120})
    new = add(twilio, {"status": "failed", "count": 3})
    first = get(twilio, MESSAGES, {"PageSize": "3"}).json()
    assert (first["page"], first["page_size"], first["start"], first["end"]) == (0, 3, 0, 2)
    assert first["previous_page_uri"] is None
    assert first["uri"].startswith(MESSAGES)
    assert first["first_page_uri"].startswith(MESSAGES)
    seen, page = [], first
    while True:
        seen += [m["sid"] for m in page["messages"]]
        if page["next_page_uri"] is None:
            break
        page = get(twilio, page["next_page_uri"]).json()
    assert sorted(seen[:3]) == sorted(new)
    assert sorted(seen[3:]) == sorted(old)
    assert page["page"] == 2
    assert len(page["messages"]) == 1
    message = first["messages"][0]
    assert message["status"] == "failed"
    assert message["error_code"] == 30008
    assert message["account_sid"] == SID
    assert message["uri"].endswith(f"{message['sid']}.json")
    assert message["date_sent"].endswith("+0000")  # RFC 2822, as Twilio writes it


def test_date_filters_and_bad_parameters(twilio: RunningTwilio) -> None:
    add(twilio, {"status": "sent", "count": 2}, {"status": "sent", "age_s": 3 * 86400})
    assert len(get(twilio, MESSAGES).json()["messages"]) == 3
    recent = get(twilio, MESSAGES, {"DateSent>": "2000-01-01"}).json()
    assert len(recent["messages"]) == 3
    assert "DateSent%3E=2000-01-01" in recent["uri"]
    future = get(twilio, MESSAGES, {"DateSent>": "2999-01-01"}).json()
    assert future["messages"] == []
    assert future["next_page_uri"] is None
    for params in ({"PageSize": "0"}, {"PageSize": "1001"}, {"DateSent>": "yesterday"}, {"PageToken": "PAnope"}):
        response = get(twilio, MESSAGES, params)
        assert response.status_code == 400, params
        assert response.json()["code"] == 20001


def test_control_refuses_unknown_statuses_and_fields(twilio: RunningTwilio) -> None:
    for batch in ({"status": "lost"}, {"status": "sent", "colour": "red"}, {"status": "sent", "count": 0}):
        response = httpx.post(f"{twilio.control_url}/messages", json={"messages": [batch]}, timeout=5)
        assert response.status_code == 422, batch
    assert httpx.get(f"{twilio.control_url}/messages", timeout=5).json() == []


def test_injected_faults_answer_in_twilios_shape_and_reset_empties(twilio: RunningTwilio) -> None:
    add(twilio, {"status": "delivered"})
    httpx.put(f"{twilio.control_url}/faults", json={"rate": 1.0, "kinds": ["503"]}, timeout=5).raise_for_status()
    response = get(twilio, MESSAGES)
    assert response.status_code == 503
    assert set(response.json()) == {"code", "message", "more_info", "status"}
    httpx.post(f"{twilio.control_url}/reset", timeout=5).raise_for_status()
    assert get(twilio, MESSAGES).json()["messages"] == []


def test_messages_survive_a_restart(tmp_path: Path) -> None:
    with start_emulator(tmp_path / "twilio", SID, auth_token=TOKEN) as first:
        sids = add(first, {"status": "undelivered", "count": 2})
    with start_emulator(tmp_path / "twilio", SID, auth_token=TOKEN) as second:
        assert sorted(m["sid"] for m in get(second, MESSAGES).json()["messages"]) == sorted(sids)


def probe(twilio: RunningTwilio, **options: Any) -> SmsFailureRateProbe:
    return SmsFailureRateProbe("sms", twilio.api_url, SID, TOKEN, page_size=4, **options)


def run(probe: SmsFailureRateProbe) -> tuple[str, str]:
    async def once() -> tuple[str, str]:
        async with httpx.AsyncClient(timeout=5) as client:
            result = await probe.run(client)
        return result.status, result.detail

    return asyncio.run(once())


def test_probe_counts_final_messages_in_the_window_across_pages(twilio: RunningTwilio) -> None:
    add(
        twilio,
        {"status": "delivered", "count": 8},
        {"status": "sent", "count": 2},
        {"status": "failed", "count": 1},
        {"status": "undelivered", "count": 1},
        {"status": "queued", "count": 3},  # not final: not an attempt yet
        {"status": "failed", "count": 5, "age_s": 7200},  # outside the 15-minute window
    )
    status, detail = run(probe(twilio, min_attempts=10, max_failure_rate=0.2))
    assert status == "up", detail
    assert detail.startswith("2/12 SMS failed")
    status, detail = run(probe(twilio, min_attempts=10, max_failure_rate=0.1))
    assert status == "down", detail  # 17% > 10%
    status, detail = run(probe(twilio, min_attempts=10, max_failure_rate=0.1, window_s=3 * 3600))
    assert status == "down", detail
    assert detail.startswith("7/17 SMS failed")


def test_probe_is_unknown_below_the_minimum_or_when_twilio_refuses(twilio: RunningTwilio) -> None:
    add(twilio, {"status": "failed", "count": 5})
    status, detail = run(probe(twilio, min_attempts=20))
    assert status == "unknown"
    assert "5 SMS" in detail
    wrong = SmsFailureRateProbe("sms", twilio.api_url, SID, "wrong-token")
    status, detail = run(wrong)
    assert status == "unknown"
    assert "401" in detail
    assert "wrong-token" not in detail
