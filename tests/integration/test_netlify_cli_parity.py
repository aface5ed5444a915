"""Netlify's own CLI (netlify-cli, pinned in package.json) against the emulator agrees with the
stack: env:list, env:get, env:set, `api getSite`, `api listSiteDeploys` (issue 19, point 7).

The CLI resolves the site through @netlify/config, which first asks Netlify's extension API
(api.netlifysdk.com, fixed in its code) and falls back to offline resolution, with no
variables at all, when that fails; local_services/netlify/cli/extension_api.mjs sends that
one request to the emulator's stand-in, so the test needs no network."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest

from local_services.emulator_control import EmulatorControl
from local_services.sample_stack import PLAIN, SECRETS, SITE_ID, TOKEN
from local_services.stack_harness import REPO, StackHarness

pytestmark = pytest.mark.integration

NETLIFY = REPO / "node_modules" / ".bin" / "netlify"
PRELOAD = REPO / "local_services" / "netlify" / "cli" / "extension_api.mjs"


def netlify(emulator: EmulatorControl, *args: str) -> str:
    env = {
        **os.environ,
        "NETLIFY_API_URL": emulator.api_url,
        "NETLIFY_AUTH_TOKEN": TOKEN,
        "NETLIFY_SITE_ID": SITE_ID,
        "NETLIFY_EMULATOR_EXTENSION_API": f"{emulator.base}/_emulator/extensions",
        "NODE_OPTIONS": f"--import {PRELOAD}",
        "NETLIFY_TELEMETRY_DISABLED": "1",
        "CI": "1",
    }
    result = subprocess.run(
        [str(NETLIFY), *args], env=env, cwd=emulator_dir(), capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def emulator_dir() -> str:
    """A directory with no netlify.toml, so the CLI reads the site only from the API."""
    path = REPO / ".tools" / "netlify-cli-cwd"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def as_json(text: str) -> Any:
    return json.loads(text[text.index(next(c for c in text if c in "[{")) :])


@pytest.mark.deployed
@pytest.mark.skipif(not NETLIFY.exists(), reason="netlify-cli is not installed: run make setup")
def test_netlify_cli_agrees_with_the_stack(stack: StackHarness, emulator: EmulatorControl) -> None:
    outputs = stack.outputs()

    listed = as_json(netlify(emulator, "env:list", "--context", "production", "--json"))
    managed = {key for key, var in emulator.env().items()}
    plain = {key for key, var in emulator.env().items() if not var["is_secret"]}
    assert plain <= set(listed) <= managed
    assert listed["SUPABASE_URL"] == PLAIN["supabaseUrl"]
    assert listed["SUPABASE_ANON_KEY"] == SECRETS["supabaseAnonKey"]  # publishable: readable
    assert SECRETS["stripeSecretKey"] not in json.dumps(listed)  # a Netlify secret is never shown
    assert (
        netlify(emulator, "env:get", "TWILIO_FROM_NUMBER", "--context", "production").strip()
        == PLAIN["twilioFromNumber"]
    )

    netlify(emulator, "env:set", "CLI_MADE_KEY", "from-the-cli", "--context", "production")
    made = emulator.env()["CLI_MADE_KEY"]
    assert {(v["context"], v["value"]) for v in made["values"]} == {("production", "from-the-cli")}
    stack.stack.up(refresh=True, on_output=lambda _: None)
    assert stack.outputs()["unmanagedEnvKeys"] == ["CLI_MADE_KEY"]  # the stack sees what the CLI made

    site = as_json(netlify(emulator, "api", "getSite", "--data", json.dumps({"site_id": SITE_ID})))
    assert site["id"] == outputs["siteId"]
    assert site["published_deploy"]["id"] == outputs["publishedDeployId"]
    deploys = as_json(netlify(emulator, "api", "listSiteDeploys", "--data", json.dumps({"site_id": SITE_ID})))
    assert outputs["lastBuildDeployId"] in {deploy["id"] for deploy in deploys}
