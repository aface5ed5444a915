"""The shared emulator kit: spec validation modes, reset, the state file's versions, and
the validator on a spec of its own (as the Stripe and Twilio emulators will use it)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from local_services.common.http_server import HttpError, Request
from local_services.common.spec_validation import RequestValidator, swagger2_contract
from local_services.emulator_control import EmulatorControl
from local_services.netlify import RunningEmulator, start_emulator
from local_services.netlify.__main__ import parse_args

SITE_ID = "0f0c3e1a-2b4d-4c6e-8a10-kit000000001"
ACCOUNT = "kit-account"
TOKEN = "kit-test-token"
ENV_PATH = f"/accounts/{ACCOUNT}/env"
SITE = {"site_id": SITE_ID}
UNDEFINED_FIELD = [{"key": "FLAG", "values": [{"context": "all", "value": "v"}], "visibility": "team"}]


def _start(data_dir: Path, validation: str = "strict") -> RunningEmulator:
    return start_emulator(data_dir, SITE_ID, ACCOUNT, build_seconds=0.02, token=TOKEN, validation=validation)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[RunningEmulator]:
    with _start(tmp_path / "netlify") as running:
        yield running


@pytest.fixture
def control(emulator: RunningEmulator) -> EmulatorControl:
    return EmulatorControl.attach(emulator, TOKEN)


@pytest.fixture
def api(control: EmulatorControl) -> Iterator[httpx.Client]:
    with control.api_client() as client:
        yield client


# -- validation against Netlify's spec ---------------------------------------------------------


def test_an_undefined_body_field_is_refused_in_netlifys_shape_and_changes_nothing(
    api: httpx.Client, control: EmulatorControl
) -> None:
    response = api.post(ENV_PATH, params=SITE, json=UNDEFINED_FIELD)
    assert response.status_code == 422
    assert response.json() == {"code": 422, "message": response.json()["message"]}
    assert "[0].visibility" in response.json()["message"]
    assert control.env() == {}
    [logged] = [entry for entry in control.requests() if entry["method"] == "POST"]
    assert logged["status"] == 422
    assert "[0].visibility" in logged["invalid"][0]


def test_an_undefined_query_parameter_is_refused_naming_it(api: httpx.Client) -> None:
    response = api.get(f"/sites/{SITE_ID}/deploys", params={"status": "ready"})
    assert response.status_code == 422
    assert "query parameter status is not defined for listSiteDeploys" in response.json()["message"]


def test_several_problems_are_named_together(api: httpx.Client) -> None:
    body = [{"key": 1, "scopes": ["all"], "values": "x"}]
    response = api.post(ENV_PATH, params=SITE, json=body)
    message = response.json()["message"]
    assert response.status_code == 400, "a wrong type is a malformed request"
    for field in ("[0].key must be a string", "[0].scopes[0] must be one of", "[0].values must be an array"):
        assert field in message


def test_warn_mode_serves_the_request_and_logs_what_the_spec_refuses(
    api: httpx.Client, control: EmulatorControl
) -> None:
    control.configure(validation="warn")
    assert api.post(ENV_PATH, params=SITE, json=UNDEFINED_FIELD).status_code == 201
    assert "FLAG" in control.env()
    [logged] = [entry for entry in control.requests() if entry["method"] == "POST"]
    assert "[0].visibility" in logged["invalid"][0]


def test_validation_off_serves_what_the_spec_refuses(tmp_path: Path) -> None:
    with _start(tmp_path / "off", validation="off") as running:
        control = EmulatorControl.attach(running, TOKEN)
        assert httpx.get(f"{running.control_url}/config").json()["validation"] == "off"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        created = httpx.post(f"{running.api_url}{ENV_PATH}", params=SITE, json=UNDEFINED_FIELD, headers=headers)
        assert created.status_code == 201
        assert all("invalid" not in entry for entry in control.requests())


def test_an_unknown_validation_mode_is_refused(emulator: RunningEmulator) -> None:
    response = httpx.put(f"{emulator.control_url}/config", json={"validation": "lenient", "build_seconds": 1})
    assert response.status_code == 422
    assert "off, warn, strict" in response.json()["message"]
    assert httpx.get(f"{emulator.control_url}/config").json()["validation"] == "strict"
    with pytest.raises(SystemExit):
        parse_args(
            [
                "--api-port",
                "0",
                "--site-port",
                "0",
                "--data-dir",
                "d",
                "--site-id",
                "s",
                "--account-id",
                "a",
                "--validation",
                "lenient",
            ]
        )


# -- reset ------------------------------------------------------------------------------------


def test_reset_brings_back_the_freshly_seeded_emulator(
    emulator: RunningEmulator, api: httpx.Client, control: EmulatorControl
) -> None:
    control.add_by_hand("FLAG", "on")
    control.build_by_hand()
    control.add_site("other", "other-team", "other")
    control.configure(fail_next_builds=2, validation="warn")
    control.inject_faults(rate=0.0, kinds=["500"])

    control.reset()

    assert control.requests() == []
    assert control.env() == {}
    [seeded] = control.deploys()
    assert (seeded["state"], seeded["title"]) == ("ready", "Initial deploy (seeded by the emulator)")
    assert [site["id"] for site in control.sites()] == [SITE_ID]
    assert control.published_env() == {"deploy_id": seeded["id"], "env": {}}
    config = httpx.get(f"{emulator.control_url}/config").json()
    assert (config["fail_next_builds"], config["validation"]) == (0, "strict")
    assert httpx.get(f"{emulator.control_url}/faults").json()["enabled"] is False
    assert api.post(f"/sites/{SITE_ID}/builds").status_code == 200


def test_a_restored_snapshot_is_the_state_it_was_taken_from_with_fresh_settings(
    emulator: RunningEmulator, api: httpx.Client, control: EmulatorControl
) -> None:
    control.add_by_hand("FLAG", "on")
    built = control.build_by_hand()
    deadline = time.monotonic() + 10
    while {d["id"]: d["state"] for d in control.deploys()}[built] != "ready" and time.monotonic() < deadline:
        time.sleep(0.01)
    taken = control.snapshot()
    env, deploys = control.env(), control.deploys()

    control.set_value_by_hand("FLAG", "production", "off")
    control.add_site("other", "other-team", "other")
    control.configure(fail_next_builds=2, validation="warn")
    control.inject_faults(rate=0.0, kinds=["500"])
    httpx.put(f"{emulator.control_url}/site-overrides", json={"live_stream": False}).raise_for_status()

    control.restore(taken)

    assert control.requests() == []
    assert control.env() == env
    assert control.deploys() == deploys
    assert built in {deploy["id"] for deploy in deploys}
    assert [site["id"] for site in control.sites()] == [SITE_ID]
    config = httpx.get(f"{emulator.control_url}/config").json()
    assert (config["fail_next_builds"], config["validation"]) == (0, "strict")
    assert httpx.get(f"{emulator.control_url}/faults").json()["enabled"] is False
    assert httpx.get(f"{emulator.control_url}/site-overrides").json() == {}
    # The restored document is the one on disk too: a restart sees it.
    assert json.loads((emulator.data_dir / "netlify-state.json").read_text()) == taken


def test_a_document_that_is_not_a_snapshot_is_refused_and_changes_nothing(
    emulator: RunningEmulator, control: EmulatorControl
) -> None:
    control.add_by_hand("FLAG", "on")
    control.configure(fail_next_builds=1)
    before = control.snapshot()
    for document in ({"version": 999}, ["not", "a", "document"]):
        refused = httpx.put(f"{emulator.control_url}/state", json=document)
        assert refused.status_code == 422
        assert "GET /_emulator/state" in refused.text
    assert control.snapshot() == before
    assert httpx.get(f"{emulator.control_url}/config").json()["fail_next_builds"] == 1


def test_site_overrides_live_in_the_control_namespace_and_reset_heals_them(emulator: RunningEmulator) -> None:
    overrides = f"{emulator.control_url}/site-overrides"
    assert 'id="live-stream"' in httpx.get(f"{emulator.site_url}/").text
    set_them = httpx.put(overrides, json={"live_stream": False, "headers": {"X-Frame-Options": None}})
    assert set_them.json() == {"live_stream": False, "headers": {"X-Frame-Options": None}}
    page = httpx.get(f"{emulator.site_url}/")
    assert 'id="live-stream"' not in page.text
    assert "X-Frame-Options" not in page.headers
    assert httpx.put(overrides, json={"colour": "red"}).status_code == 422
    httpx.post(f"{emulator.control_url}/reset").raise_for_status()
    assert httpx.get(overrides).json() == {}
    page = httpx.get(f"{emulator.site_url}/")
    assert 'id="live-stream"' in page.text
    assert "X-Frame-Options" in page.headers


# -- the state file -----------------------------------------------------------------------------


def test_a_version_1_state_file_is_upgraded(tmp_path: Path) -> None:
    data_dir = tmp_path / "old"
    data_dir.mkdir()
    stamp = "2024-01-01T00:00:00.000Z"
    site = {
        "id": SITE_ID,
        "name": "old-site",
        "account_slug": ACCOUNT,
        "created_at": stamp,
        "updated_at": stamp,
        "published_deploy_id": None,
    }
    version_1 = {"version": 1, "seq": 0, "sites": {SITE_ID: site}, "env": {SITE_ID: {}}, "deploys": {}, "builds": {}}
    (data_dir / "netlify-state.json").write_text(json.dumps(version_1))
    with _start(data_dir) as running:
        control = EmulatorControl.attach(running, TOKEN)
        rendered = control.site()
        assert (rendered["name"], rendered["url"], rendered["account_slug"]) == ("old-site", running.site_url, ACCOUNT)
        assert [account["slug"] for account in control.accounts()] == [ACCOUNT]
    assert json.loads((data_dir / "netlify-state.json").read_text())["version"] == 3


# -- the validator on its own --------------------------------------------------------------------

TINY_SPEC: dict[str, Any] = {
    "swagger": "2.0",
    "paths": {
        "/things": {
            "post": {
                "operationId": "createThing",
                "parameters": [
                    {"name": "count", "in": "query", "type": "integer", "format": "int32", "required": True},
                    {"name": "tags", "in": "query", "type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
                    {
                        "name": "thing",
                        "in": "body",
                        "required": True,
                        "schema": {
                            "type": "object",
                            "required": ["name"],
                            "properties": {"name": {"type": "string"}, "size": {"type": "integer"}},
                        },
                    },
                ],
            }
        }
    },
}


def _request(query: dict[str, str], body: bytes) -> Request:
    return Request("POST", "/things", query, {}, body)


def _decode(request: Request) -> Any:
    return request.json()


@pytest.mark.parametrize(
    ("query", "body", "expected"),
    [
        ({"count": "2"}, b'{"name": "n"}', []),
        ({"count": "2", "tags": "a,b"}, b'{"name": "n", "size": 3}', []),
        ({}, b'{"name": "n"}', [(422, "query parameter count is required")]),
        ({"count": "two"}, b'{"name": "n"}', [(400, "query parameter count must be an integer; got 'two'")]),
        ({"count": str(2**31)}, b'{"name": "n"}', [(400, "query parameter count must be an integer between")]),
        ({"count": "1", "tags": "a,c"}, b'{"name": "n"}', [(422, "query parameter tags[1] must be one of a, b")]),
        ({"count": "1", "color": "red"}, b'{"name": "n"}', [(422, "query parameter color is not defined")]),
        ({"count": "1"}, b"", [(422, "a request body is required")]),
        ({"count": "1"}, b"{nope", [(400, "not valid JSON")]),
        ({"count": "1"}, b'{"size": 1}', [(422, "name is required")]),
        ({"count": "1"}, b'{"name": "n", "colour": 1}', [(422, "colour: not a field the spec defines here")]),
        ({"count": "1"}, b'["n"]', [(400, "body must be an object")]),
    ],
)
def test_the_validator_reads_a_swagger_2_contract(
    query: dict[str, str], body: bytes, expected: list[tuple[int, str]]
) -> None:
    validator = RequestValidator([swagger2_contract(TINY_SPEC, "POST", "/things")])
    found = validator.check("createThing", _request(query, body), _decode)
    assert len(found) == len(expected), found
    for violation, (status, text) in zip(found, expected, strict=True):
        assert violation.status == status
        assert text in violation.message


def test_an_operation_the_spec_lacks_cannot_get_a_contract() -> None:
    with pytest.raises(KeyError, match="the spec has no GET /things"):
        swagger2_contract(TINY_SPEC, "GET", "/things")


def test_a_body_the_vendor_cannot_decode_is_malformed() -> None:
    def refuse(_request: Request) -> Any:
        raise HttpError(400, "body must be form-encoded")

    validator = RequestValidator([swagger2_contract(TINY_SPEC, "POST", "/things")])
    [violation] = validator.check("createThing", _request({"count": "1"}, b"name=n"), refuse)
    assert (violation.status, violation.message) == (400, "body must be form-encoded")
