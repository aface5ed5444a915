"""The local Netlify emulator, driven over HTTP as the stack and scripts drive it (builds: the branch
head they build, the front end's bundle, secrets scanning with Netlify's rules, the final states)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from local_services.netlify import RunningEmulator, start_emulator
from local_services.netlify.functions import sms_code
from local_services.netlify.secrets_scan import scan
from local_services.netlify.state import StateError

SITE_ID = "0f0c3e1a-2b4d-4c6e-8a10-unit00000001"
ACCOUNT = "unit-account"
TOKEN = "unit-test-token"
ENV_PATH = f"/accounts/{ACCOUNT}/env"
SITE = {"site_id": SITE_ID}
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
TWILIO = {"TWILIO_ACCOUNT_SID": "AC123", "TWILIO_AUTH_TOKEN": "twilio-secret", "TWILIO_FROM_NUMBER": "+15550000000"}
PHONE = "+15551234567"
WEBHOOK_SECRET = "whsec_unit_test_secret"
REPO = Path(__file__).resolve().parents[2]


def _start(data_dir: Path) -> RunningEmulator:
    return start_emulator(data_dir, SITE_ID, ACCOUNT, build_seconds=0.05, token=TOKEN, site_name="sound-factory")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "netlify"


@pytest.fixture
def emulator(data_dir: Path) -> Iterator[RunningEmulator]:
    with _start(data_dir) as running:
        yield running


@pytest.fixture
def api(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=emulator.api_url, headers=headers, timeout=10) as client:
        yield client


@pytest.fixture
def control(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.control_url, timeout=10) as client:
        yield client


@pytest.fixture
def site(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.site_url, timeout=10) as client:
        yield client


# -- helpers ----------------------------------------------------------------------------


def create_var(
    api: httpx.Client, key: str, values: dict[str, str], *, is_secret: bool = False, scopes: list[str] | None = None
) -> httpx.Response:
    body: dict[str, Any] = {
        "key": key,
        "is_secret": is_secret,
        "values": [{"context": context, "value": value} for context, value in values.items()],
    }
    if scopes is not None:
        body["scopes"] = scopes
    return api.post(ENV_PATH, params=SITE, json=[body])


def wait_finished(api: httpx.Client, deploy_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        deploy: dict[str, Any] = api.get(f"/deploys/{deploy_id}").raise_for_status().json()
        if deploy["state"] in ("ready", "error", "rejected"):
            return deploy
        time.sleep(0.02)
    raise AssertionError(f"deploy {deploy_id} did not finish")


def build(api: httpx.Client) -> dict[str, Any]:
    started = api.post(f"/sites/{SITE_ID}/builds")
    assert started.status_code == 200, started.text
    return wait_finished(api, started.json()["deploy_id"])


def published_id(api: httpx.Client) -> str:
    return str(api.get(f"/sites/{SITE_ID}").raise_for_status().json()["published_deploy"]["id"])


def published_env(control: httpx.Client) -> dict[str, Any]:
    payload: dict[str, Any] = control.get(f"/sites/{SITE_ID}/published-env").raise_for_status().json()
    return payload


def set_faults(control: httpx.Client, **config: Any) -> None:
    control.put("/faults", json=config).raise_for_status()


def stripe_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={signature}"


# -- API basics -------------------------------------------------------------------------


def test_every_api_request_needs_the_bearer_token(emulator: RunningEmulator, api: httpx.Client) -> None:
    anonymous = httpx.get(f"{emulator.api_url}/sites/{SITE_ID}")
    wrong = httpx.get(f"{emulator.api_url}/sites/{SITE_ID}", headers={"Authorization": "Bearer nope"})
    for response in (anonymous, wrong):
        assert response.status_code == 401
        assert response.json()["code"] == 401
        assert response.json()["message"]
    assert api.get(f"/sites/{SITE_ID}").status_code == 200


def test_every_api_response_carries_rate_limit_headers(api: httpx.Client, emulator: RunningEmulator) -> None:
    responses = [
        api.get(f"/sites/{SITE_ID}"),
        api.get("/no/such/endpoint"),
        httpx.get(f"{emulator.api_url}/sites/{SITE_ID}"),
    ]
    remaining = []
    for response in responses:
        assert response.headers["X-RateLimit-Limit"] == "500"
        assert int(response.headers["X-RateLimit-Reset"]) > time.time() - 1
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
    assert remaining == sorted(remaining, reverse=True)
    assert remaining[0] > remaining[-1]


def test_unknown_api_paths_answer_404_with_an_error_body(api: httpx.Client) -> None:
    for response in (api.get("/sites/nope"), api.get("/forms"), api.post(f"/sites/{SITE_ID}")):
        assert response.status_code == 404
        assert response.json()["code"] == 404
        assert isinstance(response.json()["message"], str)


def test_the_site_starts_with_a_published_ready_deploy(api: httpx.Client) -> None:
    site = api.get(f"/sites/{SITE_ID}").json()
    assert site["id"] == SITE_ID
    assert site["account_slug"] == ACCOUNT
    assert site["name"] == "sound-factory"
    assert site["published_deploy"]["state"] == "ready"
    assert site["published_deploy"]["context"] == "production"
    assert site["published_deploy"]["published_at"]


# -- environment variables ----------------------------------------------------------------


def test_env_var_round_trip(api: httpx.Client) -> None:
    created = create_var(api, "GREETING", {"all": "hello"}, scopes=["builds", "functions"])
    assert created.status_code == 201
    [variable] = created.json()
    assert variable["key"] == "GREETING"
    assert variable["scopes"] == ["builds", "functions"]
    assert [(v["context"], v["value"]) for v in variable["values"]] == [("all", "hello")]
    assert variable["values"][0]["id"]

    listed = api.get(ENV_PATH, params=SITE).json()
    assert [v["key"] for v in listed] == ["GREETING"]
    assert api.get(f"{ENV_PATH}/GREETING", params=SITE).json()["values"] == variable["values"]

    replaced = api.put(
        f"{ENV_PATH}/GREETING",
        params=SITE,
        json={
            "key": "GREETING",
            "scopes": ["functions"],
            "is_secret": False,
            "values": [{"context": "production", "value": "hi prod"}, {"context": "dev", "value": "hi dev"}],
        },
    )
    assert replaced.status_code == 200
    assert replaced.json()["scopes"] == ["functions"]
    assert {v["context"]: v["value"] for v in replaced.json()["values"]} == {"production": "hi prod", "dev": "hi dev"}

    patched = api.patch(f"{ENV_PATH}/GREETING", params=SITE, json={"context": "production", "value": "hey"})
    assert patched.status_code == 201
    assert {v["context"]: v["value"] for v in patched.json()["values"]} == {"production": "hey", "dev": "hi dev"}
    added = api.patch(
        f"{ENV_PATH}/GREETING", params=SITE, json={"context": "branch", "context_parameter": "staging", "value": "b"}
    )
    assert {(v["context"], v.get("context_parameter")) for v in added.json()["values"]} == {
        ("production", None),
        ("dev", None),
        ("branch", "staging"),
    }

    assert api.delete(f"{ENV_PATH}/GREETING", params=SITE).status_code == 204
    gone = api.get(f"{ENV_PATH}/GREETING", params=SITE)
    assert gone.status_code == 404
    assert gone.json()["code"] == 404
    assert api.delete(f"{ENV_PATH}/GREETING", params=SITE).status_code == 404
    assert api.get(ENV_PATH, params=SITE).json() == []


def test_list_filters_by_context_and_scope(api: httpx.Client) -> None:
    create_var(api, "EVERYWHERE", {"all": "1"})
    create_var(api, "PROD_ONLY", {"production": "2"}, scopes=["functions"])
    create_var(api, "DEV_ONLY", {"dev": "3"}, scopes=["builds"])
    by_context = api.get(ENV_PATH, params={**SITE, "context_name": "production"}).json()
    assert [v["key"] for v in by_context] == ["EVERYWHERE", "PROD_ONLY"]
    by_scope = api.get(ENV_PATH, params={**SITE, "scope": "builds"}).json()
    assert [v["key"] for v in by_scope] == ["DEV_ONLY", "EVERYWHERE"]
    convenience = api.get(f"/sites/{SITE_ID}/env").json()
    assert [v["key"] for v in convenience] == ["DEV_ONLY", "EVERYWHERE", "PROD_ONLY"]


def test_creating_an_existing_key_is_refused_and_changes_nothing(api: httpx.Client) -> None:
    assert create_var(api, "FLAG", {"all": "old"}).status_code == 201
    duplicate = create_var(api, "FLAG", {"all": "new"})
    assert duplicate.status_code == 409
    assert "FLAG" in duplicate.json()["message"]
    assert api.get(f"{ENV_PATH}/FLAG", params=SITE).json()["values"][0]["value"] == "old"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ([{"key": "K", "values": [{"context": "staging", "value": "v"}]}], 422, "[0].values[0].context"),
        ([{"key": "K", "values": [{"context": "branch", "value": "v"}]}], 422, "[0].values[0].context_parameter"),
        ([{"key": "K", "scopes": ["everything"], "values": []}], 422, "[0].scopes[0]"),
        ([{"key": "K", "values": [{"context": "all", "value": 5}]}], 400, "[0].values[0].value"),
        ([{"key": "1BAD", "values": []}], 422, "[0].key"),
        ([{"values": []}], 400, "[0].key"),
        ({"key": "K"}, 400, "array"),
    ],
)
def test_invalid_env_input_is_refused_naming_the_field(api: httpx.Client, body: Any, status: int, field: str) -> None:
    response = api.post(ENV_PATH, params=SITE, json=body)
    assert response.status_code == status
    assert response.json()["code"] == status
    assert field in response.json()["message"]
    assert api.get(ENV_PATH, params=SITE).json() == []


def test_env_calls_need_the_site_and_its_account(api: httpx.Client) -> None:
    # Without a site: the team's shared variables, of which the emulator keeps none (netlify-cli asks).
    assert api.get(ENV_PATH).json() == []
    assert api.get(f"{ENV_PATH}/ANY").status_code == 404
    assert api.post(ENV_PATH, json=[{"key": "X", "values": []}]).status_code == 400
    # netlify-cli's spelling of a scope is accepted for Netlify's own.
    made = api.post(ENV_PATH, params=SITE, json=[{"key": "CLI", "scopes": ["builds", "post_processing"]}])
    assert made.status_code == 201, made.text
    assert made.json()[0]["scopes"] == ["builds", "post-processing"]
    assert api.get("/accounts/someone-else/env", params=SITE).status_code == 404
    assert api.get(ENV_PATH, params={"site_id": "no-such-site"}).status_code == 404


def test_secret_values_are_readable_only_in_the_dev_context(api: httpx.Client, control: httpx.Client) -> None:
    created = create_var(api, "API_KEY", {"production": "prod-secret", "dev": "dev-secret"}, is_secret=True)
    assert created.status_code == 201
    for variable in (created.json()[0], api.get(f"{ENV_PATH}/API_KEY", params=SITE).json()):
        values = {v["context"]: v for v in variable["values"]}
        assert variable["is_secret"] is True
        assert "value" not in values["production"]
        assert values["dev"]["value"] == "dev-secret"
    assert "prod-secret" not in api.get(ENV_PATH, params=SITE).text
    build(api)
    env = published_env(control)["env"]
    assert env["API_KEY"] == hashlib.sha256(b"prod-secret").hexdigest()


def test_updated_at_moves_on_every_change(api: httpx.Client) -> None:
    stamps = [create_var(api, "FLAG", {"all": "a"}).json()[0]["updated_at"]]
    stamps.append(
        api.patch(f"{ENV_PATH}/FLAG", params=SITE, json={"context": "all", "value": "b"}).json()["updated_at"]
    )
    stamps.append(
        api.put(f"{ENV_PATH}/FLAG", params=SITE, json={"values": [{"context": "all", "value": "c"}]}).json()[
            "updated_at"
        ]
    )
    assert all(STAMP.match(stamp) for stamp in stamps)
    assert stamps == sorted(set(stamps))
    variable = api.get(f"{ENV_PATH}/FLAG", params=SITE).json()
    assert variable["updated_at"] == stamps[-1]
    assert set(variable["updated_by"]) >= {"id", "full_name", "email"}


# -- builds, publishing, rollback ------------------------------------------------------------


def test_a_build_snapshots_the_env_when_it_starts(api: httpx.Client, control: httpx.Client) -> None:
    create_var(api, "FLAG", {"all": "one", "production": "prod-one"})
    first = build(api)
    assert first["state"] == "ready"
    api.patch(f"{ENV_PATH}/FLAG", params=SITE, json={"context": "production", "value": "prod-two"})
    api.post(ENV_PATH, params=SITE, json=[{"key": "LATER", "values": [{"context": "all", "value": "x"}]}])

    assert published_env(control) == {"deploy_id": first["id"], "env": {"FLAG": "prod-one"}}
    second = build(api)
    assert published_env(control) == {"deploy_id": second["id"], "env": {"FLAG": "prod-two", "LATER": "x"}}
    assert control.get(f"/deploys/{first['id']}/env").json()["env"] == {"FLAG": "prod-one"}


def test_a_finished_build_is_published(api: httpx.Client, site: httpx.Client) -> None:
    seeded = published_id(api)
    started = api.post(f"/sites/{SITE_ID}/builds")
    assert started.json()["done"] is False
    deploy = wait_finished(api, started.json()["deploy_id"])
    assert deploy["state"] == "ready"
    assert deploy["context"] == "production"
    assert deploy["published_at"]
    assert published_id(api) == deploy["id"] != seeded
    finished_build = api.get(f"/builds/{started.json()['id']}").json()
    assert finished_build["done"] is True
    assert "error" not in finished_build
    homepage = site.get("/")
    assert homepage.headers["X-Nf-Deploy-Id"] == deploy["id"]
    assert f'<meta name="netlify-deploy-id" content="{deploy["id"]}">' in homepage.text


def test_a_locked_published_deploy_holds_while_new_builds_finish(api: httpx.Client, site: httpx.Client) -> None:
    pinned = published_id(api)
    locked = api.post(f"/deploys/{pinned}/lock")
    assert locked.status_code == 200
    assert locked.json()["locked"] is True
    newer = build(api)
    assert newer["state"] == "ready"
    assert "published_at" not in newer
    assert published_id(api) == pinned
    assert site.get("/").headers["X-Nf-Deploy-Id"] == pinned

    assert api.post(f"/deploys/{pinned}/unlock").json()["locked"] is False
    latest = build(api)
    assert published_id(api) == latest["id"]


def test_restore_publishes_an_old_deploy_without_building(
    api: httpx.Client, control: httpx.Client, site: httpx.Client
) -> None:
    create_var(api, "FLAG", {"all": "a"})
    old = build(api)
    api.patch(f"{ENV_PATH}/FLAG", params=SITE, json={"context": "all", "value": "b"})
    build(api)
    deploys_before = len(api.get(f"/sites/{SITE_ID}/deploys").json())

    restored = api.post(f"/sites/{SITE_ID}/deploys/{old['id']}/restore")
    assert restored.status_code == 201
    assert restored.json()["id"] == old["id"]
    assert published_id(api) == old["id"]
    assert published_env(control)["env"] == {"FLAG": "a"}
    assert site.get("/").headers["X-Nf-Deploy-Id"] == old["id"]
    assert len(api.get(f"/sites/{SITE_ID}/deploys").json()) == deploys_before

    assert api.post(f"/sites/{SITE_ID}/deploys/ffffffffffffffffffffffff/restore").status_code == 404


def test_restore_refuses_a_deploy_that_is_not_ready(api: httpx.Client, control: httpx.Client) -> None:
    control.put("/config", json={"fail_next_builds": 1}).raise_for_status()
    failed = build(api)
    response = api.post(f"/sites/{SITE_ID}/deploys/{failed['id']}/restore")
    assert response.status_code == 422
    assert response.json()["code"] == 422


def test_a_failing_build_ends_in_error_and_leaves_the_site_alone(api: httpx.Client, control: httpx.Client) -> None:
    before = published_id(api)
    config = control.put("/config", json={"fail_next_builds": 1, "fail_message": "npm ERR! boom"}).json()
    assert config["fail_next_builds"] == 1
    started = api.post(f"/sites/{SITE_ID}/builds").json()
    failed = wait_finished(api, started["deploy_id"])
    assert failed["state"] == "error"
    assert failed["error_message"] == "npm ERR! boom"
    assert api.get(f"/builds/{started['id']}").json() | {"created_at": ""} == {
        "id": started["id"],
        "deploy_id": failed["id"],
        "sha": started["sha"],
        "done": True,
        "error": "npm ERR! boom",
        "created_at": "",
    }
    assert published_id(api) == before
    assert build(api)["state"] == "ready"


def test_deploy_listing_is_newest_first_and_filters(api: httpx.Client, control: httpx.Client) -> None:
    seeded = published_id(api)
    control.put("/config", json={"fail_next_builds": 1}).raise_for_status()
    failed = build(api)
    ready = build(api)
    listed = api.get(f"/sites/{SITE_ID}/deploys").json()
    assert [d["id"] for d in listed] == [ready["id"], failed["id"], seeded]
    assert [d["id"] for d in api.get(f"/sites/{SITE_ID}/deploys", params={"state": "error"}).json()] == [failed["id"]]
    assert len(api.get(f"/sites/{SITE_ID}/deploys", params={"production": "true"}).json()) == 3
    assert api.get(f"/sites/{SITE_ID}/deploys", params={"production": "false"}).json() == []
    second_page = api.get(f"/sites/{SITE_ID}/deploys", params={"page": 2, "per_page": 2}).json()
    assert [d["id"] for d in second_page] == [seeded]
    assert api.get(f"/sites/{SITE_ID}/deploys/{failed['id']}").json()["id"] == failed["id"]
    assert api.get(f"/sites/{SITE_ID}/deploys", params={"per_page": "lots"}).status_code == 400


# -- persistence --------------------------------------------------------------------------------


def test_state_survives_a_restart_on_the_same_data_dir(data_dir: Path) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with _start(data_dir) as first, httpx.Client(base_url=first.api_url, headers=headers) as api:
        create_var(api, "FLAG", {"all": "kept"})
        create_var(api, "SECRET", {"production": "s3cret"}, is_secret=True)
        deploy = build(api)
        api.post(f"/deploys/{deploy['id']}/lock").raise_for_status()
        env_before = api.get(ENV_PATH, params=SITE).json()
        deploys_before = api.get(f"/sites/{SITE_ID}/deploys").json()

    with _start(data_dir) as second, httpx.Client(base_url=second.api_url, headers=headers) as api:
        assert api.get(ENV_PATH, params=SITE).json() == env_before
        after = api.get(f"/sites/{SITE_ID}/deploys").json()
        assert [(d["id"], d["state"], d["locked"]) for d in after] == [
            (d["id"], d["state"], d["locked"]) for d in deploys_before
        ]
        assert published_id(api) == deploy["id"]
        secret_hash = httpx.get(f"{second.control_url}/sites/{SITE_ID}/published-env").json()["env"]["SECRET"]
        assert secret_hash == hashlib.sha256(b"s3cret").hexdigest()


def test_a_build_running_at_shutdown_finishes_after_restart(data_dir: Path) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with start_emulator(data_dir, SITE_ID, ACCOUNT, build_seconds=60, token=TOKEN) as first:
        started = httpx.post(f"{first.api_url}/sites/{SITE_ID}/builds", headers=headers).json()
    with _start(data_dir) as second, httpx.Client(base_url=second.api_url, headers=headers) as api:
        assert wait_finished(api, started["deploy_id"])["state"] == "ready"


def test_one_data_dir_serves_one_emulator_at_a_time(emulator: RunningEmulator, data_dir: Path) -> None:
    with pytest.raises(StateError, match="in use"):
        _start(data_dir)


def test_state_file_is_private(emulator: RunningEmulator, api: httpx.Client, data_dir: Path) -> None:
    create_var(api, "SECRET", {"production": "s3cret"}, is_secret=True)
    [state_file] = data_dir.glob("*.json")
    assert state_file.stat().st_mode & 0o077 == 0
    assert json.loads(state_file.read_text())["env"][SITE_ID]["SECRET"]["is_secret"] is True


# -- fault injection and the request log ---------------------------------------------------------


def test_an_injected_429_changes_nothing(api: httpx.Client, control: httpx.Client) -> None:
    set_faults(control, rate=1.0, kinds=["429"], retry_after_s=3)
    refused = create_var(api, "FLAG", {"all": "v"})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3"
    assert int(refused.headers["X-RateLimit-Reset"]) >= int(time.time())
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.json()["code"] == 429
    control.delete("/faults").raise_for_status()
    assert api.get(f"{ENV_PATH}/FLAG", params=SITE).status_code == 404


@pytest.mark.parametrize("kind", ["500", "502", "503"])
def test_injected_server_errors_change_nothing(api: httpx.Client, control: httpx.Client, kind: str) -> None:
    set_faults(control, rate=1.0, kinds=[kind])
    refused = api.post(f"/sites/{SITE_ID}/builds")
    assert refused.status_code == int(kind)
    assert refused.json()["code"] == int(kind)
    control.delete("/faults").raise_for_status()
    assert len(api.get(f"/sites/{SITE_ID}/deploys").json()) == 1


def test_faults_follow_the_seed(api: httpx.Client, control: httpx.Client) -> None:
    def run() -> list[int]:
        set_faults(control, rate=0.5, kinds=["500", "502", "503"], seed=1234)
        return [api.get(f"/sites/{SITE_ID}").status_code for _ in range(24)]

    first, second = run(), run()
    assert first == second
    assert 200 in first
    assert set(first) - {200}


def test_a_dropped_connection_gets_no_answer_and_is_logged(api: httpx.Client, control: httpx.Client) -> None:
    control.delete("/requests").raise_for_status()
    set_faults(control, rate=1.0, kinds=["drop"])
    with pytest.raises(httpx.TransportError):
        create_var(api, "FLAG", {"all": "v"})
    control.delete("/faults").raise_for_status()
    assert api.get(f"{ENV_PATH}/FLAG", params=SITE).status_code == 404
    first = control.get("/requests").json()[0]
    assert (first["method"], first["status"], first["fault"]) == ("POST", None, "drop")


def test_500_after_applies_the_change_but_reports_an_error(api: httpx.Client, control: httpx.Client) -> None:
    set_faults(control, rate=1.0, kinds=["500-after"], max_faults=1, methods=["POST"])
    assert create_var(api, "FLAG", {"all": "v"}).status_code == 500
    assert api.get(f"{ENV_PATH}/FLAG", params=SITE).status_code == 200
    assert create_var(api, "FLAG", {"all": "v"}).status_code == 409
    assert control.get("/faults").json()["injected"] == 1


def test_faults_can_target_some_requests_only(api: httpx.Client, control: httpx.Client) -> None:
    set_faults(control, rate=1.0, kinds=["503"], path_contains="/builds")
    assert api.get(f"/sites/{SITE_ID}").status_code == 200
    assert api.post(f"/sites/{SITE_ID}/builds").status_code == 503


def test_bad_fault_config_is_refused(control: httpx.Client) -> None:
    assert control.put("/faults", json={"rate": 2, "kinds": ["500"]}).status_code == 422
    assert control.put("/faults", json={"rate": 0.5, "kinds": ["teapot"]}).status_code == 422
    assert control.get("/faults").json()["enabled"] is False


def test_the_request_log_records_api_calls(api: httpx.Client, control: httpx.Client) -> None:
    control.delete("/requests").raise_for_status()
    api.get(ENV_PATH, params=SITE)
    api.get("/deploys/unknown")
    logged = control.get("/requests").json()
    assert [(e["method"], e["path"], e["query"], e["status"]) for e in logged] == [
        ("GET", f"/api/v1{ENV_PATH}", SITE, 200),
        ("GET", "/api/v1/deploys/unknown", {}, 404),
    ]
    assert all(isinstance(entry["ts"], float) for entry in logged)
    control.delete("/requests").raise_for_status()
    assert control.get("/requests").json() == []


# -- the served site and its functions ----------------------------------------------------------


def test_the_homepage_sends_strict_security_headers(site: httpx.Client) -> None:
    response = site.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'none'" in csp
    assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains; preload"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "<script" not in response.text
    assert "style=" not in response.text


def test_a_deploy_permalink_serves_that_deploy(
    emulator: RunningEmulator, api: httpx.Client, site: httpx.Client
) -> None:
    seeded = api.get(f"/sites/{SITE_ID}").json()["published_deploy"]
    deploy = build(api)
    assert seeded["deploy_url"] == f"{emulator.site_url}/_deploys/{seeded['id']}"
    old = httpx.get(f"{seeded['deploy_url']}/")
    assert old.headers["X-Nf-Deploy-Id"] == seeded["id"]
    assert f'content="{seeded["id"]}"' in old.text
    assert site.get("/").headers["X-Nf-Deploy-Id"] == deploy["id"]
    assert site.get("/_deploys/ffffffffffffffffffffffff/").status_code == 404


def test_send_sms_needs_twilio_and_respects_the_supabase_flag(
    api: httpx.Client, control: httpx.Client, site: httpx.Client
) -> None:
    assert site.post("/.netlify/functions/send-sms", json={"phone": PHONE}).status_code == 500
    for key, value in TWILIO.items():
        create_var(api, key, {"all": value}, is_secret=key == "TWILIO_AUTH_TOKEN")
    create_var(api, "SMS_PEPPER", {"production": "pepper"}, is_secret=True)
    create_var(api, "USE_SUPABASE_PHONE_OTP", {"all": "false"})
    assert site.post("/.netlify/functions/send-sms", json={"phone": PHONE}).json() == {"error": "twilio not configured"}
    build(api)

    sent = site.post("/.netlify/functions/send-sms", json={"phone": PHONE})
    assert (sent.status_code, sent.json()) == (200, {"sent": True})
    [message] = control.get("/sms").json()
    assert message["phone"] == PHONE
    assert message["code"] == sms_code("pepper", PHONE)

    wrong = "000000" if message["code"] != "000000" else "111111"
    assert site.post("/.netlify/functions/verify-sms", json={"phone": PHONE, "code": wrong}).status_code == 401
    verified = site.post("/.netlify/functions/verify-sms", json={"phone": PHONE, "code": message["code"]})
    assert (verified.status_code, verified.json()) == (200, {"verified": True})
    again = site.post("/.netlify/functions/verify-sms", json={"phone": PHONE, "code": message["code"]})
    assert again.status_code == 401

    api.patch(f"{ENV_PATH}/USE_SUPABASE_PHONE_OTP", params=SITE, json={"context": "all", "value": "true"})
    assert site.post("/.netlify/functions/send-sms", json={"phone": PHONE}).status_code == 200
    build(api)
    disabled = site.post("/.netlify/functions/send-sms", json={"phone": PHONE})
    assert disabled.status_code == 409
    assert disabled.json() == {"error": "custom SMS disabled: Supabase phone OTP is on"}


def test_send_sms_rejects_bad_input(api: httpx.Client, site: httpx.Client) -> None:
    for key, value in TWILIO.items():
        create_var(api, key, {"all": value})
    build(api)
    assert site.post("/.netlify/functions/send-sms", content=b"{not json").status_code == 400
    assert site.post("/.netlify/functions/send-sms", json={"phone": "5551234"}).status_code == 400
    assert site.post("/.netlify/functions/send-sms", json=["+15551234567"]).status_code == 400
    assert site.post("/.netlify/functions/verify-sms", json={"phone": PHONE, "code": "12"}).status_code == 400
    assert site.get("/.netlify/functions/no-such-function").status_code == 404
    assert site.get("/.netlify/functions/send-sms").status_code == 405


def test_functions_see_only_variables_in_the_functions_scope(api: httpx.Client, site: httpx.Client) -> None:
    for key, value in TWILIO.items():
        create_var(api, key, {"all": value}, scopes=["builds", "functions"])
    create_var(api, "USE_SUPABASE_PHONE_OTP", {"all": "true"}, scopes=["builds"])
    build(api)
    assert site.post("/.netlify/functions/send-sms", json={"phone": PHONE}).status_code == 200


def _webhook(site: httpx.Client, event: dict[str, Any], header: str | None = None) -> httpx.Response:
    body = json.dumps(event).encode()
    signature = stripe_header(body, WEBHOOK_SECRET) if header is None else header
    return site.post(
        "/.netlify/functions/stripe-webhook",
        content=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


def test_stripe_webhook_verifies_signatures(api: httpx.Client, site: httpx.Client) -> None:
    event = {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {}}}
    assert _webhook(site, event).status_code == 400  # no secret configured yet
    create_var(api, "STRIPE_WEBHOOK_SECRET", {"production": WEBHOOK_SECRET}, is_secret=True)
    build(api)

    accepted = _webhook(site, event)
    assert (accepted.status_code, accepted.json()) == (200, {"received": True})
    event = {**event, "id": "evt_1b"}
    body = json.dumps(event).encode()
    stale = stripe_header(body, WEBHOOK_SECRET, int(time.time()) - 301)
    forged = stripe_header(body, "whsec_someone_else")
    valid = stripe_header(body, WEBHOOK_SECRET)
    several = f"{forged},v1={valid.split('v1=')[1]}"
    assert _webhook(site, event, several).status_code == 200
    for header in (stale, forged, "t=abc,v1=00", "garbage", ""):
        rejected = _webhook(site, event, header)
        assert rejected.status_code == 400, header
        assert "error" in rejected.json()
    tampered = site.post(
        "/.netlify/functions/stripe-webhook",
        content=body.replace(b"evt_1b", b"evt_2"),
        headers={"Stripe-Signature": valid},
    )
    assert tampered.status_code == 400


def test_stripe_webhook_accepts_either_secret_while_one_rotates_and_processes_an_event_once(
    api: httpx.Client, site: httpx.Client, control: httpx.Client
) -> None:
    new, old = "whsec_new_0123456789", WEBHOOK_SECRET
    create_var(api, "STRIPE_WEBHOOK_SECRET", {"production": f"{new},{old}"}, is_secret=True)
    build(api)
    event = {"id": "evt_rot", "type": "payment_intent.succeeded", "data": {"object": {}}}
    body = json.dumps(event).encode()
    by_old = _webhook(site, event, stripe_header(body, old))
    by_new = _webhook(site, event, stripe_header(body, new))
    by_neither = _webhook(site, event, stripe_header(body, "whsec_someone_else"))
    assert (by_old.status_code, by_old.json()) == (200, {"received": True})
    assert (by_new.status_code, by_new.json()) == (200, {"received": True, "duplicate": True})
    assert by_neither.status_code == 400
    ledger = control.get("/webhook-events")
    assert ledger.json()["evt_rot"]["accepted"] == 2
    assert ledger.json()["evt_rot"]["processed"] == 1


@pytest.mark.parametrize(("flag", "outcome"), [("false", "skipped"), ("true", "processed"), (None, "processed")])
def test_commission_events_follow_process_commissions(
    api: httpx.Client, site: httpx.Client, flag: str | None, outcome: str
) -> None:
    create_var(api, "STRIPE_WEBHOOK_SECRET", {"all": WEBHOOK_SECRET}, is_secret=True)
    if flag is not None:
        create_var(api, "PROCESS_COMMISSIONS", {"production": flag})
    build(api)
    commission_events = [
        {"id": "evt_c1", "type": "transfer.created", "data": {"object": {}}},
        {"id": "evt_c2", "type": "application_fee.created", "data": {"object": {}}},
        {"id": "evt_c3", "type": "checkout.session.completed", "data": {"object": {"metadata": {"commission": "1"}}}},
    ]
    for event in commission_events:
        assert _webhook(site, event).json() == {"received": True, "commission": outcome}
    plain_checkout = {"id": "evt_p", "type": "checkout.session.completed", "data": {"object": {"metadata": {}}}}
    assert _webhook(site, plain_checkout).json() == {"received": True}


# -- the command line ---------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_the_cli_prints_ready_and_takes_its_token_from_the_environment(tmp_path: Path) -> None:
    env = {**os.environ, "NETLIFY_EMULATOR_TOKEN": "cli-token"}
    argv = [
        sys.executable,
        "-m",
        "local_services.netlify",
        *("--api-port", "0", "--site-port", "0", "--data-dir", str(tmp_path / "cli")),
        *("--site-id", SITE_ID, "--account-id", ACCOUNT, "--build-seconds", "0.05"),
    ]
    process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        found = re.fullmatch(r"READY api=(http://127\.0\.0\.1:\d+) site=(http://127\.0\.0\.1:\d+)\n", ready)
        assert found, ready
        api_url = f"{found[1]}/api/v1"
        assert httpx.get(f"{api_url}/sites/{SITE_ID}", headers={"Authorization": "Bearer cli-token"}).status_code == 200
        assert httpx.get(f"{api_url}/sites/{SITE_ID}", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 401
        assert httpx.get(f"{found[2]}/").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0


# -- the build a deploy runs: the branch head, the bundle, secrets scanning, final states --------

ANON_KEY = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJl"
LIVE_KEY = "sk_live_51Hq8wXkQp3ZrT7vLm2NcYdJ"


def test_the_front_end_bundle_carries_the_publishable_supabase_values(
    api: httpx.Client, control: httpx.Client, site: httpx.Client
) -> None:
    create_var(api, "SUPABASE_URL", {"all": "https://abc.supabase.co"})
    create_var(api, "SUPABASE_ANON_KEY", {"all": ANON_KEY})
    deploy = build(api)
    assert deploy["state"] == "ready", deploy
    bundle = site.get("/assets/supabase-client.js")
    assert bundle.status_code == 200
    assert f'createClient("https://abc.supabase.co", "{ANON_KEY}")' in bundle.text
    assert control.get(f"/deploys/{deploy['id']}/files").json()["files"]["dist/assets/supabase-client.js"]


def test_a_secret_anon_key_in_the_bundle_fails_the_build_with_netlifys_message(api: httpx.Client) -> None:
    create_var(api, "SUPABASE_ANON_KEY", {"all": ANON_KEY}, is_secret=True)
    deploy = build(api)
    assert deploy["state"] == "error"
    message = deploy["error_message"]
    assert "Secrets scanning found secrets in build." in message
    assert 'Secret env var "SUPABASE_ANON_KEY"\'s value detected:' in message
    assert "found value at line 4 in dist/assets/supabase-client.js" in message
    assert "src/" not in message  # the source names the variable, not its value


def test_omit_keys_omit_paths_and_the_off_switch_let_it_pass(api: httpx.Client) -> None:
    create_var(api, "SUPABASE_ANON_KEY", {"all": ANON_KEY}, is_secret=True)
    create_var(api, "SECRETS_SCAN_OMIT_KEYS", {"all": "OTHER, SUPABASE_ANON_KEY"})
    assert build(api)["state"] == "ready"
    api.delete("/accounts/unit-account/env/SECRETS_SCAN_OMIT_KEYS", params={"site_id": SITE_ID})
    create_var(api, "SECRETS_SCAN_OMIT_PATHS", {"all": "dist/**"})
    assert build(api)["state"] == "ready"
    api.delete("/accounts/unit-account/env/SECRETS_SCAN_OMIT_PATHS", params={"site_id": SITE_ID})
    assert build(api)["state"] == "error"
    create_var(api, "SECRETS_SCAN_ENABLED", {"all": "false"})
    assert build(api)["state"] == "ready"


def test_a_pushed_commit_is_built_and_recorded_and_can_leak_a_secret(api: httpx.Client, control: httpx.Client) -> None:
    create_var(api, "STRIPE_SECRET_KEY", {"all": LIVE_KEY}, is_secret=True)
    first = build(api)
    assert first["state"] == "ready"
    pushed = control.post(
        f"/sites/{SITE_ID}/commits",
        json={"message": "inline the key", "files": {"src/pay.js": "const key = process.env.STRIPE_SECRET_KEY;\n"}},
    ).json()
    assert control.get(f"/sites/{SITE_ID}/repo").json()["head"] == pushed["sha"] != first["commit_ref"]
    second = build(api)
    assert second["commit_ref"] == pushed["sha"]
    assert second["state"] == "error"
    assert 'Secret env var "STRIPE_SECRET_KEY"\'s value detected' in second["error_message"]


def test_scan_rules_values_permutations_and_likely_secrets() -> None:
    env = {"A": "abcdefgh", "SHORT": "abcd", "FLAG": "false", "B": "b value/x"}
    files = {
        "one.txt": "x\nabcdefgh\n",
        "two.txt": base64.b64encode(b"abcdefgh").decode(),
        "three.txt": "b%20value%2Fx abcd false",
        ".git/config": "abcdefgh",
        "node_modules/x.js": "abcdefgh",
        ".gitignore": "node_modules/\n",
    }
    result = scan(env, ["A", "SHORT", "FLAG", "B"], files)
    assert {(m.key, m.file, m.line) for m in result.matches} == {
        ("A", "one.txt", 2),
        ("A", "two.txt", 1),
        ("B", "three.txt", 1),
    }
    assert result.scanned_files == 4
    # The enhanced scan: a random token with a likely-secret prefix, plain variable or none.
    token = "AKIAQ7ZK4M2XW9RTB5NPLH3JGVCE8DFY"
    likely = scan({}, [], {"app.js": f'const k = "{token}";\n'})
    assert [(m.key.lower(), m.line) for m in likely.likely] == [("akia", 1)]
    assert '"AKIA***" detected as a likely secret:' in likely.log()
    assert not scan({"SECRETS_SCAN_SMART_DETECTION_OMIT_VALUES": token}, [], {"a.js": f'"{token}"'}).failed
    assert not scan({"SECRETS_SCAN_SMART_DETECTION_ENABLED": "false"}, [], {"a.js": f'"{token}"'}).failed
    assert not scan({}, [], {"a.js": '"sk_aaaaaaaaaaaaaaaa"'}).failed  # not random enough


def test_rejected_and_cancelled_builds_are_final(api: httpx.Client, control: httpx.Client) -> None:
    control.put("/config", json={"reject_next_builds": 1, "cancel_next_builds": 1}).raise_for_status()
    assert build(api)["state"] == "rejected"
    cancelled = build(api)
    assert cancelled["state"] == "error"
    assert "Canceled build due to no content change" in cancelled["error_message"]
    assert build(api)["state"] == "ready"
