"""`sfops drill` end to end: a harness stack named `local` on a free-port emulator, the real
engine for every `pulumi up`, and the sfops commands as separate runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from local_services.emulator_control import EmulatorControl
from local_services.sample_stack import PLAIN, SECRETS
from local_services.stack_harness import REPO, StackHarness
from local_services.stripe_control import StripeControl

pytestmark = pytest.mark.integration

STEPS = ["stage", "detect", "snapshot", "flip-flag", "rollback-pin", "verify", "unpin", "resolve", "restore-flag"]
BUNDLE_FILES = {"stack-history.json", "published-deploy.json", "recent-deploys.json", "env-metadata.json"}


@pytest.fixture
def deployed(
    tmp_path: Path, emulator: EmulatorControl, stripe_api: StripeControl
) -> tuple[StackHarness, EmulatorControl]:
    harness = StackHarness(tmp_path / "pulumi", name="local", kms=True)
    # Loopback only: a closed port stands in for Twilio's API (the SMS probe reads "unknown").
    plain = {
        **PLAIN,
        "netlifyApiUrl": emulator.api_url,
        "siteUrl": emulator.site_url,
        "stripeApiUrl": stripe_api.api_url,
    }
    harness.set_config({**plain, "twilioApiUrl": "http://127.0.0.1:9"}, SECRETS)
    harness.stack.up(on_output=lambda _: None)
    return harness, emulator


def run_drill(harness: StackHarness, out_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **harness.env, "SFOPS_PROJECT_DIR": str(harness.project_dir)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.sfops",
            "--stack",
            "local",
            *extra,
            "drill",
            f"--out-dir={out_dir}",
            "--interval=100",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_drill_replays_the_incident_flow_and_prints_its_timeline(
    deployed: tuple[StackHarness, EmulatorControl], tmp_path: Path
) -> None:
    harness, emulator = deployed
    published_before = emulator.site()["published_deploy"]["id"]
    # As in the repo's own Pulumi.local.yaml: comments, and no PROCESS_COMMISSIONS key (its default applies).
    config_file = harness.project_dir / "Pulumi.local.yaml"
    config_file.write_text("# the operator's comment, kept by the drill\n" + config_file.read_text())
    config_before = config_file.read_bytes()
    assert b"PROCESS_COMMISSIONS" not in config_before
    result = run_drill(harness, tmp_path / "incidents")
    assert result.returncode == 0, result.stdout + result.stderr
    # The timeline as the operator sees it: every step, in order, with its duration.
    assert "drill timeline, stack local" in result.stdout, result.stdout
    positions = [result.stdout.find(f"\u2502 {name} ") for name in STEPS]
    assert -1 not in positions, result.stdout
    assert positions == sorted(positions), result.stdout

    (bundle,) = (tmp_path / "incidents").iterdir()
    report = json.loads((bundle / "timeline.json").read_text())
    assert [step["name"] for step in report["steps"]] == STEPS
    assert report["error"] is None
    assert published_before in report["steps"][0]["detail"]
    assert "answers 500" in report["steps"][0]["detail"]
    assert f"incident bundle: {bundle}" in " ".join(result.stdout.split())

    assert BUNDLE_FILES | {"monitor-state.json", "timeline.json"} <= {p.name for p in bundle.iterdir()}
    env_metadata = json.loads((bundle / "env-metadata.json").read_text())
    assert {"key", "is_secret", "contexts"} <= set(env_metadata[0])
    assert "value" not in json.dumps(env_metadata)
    bundle_text = "".join(p.read_text() for p in bundle.iterdir())
    for secret in SECRETS.values():
        assert secret not in bundle_text
    history = json.loads((bundle / "stack-history.json").read_text())
    assert history[0]["kind"] == "update"

    # The stack is as the drill found it: flag back, no pin, site healthy, no staged fault.
    config = json.loads(harness.cli("config", "--json").stdout)
    assert config.get("soundfactory:pinnedDeploy", {}).get("value", "") == ""  # the schema's default: no pin
    assert config.get("soundfactory:PROCESS_COMMISSIONS", {}).get("value", "true") == "true"
    assert emulator.published_env()["env"]["PROCESS_COMMISSIONS"] == "true"
    assert emulator.site_post("/.netlify/functions/stripe-webhook", json={}).status_code == 400

    # Exactly as found: the config file byte for byte (a checkout stays clean), and no drift.
    assert config_file.read_bytes() == config_before
    env = {**os.environ, **harness.env, "SFOPS_PROJECT_DIR": str(harness.project_dir)}
    drift = subprocess.run(
        [sys.executable, "-m", "scripts.sfops", "--stack", "local", "drift"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert drift.returncode == 0, drift.stdout + drift.stderr
