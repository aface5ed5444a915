"""Which site variables may be written to: answered from Netlify's own view of the site."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from components.netlify import site_binding
from components.netlify.api import NetlifyApiError, NetlifyClient
from components.netlify.site_binding import Binding, Unreachable, binding_problem, require_binding, switch_problem

SITE = "5f0c3e1a-2b4d-4c6e-8a10-0123456789ab"
OTHER = "0e0c3e1a-2b4d-4c6e-8a10-0123456789ab"
SITES: dict[str, dict[str, Any]] = {
    SITE: {
        "id": SITE,
        "name": "soundfactory",
        "url": "http://soundfactorynyc.com",
        "ssl_url": "https://soundfactorynyc.com",
        "custom_domain": "soundfactorynyc.com",
        "domain_aliases": ["www.soundfactorynyc.com"],
        "account_slug": "sound-factory",
        "account_id": "5e1f00000000000000000abc",
    },
    OTHER: {
        "id": OTHER,
        "name": "other-site",
        "url": "https://other-site.netlify.app",
        "account_slug": "sound-factory",
    },
}


def handler(request: httpx.Request) -> httpx.Response:
    if request.headers.get("authorization") != "Bearer good":
        return httpx.Response(401, json={"code": 401, "message": "Access Denied"})
    site_id = request.url.path.rsplit("/", 1)[-1]
    if site_id in SITES:
        return httpx.Response(200, json=SITES[site_id])
    return httpx.Response(404, json={"code": 404, "message": "Not Found"})


@pytest.fixture(autouse=True)
def fake_netlify(monkeypatch: pytest.MonkeyPatch) -> None:
    def client(api_url: str, policy: Any = None) -> NetlifyClient:
        token = site_binding_token[0]
        return NetlifyClient(api_url, token, policy=policy, transport=httpx.MockTransport(handler))

    site_binding_token[:] = ["good"]
    monkeypatch.setattr(site_binding, "netlify_client", client)
    monkeypatch.setattr(site_binding, "_verdicts", {})


site_binding_token = ["good"]


def binding(site_id: str = SITE, account: str = "sound-factory", url: str = "https://soundfactorynyc.com") -> Binding:
    return Binding("https://api.example/api/v1", account, site_id, url)


@pytest.mark.parametrize(
    "url", ["https://soundfactorynyc.com", "http://soundfactorynyc.com", "https://www.soundfactorynyc.com"]
)
def test_the_site_at_its_own_addresses_is_accepted(url: str) -> None:
    assert binding_problem(binding(url=url)) is None


def test_the_account_may_be_named_by_slug_or_id() -> None:
    assert binding_problem(binding(account="5e1f00000000000000000abc")) is None


def test_a_site_of_another_account_is_refused_naming_both() -> None:
    problem = binding_problem(binding(account="someone-else"))
    assert problem is not None
    assert problem.startswith("netlifySiteId: site " + SITE)
    assert "belongs to account sound-factory, not to netlifyAccountId someone-else" in problem


def test_another_sites_id_is_refused_by_its_address() -> None:
    problem = binding_problem(binding(site_id=OTHER))
    assert problem is not None
    assert problem.startswith("siteUrl: https://soundfactorynyc.com is not an address of site " + OTHER)


def test_a_missing_site_and_a_rejected_token_name_their_keys() -> None:
    assert (binding_problem(binding(site_id="1" * 8 + SITE[8:])) or "").startswith("netlifySiteId: no site")
    site_binding_token[:] = ["bad"]
    assert (binding_problem(binding(url="https://other")) or "").startswith("netlifyToken: the Netlify API")


def test_an_unreachable_api_may_pass_a_preview_but_not_a_write(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(_api_url: str, _policy: Any = None) -> NetlifyClient:
        raise httpx.ConnectError("connection refused")

    monkeypatch.setattr(site_binding, "netlify_client", down)
    with pytest.raises(Unreachable):
        binding_problem(binding())
    with pytest.raises(ValueError, match="could not verify that netlifySiteId"):
        require_binding(binding())


def test_switching_sites_needs_the_old_site_named() -> None:
    problem = switch_problem(SITE, binding(site_id=OTHER), move_from="")
    assert problem is not None
    assert f"this stack manages site {SITE} (soundfactory, https://soundfactorynyc.com)" in problem
    assert f"to site {OTHER} (other-site, https://other-site.netlify.app)" in problem
    assert f"pulumi config set netlifySiteMoveFrom {SITE}" in problem
    assert switch_problem(SITE, binding(site_id=OTHER), move_from=SITE) is None
    assert switch_problem("", binding(), move_from="") is None


def test_api_errors_name_the_config_key() -> None:
    client = NetlifyClient("https://api.example/api/v1", "bad", transport=httpx.MockTransport(handler))
    with pytest.raises(NetlifyApiError, match="check the netlifyToken config secret"):
        client.get_site(SITE)
