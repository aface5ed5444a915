"""Property-based run over every operation the emulator serves, driven by Netlify's spec.

schemathesis generates requests from the spec (valid ones and, in its negative mode,
ones that break it) and sends them to a real emulator on loopback with the bearer
token. Each response must not be a 5xx and must match the spec's schema for its status.
Generated ids (site, account, deploy, build, variable key) are sometimes swapped for ones
that exist, and variable names for valid ones, so requests also reach the handlers behind
the 404s and 422s; the last test checks that every operation succeeded at least once. A
fixed seed and bounded examples keep the run repeatable and short.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from local_services.common.http_server import Response
from local_services.common.routing import Route, Router
from local_services.emulator_control import EmulatorControl
from local_services.netlify import RunningEmulator, start_emulator
from local_services.netlify.spec import load_netlify_spec
from local_services.netlify.urls import API_PREFIX, ENDPOINTS

# Under xdist schemathesis runs every operation as one test, and the guard below needs them
# all in this process before it: `make test` runs this module outside the workers.
pytestmark = [pytest.mark.contract, pytest.mark.serial]

SITE_ID = "0f0c3e1a-2b4d-4c6e-8a10-fuzz00000001"
ACCOUNT = "fuzz-account"
TOKEN = "fuzz-token"
SEED = 20_241_124
EXAMPLES_PER_OPERATION = 40
KNOWN_KEY = "FUZZ_VARIABLE"
# Ids a request may carry instead of a generated one, so it gets past the lookup; the
# fixture adds the seeded deploy and build.
KNOWN_IDS = {"site_id": SITE_ID, "account_id": ACCOUNT, "key": KNOWN_KEY}
ENV = "/accounts/{account_id}/env"
# Bodies the emulator accepts, sent now and then in place of a generated one: the spec
# cannot say everything Netlify checks (a key's shape, a branch value's branch name), so
# generated bodies alone would hardly ever get past those checks.
ACCEPTED_BODIES: dict[tuple[str, str], Any] = {
    ("POST", ENV): [{"key": "FUZZ_CREATED", "values": [{"context": "all", "value": "v"}]}],
    ("PUT", f"{ENV}/{{key}}"): {"values": [{"context": "production", "value": "p"}]},
    ("PATCH", f"{ENV}/{{key}}"): {"context": "branch", "context_parameter": "main", "value": "b"},
    # No zip: the emulator builds without uploaded files.
    ("POST", "/sites/{site_id}/builds"): None,
}


def served_spec() -> dict[str, Any]:
    """Netlify's spec reduced to the operations the emulator serves, each at the path it is
    served at (the spec documents getSiteEnvVars with the base path repeated)."""
    spec = load_netlify_spec()
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        documented = spec["paths"][endpoint.documented_path]
        served = paths.setdefault(endpoint.template, {})
        served[endpoint.method.lower()] = copy.deepcopy(documented[endpoint.method.lower()])
        if "parameters" in documented:
            served["parameters"] = copy.deepcopy(documented["parameters"])
    return {**{key: value for key, value in spec.items() if key != "paths"}, "paths": paths}


SCHEMA = schemathesis.openapi.from_dict(served_spec())


def _sometimes_known(values: dict[str, Any] | None, defined: set[str]) -> st.SearchStrategy[dict[str, Any] | None]:
    known = {name: value for name, value in KNOWN_IDS.items() if name in defined}
    if not known:
        return st.just(values)
    return st.sampled_from([{**(values or {}), **known}, values])


def _defined(context: schemathesis.HookContext, location: str) -> set[str]:
    operation = context.operation
    return {parameter.name for parameter in getattr(operation, location, [])} if operation else set()


def _operation(context: schemathesis.HookContext) -> tuple[str, str]:
    operation = context.operation
    return (str(operation.method).upper(), operation.path) if operation else ("", "")


@SCHEMA.hook
def flatmap_path_parameters(context: schemathesis.HookContext, path_parameters: dict[str, Any]) -> Any:
    return _sometimes_known(path_parameters, _defined(context, "path_parameters"))


@SCHEMA.hook
def flatmap_query(context: schemathesis.HookContext, query: dict[str, Any]) -> Any:
    return _sometimes_known(query, _defined(context, "query"))


@SCHEMA.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> Any:
    method, path = _operation(context)
    if (method, path) not in ACCEPTED_BODIES:
        return st.just(body)
    return st.sampled_from([ACCEPTED_BODIES[method, path], body])


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    data_dir: Path = tmp_path_factory.mktemp("netlify-fuzz")
    with start_emulator(data_dir, SITE_ID, ACCOUNT, build_seconds=0, token=TOKEN) as running:
        control = EmulatorControl.attach(running, TOKEN)
        control.add_by_hand(KNOWN_KEY, "fuzz")
        [seeded] = control.deploys()
        KNOWN_IDS.update(deploy_id=seeded["id"], build_id=seeded["build_id"])
        yield running


@SCHEMA.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
@hypothesis.seed(SEED)
def test_no_server_errors_and_every_response_matches_the_spec(
    case: schemathesis.Case[Any], emulator: RunningEmulator
) -> None:
    response = case.call(base_url=emulator.api_url, headers={"Authorization": f"Bearer {TOKEN}"})
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


def test_every_operation_succeeded_at_least_once(emulator: RunningEmulator) -> None:
    """Guards the run above: requests that all ended in 4xx would test the validation only."""
    router = Router(Route(e.method, e.template, lambda _r, _p: Response(200), e.operation_id) for e in ENDPOINTS)
    succeeded = set()
    for entry in httpx.get(f"{emulator.control_url}/requests").json():
        found = router.match(entry["method"], entry["path"].removeprefix(API_PREFIX))
        if found is not None and entry["status"] is not None and entry["status"] < 300:
            succeeded.add(found[0].operation_id)
    assert {e.operation_id for e in ENDPOINTS} - succeeded == set()
