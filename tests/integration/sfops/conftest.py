"""Fixtures for sfops: a deployed emulator site and the stack config that points at it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner, Result

from components.stack_config import PROJECT, load_stack_config
from local_services.emulator_control import EmulatorControl
from local_services.netlify import start_emulator
from local_services.postgres import PostgresCluster, start_cluster
from local_services.sample_stack import ACCOUNT_ID, PLAIN, SECRETS, SITE_ID, TOKEN
from scripts.sfops.context import AppContext, RawStackConfig
from scripts.sfops.output import Output
from scripts.sfops.verify_checks import declared_variables

# What each site variable holds, in clear (site_variables wraps secrets in Outputs).
CLEAR_VALUES = {
    "SUPABASE_ANON_KEY": SECRETS["supabaseAnonKey"],
    "SUPABASE_SERVICE_ROLE_KEY": SECRETS["supabaseServiceRoleKey"],
    "STRIPE_SECRET_KEY": SECRETS["stripeSecretKey"],
    "SMS_PEPPER": SECRETS["smsPepper"],
    "TWILIO_AUTH_TOKEN": SECRETS["twilioAuthToken"],
}


def raw_config(emulator: EmulatorControl, **overrides: str) -> RawStackConfig:
    # Loopback only: a closed port stands in for Twilio unless a test starts its emulator.
    plain = {
        **PLAIN,
        "netlifyApiUrl": emulator.api_url,
        "siteUrl": emulator.site_url,
        "twilioApiUrl": "http://127.0.0.1:9",
    }
    values = {f"{PROJECT}:{k}": v for k, v in {**plain, **SECRETS}.items()}
    values.update({f"{PROJECT}:{k}": v for k, v in overrides.items()})
    return RawStackConfig(values, frozenset(f"{PROJECT}:{k}" for k in SECRETS))


@dataclass
class Site:
    """The emulator with the stack's variables set and a ready production deploy."""

    emulator: EmulatorControl
    config: RawStackConfig

    def overrides(self, **settings: Any) -> None:
        httpx.put(f"{self.emulator.base}/_emulator/site-overrides", json=settings, timeout=5).raise_for_status()

    def deploy(self) -> None:
        deploy_id = self.emulator.build_by_hand()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            states = {d["id"]: d["state"] for d in self.emulator.deploys()}
            if states.get(deploy_id) == "ready":
                return
            time.sleep(0.05)
        raise AssertionError(f"deploy {deploy_id} did not become ready")

    def run(self, command: click.Command, *args: str, config: RawStackConfig | None = None) -> Result:
        app = AppContext(stack="it", out=Output(json_mode=True), preloaded=config or self.config)
        return CliRunner().invoke(command, list(args), obj=app, catch_exceptions=False)

    def run_json(self, command: click.Command, *args: str) -> tuple[int, dict[str, Any]]:
        result = self.run(command, *args)
        return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    monkeypatch.setenv("NETLIFY_EMULATOR_TOKEN", TOKEN)
    running = start_emulator(tmp_path / "netlify", site_id=SITE_ID, account_id=ACCOUNT_ID, build_seconds=0.05)
    try:
        emulator = EmulatorControl(running.api_url, running.site_url, SITE_ID, ACCOUNT_ID, TOKEN)
        config = raw_config(emulator)
        stack = load_stack_config(config.values, config.secret_keys)
        body = [
            {
                "key": variable.key,
                "scopes": ["builds", "functions", "runtime"],
                "values": [{"context": "production", "value": CLEAR_VALUES.get(variable.key, variable.value)}],
                "is_secret": variable.netlify_secret,
            }
            for variable in declared_variables(stack)
        ]
        httpx.post(
            f"{running.api_url}/accounts/{ACCOUNT_ID}/env",
            params={"site_id": SITE_ID},
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        ).raise_for_status()
        deployed = Site(emulator, config)
        deployed.deploy()
        yield deployed
    finally:
        running.stop()


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL for the module's tests (trust on loopback)."""
    with start_cluster() as cluster:
        yield cluster
