"""The Netlify emulator against Netlify's own OpenAPI 2.0 spec (npm `@netlify/open-api`).

Every endpoint in the emulator's routing table must be an operation of the spec (same
path, method and operationId), and every real response the emulator gives for it,
success or error, must match the spec's schema for that status. The definitions are
tightened (no undocumented properties) so a misspelt field fails here, not in a client.
Swagger 2.0 schemas are draft-4 JSON Schema; formats are not checked (the spec's
`dateTime` is no JSON Schema format).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jsonschema
import pytest

from local_services.common.spec_validation import tighten
from local_services.netlify import RunningEmulator, start_emulator
from local_services.netlify.spec import load_netlify_spec
from local_services.netlify.urls import ENDPOINTS, Endpoint

pytestmark = pytest.mark.contract

SITE_ID = "0f0c3e1a-2b4d-4c6e-8a10-contract0001"
ACCOUNT = "contract-account"
TOKEN = "contract-token"
SITE = {"site_id": SITE_ID}
ENDPOINT_BY_OPERATION = {endpoint.operation_id: endpoint for endpoint in ENDPOINTS}
# Fields the stack's clients read; the spec marks none of them required.
RELIED_ON = {
    "envVar": {"key", "scopes", "values", "is_secret", "updated_at", "updated_by"},
    "site": {"id", "name", "url", "ssl_url", "admin_url", "account_slug", "state", "created_at", "updated_at"},
    "deploy": {"id", "site_id", "build_id", "state", "context", "branch", "locked", "created_at", "updated_at"},
    "build": {"id", "deploy_id", "sha", "done", "created_at"},
}


class Contract:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.definitions = tighten(spec["definitions"])

    def operation(self, endpoint: Endpoint) -> tuple[dict[str, Any], dict[str, Any]]:
        path_item = self.spec["paths"].get(endpoint.documented_path)
        assert path_item is not None, f"{endpoint.documented_path} is not a path of the spec"
        operation = path_item.get(endpoint.method.lower())
        assert operation is not None, f"the spec has no {endpoint.method} {endpoint.documented_path}"
        return operation, path_item

    def _deref(self, node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        if not isinstance(ref, str):
            return node
        section, name = ref.removeprefix("#/").split("/")
        target: dict[str, Any] = self.spec[section][name]
        return target

    def validate(self, schema: dict[str, Any], instance: Any, what: str) -> None:
        root = {"definitions": self.definitions, "allOf": [tighten(schema)]}
        errors = sorted(jsonschema.Draft4Validator(root).iter_errors(instance), key=lambda e: list(e.path))
        assert not errors, f"{what}: " + "; ".join(
            f"{'/'.join(map(str, error.path)) or '<root>'}: {error.message}" for error in errors[:5]
        )

    def response_schema(self, endpoint: Endpoint, status: int) -> dict[str, Any] | None:
        operation, _ = self.operation(endpoint)
        responses = operation["responses"]
        documented = responses.get(str(status))
        if documented is None:
            assert status >= 400, f"{endpoint.operation_id} answered {status}, which the spec does not document"
        if status >= 400 and (documented is None or "schema" not in documented):
            # Some operations list error statuses without a schema; the default's applies.
            documented = responses.get("default")
            assert documented is not None, f"{endpoint.operation_id} documents no {status} and no default"
        schema = self._deref(documented).get("schema")
        return schema if isinstance(schema, dict) else None

    def check_query(self, endpoint: Endpoint, query: dict[str, str]) -> None:
        operation, path_item = self.operation(endpoint)
        parameters = [self._deref(p) for p in [*path_item.get("parameters", []), *operation.get("parameters", [])]]
        documented = {p["name"]: p for p in parameters if p.get("in") == "query"}
        for name, value in query.items():
            assert name in documented, f"{endpoint.operation_id} documents no query parameter {name}"
            parameter = documented[name]
            if "enum" in parameter:
                assert value in parameter["enum"], f"{name}={value} is not in the spec's enum"
            if parameter.get("type") == "boolean":
                assert value in ("true", "false")
            if parameter.get("type") == "integer":
                int(value)

    def check_body(self, endpoint: Endpoint, body: Any) -> None:
        operation, _ = self.operation(endpoint)
        [parameter] = [p for p in operation.get("parameters", []) if p.get("in") == "body"]
        self.validate(parameter["schema"], body, f"request body of {endpoint.operation_id}")

    def check_response(self, endpoint: Endpoint, response: httpx.Response) -> None:
        schema = self.response_schema(endpoint, response.status_code)
        if schema is None:
            assert response.content == b"", f"{endpoint.operation_id} {response.status_code} has no body in the spec"
            return
        payload = response.json()
        self.validate(schema, payload, f"{endpoint.operation_id} {response.status_code}")
        if response.status_code >= 400:
            assert payload["code"] == response.status_code
        else:
            self._check_relied_on(schema, payload, endpoint.operation_id)

    def definition_name(self, schema: dict[str, Any]) -> str | None:
        """The definition a schema is (the published spec inlines every $ref)."""
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return ref.rsplit("/", 1)[-1]
        return next((name for name, body in self.spec["definitions"].items() if body == schema), None)

    def _check_relied_on(self, schema: dict[str, Any], payload: Any, what: str) -> None:
        fields = RELIED_ON.get(self.definition_name(schema.get("items") or schema) or "", set())
        for item in payload if isinstance(payload, list) else [payload]:
            assert fields <= set(item), f"{what}: missing {sorted(fields - set(item))}"


class Harness:
    def __init__(self, emulator: RunningEmulator, contract: Contract) -> None:
        self.emulator = emulator
        self.contract = contract
        self.api = httpx.Client(base_url=emulator.api_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        self.control = httpx.Client(base_url=emulator.control_url, timeout=10)
        self.checked: list[tuple[str, int]] = []

    def call(
        self,
        operation_id: str,
        expect: int,
        *,
        query: dict[str, str] | None = None,
        body: Any = None,
        body_follows_spec: bool = True,
        client: httpx.Client | None = None,
        **path: str,
    ) -> httpx.Response:
        endpoint = ENDPOINT_BY_OPERATION[operation_id]
        query = query or {}
        self.contract.check_query(endpoint, query)
        if body is not None and body_follows_spec:
            self.contract.check_body(endpoint, body)
        response = (client or self.api).request(
            endpoint.method, endpoint.template.format(**path), params=query, json=body
        )
        assert response.status_code == expect, f"{operation_id}: {response.status_code} {response.text}"
        self.contract.check_response(endpoint, response)
        self.checked.append((operation_id, response.status_code))
        return response

    # Shortcuts for scenarios ------------------------------------------------------------

    def create_var(self, key: str, value: str = "v", *, is_secret: bool = False) -> None:
        body = [
            {
                "key": key,
                "scopes": ["builds", "functions"],
                "is_secret": is_secret,
                "values": [{"context": "all", "value": value}, {"context": "dev", "value": f"{value}-dev"}],
            }
        ]
        self.call("createEnvVars", 201, query=SITE, body=body, account_id=ACCOUNT)

    def finished_build(self, *, fail: bool = False) -> dict[str, Any]:
        if fail:
            self.control.put("/config", json={"fail_next_builds": 1}).raise_for_status()
        build = self.call("createSiteBuild", 200, site_id=SITE_ID).json()
        for _ in range(500):
            deploy: dict[str, Any] = self.call("getDeploy", 200, deploy_id=build["deploy_id"]).json()
            if deploy["state"] in ("ready", "error"):
                return deploy
        raise AssertionError("build did not finish")


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract(load_netlify_spec())


@pytest.fixture(scope="module")
def harness(contract: Contract, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    data_dir = tmp_path_factory.mktemp("netlify-contract")
    with start_emulator(data_dir, SITE_ID, ACCOUNT, build_seconds=0.02, token=TOKEN) as emulator:
        running = Harness(emulator, contract)
        yield running
        running.api.close()
        running.control.close()


# -- one scenario per implemented operation --------------------------------------------------


def _current_user(h: Harness) -> None:
    user = h.call("getCurrentUser", 200).json()
    assert user["site_count"] >= 1


def _list_accounts(h: Harness) -> None:
    slugs = [account["slug"] for account in h.call("listAccountsForUser", 200).json()]
    assert ACCOUNT in slugs


def _get_account(h: Harness) -> None:
    account = h.call("getAccount", 200, account_id=ACCOUNT).json()
    assert h.call("getAccount", 200, account_id=account["id"]).json()["slug"] == ACCOUNT
    h.call("getAccount", 404, account_id="no-such-account")


def _list_sites(h: Harness) -> None:
    other = {
        "id": "contract-other-site",
        "account_slug": "other-team",
        "name": "contract-other",
        "custom_domain": "www.example.org",
    }
    if h.control.get(f"/sites/{other['id']}").status_code == 404:
        h.control.post("/sites", json=other).raise_for_status()
    listed = h.call("listSites", 200, query={"filter": "all", "page": "1", "per_page": "1"})
    assert 'rel="next"' in listed.headers["Link"]
    [found] = h.call("listSites", 200, query={"name": "contract-other", "filter": "all"}).json()
    assert (found["account_slug"], found["custom_domain"]) == ("other-team", "www.example.org")


def _env_vars(h: Harness) -> None:
    h.create_var("LIST_ME")
    h.call("getEnvVars", 200, query=SITE, account_id=ACCOUNT)
    h.call("getEnvVars", 200, query={**SITE, "context_name": "production", "scope": "functions"}, account_id=ACCOUNT)


def _create_env_vars(h: Harness) -> None:
    body = [
        {
            "key": "PLAIN",
            "scopes": ["functions"],
            "is_secret": False,
            "values": [{"context": "production", "value": "p"}],
        },
        {
            "key": "SECRET",
            "is_secret": True,
            "values": [
                {"context": "production", "value": "s"},
                {"context": "branch", "context_parameter": "x", "value": "b"},
            ],
        },
    ]
    h.call("createEnvVars", 201, query=SITE, body=body, account_id=ACCOUNT)
    h.call("createEnvVars", 409, query=SITE, body=body[:1], account_id=ACCOUNT)
    bad_context = [{"key": "BAD", "values": [{"context": "staging", "value": "v"}]}]
    h.call("createEnvVars", 422, query=SITE, body=bad_context, body_follows_spec=False, account_id=ACCOUNT)
    h.call("createEnvVars", 400, query=SITE, body={"key": "NOT_AN_ARRAY"}, body_follows_spec=False, account_id=ACCOUNT)


def _site_env_vars(h: Harness) -> None:
    h.create_var("SITE_LEVEL")
    h.call("getSiteEnvVars", 200, site_id=SITE_ID)
    h.call("getSiteEnvVars", 404, site_id="no-such-site")


def _get_env_var(h: Harness) -> None:
    h.create_var("GET_ME", is_secret=True)
    h.call("getEnvVar", 200, query=SITE, account_id=ACCOUNT, key="GET_ME")
    h.call("getEnvVar", 404, query=SITE, account_id=ACCOUNT, key="NOT_THERE")


def _update_env_var(h: Harness) -> None:
    h.create_var("PUT_ME")
    body = {
        "key": "PUT_ME",
        "scopes": ["runtime"],
        "is_secret": False,
        "values": [{"context": "production", "value": "n"}],
    }
    h.call("updateEnvVar", 200, query=SITE, body=body, account_id=ACCOUNT, key="PUT_ME")
    h.call("updateEnvVar", 404, query=SITE, body=body, account_id=ACCOUNT, key="NOT_THERE")


def _set_env_var_value(h: Harness) -> None:
    h.create_var("PATCH_ME")
    body = {"context": "branch", "context_parameter": "feature", "value": "f"}
    h.call("setEnvVarValue", 201, query=SITE, body=body, account_id=ACCOUNT, key="PATCH_ME")


def _delete_env_var(h: Harness) -> None:
    h.create_var("DELETE_ME")
    h.call("deleteEnvVar", 204, query=SITE, account_id=ACCOUNT, key="DELETE_ME")
    h.call("deleteEnvVar", 404, query=SITE, account_id=ACCOUNT, key="DELETE_ME")


def _get_site(h: Harness) -> None:
    h.call("getSite", 200, site_id=SITE_ID)
    h.call("getSite", 404, site_id="no-such-site")
    with httpx.Client(base_url=h.emulator.api_url) as anonymous:
        h.call("getSite", 401, client=anonymous, site_id=SITE_ID)


def _create_site_build(h: Harness) -> None:
    assert h.finished_build()["state"] == "ready"
    assert h.finished_build(fail=True)["state"] == "error"


def _list_site_builds(h: Harness) -> None:
    h.finished_build()
    h.call("listSiteBuilds", 200, query={"page": "1", "per_page": "5"}, site_id=SITE_ID)


def _get_site_build(h: Harness) -> None:
    deploy = h.finished_build(fail=True)
    h.call("getSiteBuild", 200, build_id=deploy["build_id"])
    h.call("getSiteBuild", 404, build_id="ffffffffffffffffffffffff")


def _list_site_deploys(h: Harness) -> None:
    h.finished_build()
    h.call("listSiteDeploys", 200, site_id=SITE_ID)
    h.call("listSiteDeploys", 200, query={"state": "ready", "production": "true", "per_page": "2"}, site_id=SITE_ID)


def _get_site_deploy(h: Harness) -> None:
    deploy = h.finished_build()
    h.call("getSiteDeploy", 200, site_id=SITE_ID, deploy_id=deploy["id"])
    h.call("getSiteDeploy", 404, site_id=SITE_ID, deploy_id="ffffffffffffffffffffffff")


def _restore_site_deploy(h: Harness) -> None:
    old = h.finished_build()
    failed = h.finished_build(fail=True)
    h.finished_build()
    h.call("restoreSiteDeploy", 201, site_id=SITE_ID, deploy_id=old["id"])
    h.call("restoreSiteDeploy", 422, site_id=SITE_ID, deploy_id=failed["id"])


def _get_deploy(h: Harness) -> None:
    h.finished_build()
    h.call("getDeploy", 404, deploy_id="ffffffffffffffffffffffff")


def _lock_and_unlock(h: Harness) -> None:
    deploy = h.finished_build()
    assert h.call("lockDeploy", 200, deploy_id=deploy["id"]).json()["locked"] is True
    assert h.call("unlockDeploy", 200, deploy_id=deploy["id"]).json()["locked"] is False
    h.call("lockDeploy", 404, deploy_id="ffffffffffffffffffffffff")


SCENARIOS: dict[str, Callable[[Harness], None]] = {
    "getCurrentUser": _current_user,
    "listAccountsForUser": _list_accounts,
    "getAccount": _get_account,
    "listSites": _list_sites,
    "getEnvVars": _env_vars,
    "createEnvVars": _create_env_vars,
    "getSiteEnvVars": _site_env_vars,
    "getEnvVar": _get_env_var,
    "updateEnvVar": _update_env_var,
    "setEnvVarValue": _set_env_var_value,
    "deleteEnvVar": _delete_env_var,
    "getSite": _get_site,
    "createSiteBuild": _create_site_build,
    "listSiteBuilds": _list_site_builds,
    "getSiteBuild": _get_site_build,
    "listSiteDeploys": _list_site_deploys,
    "getSiteDeploy": _get_site_deploy,
    "restoreSiteDeploy": _restore_site_deploy,
    "getDeploy": _get_deploy,
    "lockDeploy": _lock_and_unlock,
    "unlockDeploy": _lock_and_unlock,
}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.operation_id)
def test_every_endpoint_is_a_spec_operation(contract: Contract, endpoint: Endpoint) -> None:
    operation, _ = contract.operation(endpoint)
    assert operation["operationId"] == endpoint.operation_id


def test_the_site_env_path_is_documented_with_the_base_path_repeated(contract: Contract) -> None:
    # Netlify serves getSiteEnvVars at /api/v1/sites/{site_id}/env; the spec (basePath
    # /api/v1) lists it as /api/v1/sites/{site_id}/env, i.e. /api/v1/api/v1/...
    endpoint = ENDPOINT_BY_OPERATION["getSiteEnvVars"]
    assert endpoint.template == "/sites/{site_id}/env"
    assert endpoint.documented_path in contract.spec["paths"]
    assert endpoint.template not in contract.spec["paths"]
    assert contract.spec["basePath"] == "/api/v1"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: f"{endpoint.method} {endpoint.operation_id}")
def test_responses_match_the_spec(harness: Harness, endpoint: Endpoint) -> None:
    scenario = SCENARIOS.get(endpoint.operation_id)
    assert scenario is not None, f"no contract scenario for {endpoint.operation_id}"
    start = len(harness.checked)
    scenario(harness)
    statuses = {status for operation, status in harness.checked[start:] if operation == endpoint.operation_id}
    assert any(200 <= status < 300 for status in statuses), f"no successful {endpoint.operation_id} was checked"


@pytest.mark.parametrize("kind", ["429", "500", "502", "503"])
def test_injected_faults_answer_in_the_error_shape(harness: Harness, kind: str) -> None:
    harness.control.put("/faults", json={"rate": 1.0, "kinds": [kind], "max_faults": 1}).raise_for_status()
    try:
        harness.call("getSite", int(kind), site_id=SITE_ID)
    finally:
        harness.control.delete("/faults").raise_for_status()


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "status", "named"),
    [
        ("GET", f"/sites/{SITE_ID}", {"include": "all"}, None, 422, "include"),
        ("GET", f"/sites/{SITE_ID}/deploys", {"per_page": "ten"}, None, 400, "per_page"),
        ("GET", f"/sites/{SITE_ID}/deploys", {"state": "done"}, None, 422, "state"),
        ("GET", "/sites", {"filter": "mine"}, None, 422, "filter"),
        ("POST", f"/accounts/{ACCOUNT}/env", SITE, [{"key": "K", "secret": True, "values": []}], 422, "[0].secret"),
        ("PUT", f"/accounts/{ACCOUNT}/env/K", SITE, {"key": "K", "values": [], "tags": []}, 422, "tags"),
        ("PATCH", f"/accounts/{ACCOUNT}/env/K", SITE, {"context": "all", "value": 1}, 400, "value"),
        ("POST", f"/deploys/{'f' * 24}/lock", {}, {"reason": "x"}, 422, "no request body"),
    ],
)
def test_requests_the_spec_does_not_define_are_refused_in_the_error_shape(
    harness: Harness,
    contract: Contract,
    method: str,
    path: str,
    query: dict[str, str],
    body: Any,
    status: int,
    named: str,
) -> None:
    response = harness.api.request(method, path, params=query, json=body)
    assert response.status_code == status, response.text
    contract.validate({"$ref": "#/definitions/error"}, response.json(), "refusal")
    assert response.json()["code"] == status
    assert named in response.json()["message"]


def test_unknown_paths_answer_in_the_error_shape(harness: Harness, contract: Contract) -> None:
    for response in (harness.api.get("/forms"), harness.api.delete(f"/sites/{SITE_ID}/builds")):
        assert response.status_code == 404
        contract.validate({"$ref": "#/definitions/error"}, response.json(), "unknown path")
        assert response.json()["code"] == 404


def test_the_error_definition_is_the_documented_default(contract: Contract) -> None:
    for endpoint in ENDPOINTS:
        operation, _ = contract.operation(endpoint)
        default = operation["responses"]["default"]
        assert contract.definition_name(contract._deref(default)["schema"]) == "error"


def test_tightened_definitions_still_reject_undocumented_fields(contract: Contract) -> None:
    # Guards the guard: without it a misspelt field would pass every check above.
    deploy = {"id": "d", "state": "ready", "publishd_at": "2024-01-01T00:00:00.000Z"}
    with pytest.raises(AssertionError, match="publishd_at"):
        contract.validate({"$ref": "#/definitions/deploy"}, deploy, "deploy")
    with pytest.raises(AssertionError):
        contract.validate({"$ref": "#/definitions/envVar"}, {"key": "K", "values": [{"context": "nope"}]}, "envVar")
    assert "additionalProperties" not in contract.spec["definitions"]["deploy"]
