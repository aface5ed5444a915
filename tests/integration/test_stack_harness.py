"""The test harness writes config as the CLI would, and starts the CLI only to encrypt a new secret."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local_services.stack_harness import StackHarness

pytestmark = pytest.mark.integration


def _shown(harness: StackHarness) -> dict[str, Any]:
    """`pulumi config --show-secrets --json`, as the CLI reads the settings file."""
    shown: dict[str, Any] = json.loads(harness.cli("config", "--show-secrets", "--json").stdout)
    return shown


def test_config_reads_back_through_the_cli_and_a_known_secret_needs_no_cli_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = StackHarness(tmp_path, kms=True)
    harness.set_config({"siteUrl": "http://127.0.0.1:9/", "USE_SUPABASE_PHONE_OTP": "false"}, {"smsPepper": "p-1"})
    first = _shown(harness)
    assert first["soundfactory:siteUrl"] == {"value": "http://127.0.0.1:9/", "secret": False}
    assert first["soundfactory:USE_SUPABASE_PHONE_OTP"] == {"value": "false", "secret": False}
    assert first["soundfactory:smsPepper"] == {"value": "p-1", "secret": True}
    assert "p-1" not in harness.settings_file.read_text()

    cli_runs: list[list[str]] = []
    encrypt = harness.stack.set_all_config

    def recorded(values: dict[str, Any]) -> None:
        cli_runs.append(list(values))
        encrypt(values)

    monkeypatch.setattr(harness.stack, "set_all_config", recorded)

    harness.clear_config()
    harness.set_config({"USE_SUPABASE_PHONE_OTP": "true"}, {"smsPepper": "p-1"})
    assert cli_runs == [], "the secret set before was written without the CLI"
    again = _shown(harness)
    assert again["soundfactory:smsPepper"] == {"value": "p-1", "secret": True}
    assert again["soundfactory:USE_SUPABASE_PHONE_OTP"] == {"value": "true", "secret": False}
    assert again["soundfactory:siteUrl"]["value"] != "http://127.0.0.1:9/", "cleared (Pulumi.yaml's default shows)"

    harness.set_config({}, {"smsPepper": "p-2", "netlifyToken": "t-1"})
    assert cli_runs == [["soundfactory:smsPepper", "soundfactory:netlifyToken"]]
    rotated = _shown(harness)
    assert rotated["soundfactory:smsPepper"] == {"value": "p-2", "secret": True}
    assert rotated["soundfactory:netlifyToken"] == {"value": "t-1", "secret": True}
    assert rotated["soundfactory:USE_SUPABASE_PHONE_OTP"] == {"value": "true", "secret": False}
