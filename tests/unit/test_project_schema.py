"""Pulumi.yaml's config schema, the flag registry and the config model agree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from components.feature_flags import FLAGS
from components.stack_config import KNOWN_KEYS, SECRET_KEYS
from local_services import catalog

REPO = Path(__file__).resolve().parents[2]


def schema() -> dict[str, Any]:
    project = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    assert project["name"] == "soundfactory"
    config: dict[str, Any] = project["config"]
    return config


def test_every_key_has_type_description_and_default() -> None:
    for key, entry in schema().items():
        assert entry.get("type") in {"string", "boolean", "integer"}, key
        assert entry.get("description"), key
        assert "default" in entry, key


def test_schema_declares_exactly_the_keys_the_program_reads() -> None:
    assert set(schema()) == set(KNOWN_KEYS)


def test_secret_keys_say_how_to_set_them() -> None:
    # Not `secret: true`: the engine would refuse the optional ones when unset; the program
    # refuses plain-text values instead (see test_stack_config).
    for key in SECRET_KEYS:
        assert "pulumi config set --secret" in schema()[key]["description"], key


def test_each_flag_defaults_to_the_registry_default() -> None:
    # Typed string so the program, not the engine, answers a bad value with the allowed ones.
    for flag in FLAGS:
        entry = schema()[flag.name]
        assert entry["type"] == "string"
        assert entry["default"] == ("true" if flag.default else "false")


def test_stack_files_only_use_declared_keys() -> None:
    for stack_file in ("Pulumi.local.yaml", "Pulumi.prod.yaml"):
        config = yaml.safe_load((REPO / stack_file).read_text())["config"]
        for key in config:
            namespace, _, name = key.partition(":")
            assert namespace == "soundfactory", (stack_file, key)
            assert name in KNOWN_KEYS, (stack_file, key)


def test_the_local_stack_points_at_the_local_services() -> None:
    config = yaml.safe_load((REPO / "Pulumi.local.yaml").read_text())["config"]
    assert config["soundfactory:netlifyApiUrl"] == f"http://127.0.0.1:{catalog.NETLIFY_API_PORT}/api/v1"
    assert config["soundfactory:siteUrl"] == f"http://127.0.0.1:{catalog.NETLIFY_SITE_PORT}"
    assert config["soundfactory:twilioApiUrl"] == f"http://127.0.0.1:{catalog.TWILIO_API_PORT}"
    assert config["soundfactory:twilioAccountSid"] == catalog.LOCAL_TWILIO_ACCOUNT_SID
    assert schema()["twilioApiUrl"]["default"] == "https://api.twilio.com"


def test_stripe_defaults_match_the_program() -> None:
    from components.stripe.config import DEFAULT_API_VERSION, DEFAULT_EVENTS

    assert schema()["stripeWebhookApiVersion"]["default"] == DEFAULT_API_VERSION
    assert schema()["stripeWebhookEvents"]["default"] == ",".join(DEFAULT_EVENTS)
