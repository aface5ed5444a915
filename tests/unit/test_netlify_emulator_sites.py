"""What Netlify's own clients ask first (user, accounts, sites by name), several sites in
several accounts, and page/per_page pagination with Netlify's Link header."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from local_services.emulator_control import EmulatorControl
from local_services.netlify import RunningEmulator, start_emulator

SITE_ID = "0f0c3e1a-2b4d-4c6e-8a10-sites0000001"
ACCOUNT = "sites-account"
TOKEN = "sites-test-token"
LINK = re.compile(r'<(?P<url>[^>]+)>; rel="(?P<rel>\w+)"')


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[RunningEmulator]:
    with start_emulator(tmp_path / "netlify", SITE_ID, ACCOUNT, build_seconds=0.02, token=TOKEN) as running:
        yield running


@pytest.fixture
def control(emulator: RunningEmulator) -> EmulatorControl:
    return EmulatorControl.attach(emulator, TOKEN)


@pytest.fixture
def api(control: EmulatorControl) -> Iterator[httpx.Client]:
    with control.api_client() as client:
        yield client


def links(response: httpx.Response) -> dict[str, str]:
    return {found["rel"]: found["url"] for found in LINK.finditer(response.headers["Link"])}


def build(api: httpx.Client, site_id: str = SITE_ID) -> None:
    deploy_id = api.post(f"/sites/{site_id}/builds").raise_for_status().json()["deploy_id"]
    deadline = time.monotonic() + 10
    while api.get(f"/deploys/{deploy_id}").json()["state"] != "ready":
        assert time.monotonic() < deadline, "build did not finish"
        time.sleep(0.01)


def test_the_current_user_owns_the_sites(api: httpx.Client, control: EmulatorControl) -> None:
    control.add_site("second-site", ACCOUNT, "second")
    user = api.get("/user").json()
    assert user["site_count"] == 2
    assert user["email"]
    assert user["full_name"]


def test_accounts_are_found_by_slug_in_any_case_or_by_id(api: httpx.Client, control: EmulatorControl) -> None:
    control.add_site("elsewhere", "other-team", "elsewhere")
    accounts = {account["slug"]: account for account in control.accounts()}
    assert set(accounts) == {ACCOUNT, "other-team"}
    mine = accounts[ACCOUNT]
    assert re.fullmatch(r"[0-9a-f]{24}", mine["id"])
    assert mine["capabilities"]["sites"]["used"] == 1
    for spelling in (ACCOUNT, ACCOUNT.upper(), mine["id"]):
        assert api.get(f"/accounts/{spelling}").json() == mine
    missing = api.get("/accounts/nobody")
    assert (missing.status_code, missing.json()["code"]) == (404, 404)


def test_sites_render_their_urls_domain_and_account(emulator: RunningEmulator, control: EmulatorControl) -> None:
    served = control.site()
    assert (served["url"], served["ssl_url"]) == (emulator.site_url, emulator.site_url)
    assert "custom_domain" not in served
    other = control.add_site(
        "other-id", "other-team", "other-shop", url="https://other-shop.netlify.app", custom_domain="shop.example.com"
    )
    assert other["url"] == other["ssl_url"] == "https://other-shop.netlify.app"
    assert other["custom_domain"] == "shop.example.com"
    other_account = next(a for a in control.accounts() if a["slug"] == "other-team")
    assert (other["account_slug"], other["account_id"]) == ("other-team", other_account["id"])
    assert served["account_id"] != other["account_id"]
    assert other["published_deploy"]["state"] == "ready"
    assert control.add_site("third", ACCOUNT, "third")["url"] == "https://third.netlify.app"


@pytest.mark.parametrize(
    ("body", "status", "named"),
    [
        ({"id": SITE_ID, "account_slug": ACCOUNT, "name": "dup-id"}, 409, SITE_ID),
        ({"id": "new-id", "account_slug": ACCOUNT, "name": SITE_ID}, 409, SITE_ID),
        ({"id": "new-id", "account_slug": ACCOUNT, "name": "n", "url": "ftp://x"}, 422, "url"),
        ({"id": "new-id", "account_slug": ACCOUNT, "name": "n", "custom_domain": "not a host"}, 422, "custom_domain"),
        ({"id": "new-id", "account_slug": ACCOUNT, "name": "n", "owner": "me"}, 422, "owner"),
        ({"id": "new-id", "name": "n"}, 422, "account_slug"),
    ],
)
def test_adding_a_bad_site_is_refused(emulator: RunningEmulator, body: dict[str, Any], status: int, named: str) -> None:
    response = httpx.post(f"{emulator.control_url}/sites", json=body)
    assert response.status_code == status
    assert named in response.json()["message"]


def test_list_sites_searches_names_like_netlify(control: EmulatorControl, api: httpx.Client) -> None:
    control.add_site("a-id", "other-team", "sound-factory-staging")
    control.add_site("b-id", ACCOUNT, "unrelated")
    assert [site["id"] for site in control.sites("Sound-Factory")] == ["a-id"]
    assert len(control.sites()) == 3
    assert api.get("/sites", params={"filter": "guest"}).json() == []


def test_site_lists_paginate_with_absolute_link_headers(emulator: RunningEmulator, control: EmulatorControl) -> None:
    for index in range(4):
        control.add_site(f"paged-{index}", ACCOUNT, f"paged-{index}")
    with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as client:
        first = client.get(f"{emulator.api_url}/sites", params={"name": "paged", "filter": "all", "per_page": 3})
        assert [site["id"] for site in first.json()] == ["paged-0", "paged-1", "paged-2"]
        rels = links(first)
        assert set(rels) == {"next", "last"}
        assert rels["next"] == f"{emulator.api_url}/sites?name=paged&filter=all&page=2&per_page=3"
        assert rels["last"] == rels["next"]
        second = client.get(rels["next"])
        assert [site["id"] for site in second.json()] == ["paged-3"]
        assert set(links(second)) == {"prev", "last"}


def test_deploys_and_builds_paginate_newest_first(api: httpx.Client, emulator: RunningEmulator) -> None:
    for _ in range(4):
        build(api)
    everything = api.get(f"/sites/{SITE_ID}/deploys").json()
    assert len(everything) == 5
    page = api.get(f"/sites/{SITE_ID}/deploys", params={"production": "true", "per_page": 2, "page": 2})
    assert [d["id"] for d in page.json()] == [d["id"] for d in everything[2:4]]
    rels = links(page)
    deploys_url = f"{emulator.api_url}/sites/{SITE_ID}/deploys"
    assert rels == {
        "next": f"{deploys_url}?production=true&page=3&per_page=2",
        "prev": f"{deploys_url}?production=true&page=1&per_page=2",
        "last": f"{deploys_url}?production=true&page=3&per_page=2",
    }
    builds = api.get(f"/sites/{SITE_ID}/builds", params={"per_page": 4})
    assert len(builds.json()) == 4
    assert links(builds)["next"].endswith("/builds?page=2&per_page=4")
    beyond = api.get(f"/sites/{SITE_ID}/deploys", params={"page": 9})
    assert beyond.json() == []
    assert links(beyond)["last"].endswith("page=1&per_page=100")


def test_each_site_keeps_its_own_variables_and_deploys(api: httpx.Client, control: EmulatorControl) -> None:
    control.add_site("other-site", "other-team", "other")
    body = [{"key": "ONLY_THERE", "values": [{"context": "all", "value": "x"}]}]
    refused = api.post(f"/accounts/{ACCOUNT}/env", params={"site_id": "other-site"}, json=body)
    assert refused.status_code == 404
    assert "another account" in refused.json()["message"]
    api.post("/accounts/Other-Team/env", params={"site_id": "other-site"}, json=body).raise_for_status()
    build(api, "other-site")
    assert control.env() == {}
    assert len(control.deploys()) == 1
    assert [v["key"] for v in api.get("/sites/other-site/env").json()] == ["ONLY_THERE"]


def test_a_build_starts_from_a_form_without_a_zip_but_a_zip_upload_is_refused(api: httpx.Client) -> None:
    path = f"/sites/{SITE_ID}/builds"
    assert api.post(path, data={"title": "from a form"}, files={"note": ("n.txt", b"x")}).status_code == 200
    zipped = api.post(path, files={"zip": ("site.zip", b"PK\x03\x04")})
    assert zipped.status_code == 422
    assert "zip uploads are not emulated" in zipped.json()["message"]
    raw = api.post(path, content=b"PK\x03\x04", headers={"Content-Type": "application/zip"})
    assert raw.status_code == 422


def test_any_http_method_is_answered_in_netlifys_error_shape(api: httpx.Client) -> None:
    for method in ("TRACE", "PROPFIND"):
        response = api.request(method, "/user")
        assert response.status_code == 404
        assert response.json()["code"] == 404
