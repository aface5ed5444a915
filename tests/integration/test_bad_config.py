"""Bad configuration fails at preview with a specific message and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi import automation as auto

from local_services.emulator_control import EmulatorControl
from local_services.netlify import start_emulator
from local_services.sample_stack import ACCOUNT_ID, PLAIN, SECRETS, SITE_ID, TOKEN
from local_services.stack_harness import StackHarness
from local_services.stripe import start_emulator as start_stripe
from local_services.stripe_control import StripeControl
from tests.unit.test_stack_config import BAD_CONFIGS

pytestmark = pytest.mark.integration

UNKNOWN_DEPLOY = "0123456789abcdef01234567"
ENGINE_CASES = [
    ("unknown pinned deploy", {"pinnedDeploy": UNKNOWN_DEPLOY}, f"pinnedDeploy: no deploy {UNKNOWN_DEPLOY} exists"),
    ("secret in plain text", {"stripeSecretKey": "sk_test_plaintext"}, "stripeSecretKey: stored in plain text"),
    ("unknown Stripe event", {"stripeWebhookEvents": "charge.refundd"}, "did you mean charge.refunded?"),
    ("no Stripe events", {"stripeWebhookEvents": ""}, "stripeWebhookEvents: empty"),
    ("malformed api_version", {"stripeWebhookApiVersion": "2026-8-26"}, "is not a Stripe API version"),
    ("live key outside prod", {"stripeSecretKey": "sk_live_abc"}, "only prod may use live keys"),
]


@pytest.fixture(scope="module")
def stripe_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StripeControl]:
    running = start_stripe(tmp_path_factory.mktemp("bad-config-stripe"), keys=[SECRETS["stripeSecretKey"]])
    try:
        yield StripeControl.attach(running, SECRETS["stripeSecretKey"])
    finally:
        running.stop()


@pytest.fixture(scope="module")
def preview_stack(
    tmp_path_factory: pytest.TempPathFactory, stripe_module: StripeControl
) -> Iterator[tuple[StackHarness, EmulatorControl]]:
    root: Path = tmp_path_factory.mktemp("bad-config")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETLIFY_EMULATOR_TOKEN", TOKEN)
        running = start_emulator(root / "netlify", site_id=SITE_ID, account_id=ACCOUNT_ID, build_seconds=0.2)
    emulator = EmulatorControl(running.api_url, running.site_url, SITE_ID, ACCOUNT_ID, TOKEN)
    harness = StackHarness(root / "pulumi", kms=True)
    try:
        yield harness, emulator
    finally:
        running.stop()


def wiring(emulator: EmulatorControl, stripe: StripeControl) -> dict[str, str]:
    return {"netlifyApiUrl": emulator.api_url, "siteUrl": emulator.site_url, "stripeApiUrl": stripe.api_url}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [(c, e) for _, c, e in [*BAD_CONFIGS, *ENGINE_CASES]],
    ids=[n for n, _, _ in [*BAD_CONFIGS, *ENGINE_CASES]],
)
def test_bad_config_fails_preview_without_mutating(
    preview_stack: tuple[StackHarness, EmulatorControl],
    stripe_module: StripeControl,
    changes: dict[str, str | None],
    expected: str,
) -> None:
    harness, emulator = preview_stack
    config = {**PLAIN, **wiring(emulator, stripe_module)}
    secrets = dict(SECRETS)
    for key, value in changes.items():
        config.pop(key, None)
        secrets.pop(key, None)
        if value is not None:
            config[key] = value
    harness.clear_config()  # a clean slate for each case
    harness.set_config(config, secrets)
    emulator.clear_requests()
    stripe_module.clear_requests()

    with pytest.raises(auto.CommandError) as failed:
        harness.stack.preview(on_output=lambda _: None)

    message = str(failed.value)
    assert expected in message, message
    assert "an unhandled error occurred" not in message
    assert "reach the site only after the pin is released" not in message
    assert emulator.mutating_requests() == []
    assert stripe_module.mutating_requests() == []


def valid_config(harness: StackHarness, emulator: EmulatorControl) -> None:
    harness.clear_config()
    # Previews only: a closed loopback port stands in for Stripe (the cap check gives up at once).
    harness.set_config(
        {**PLAIN, "netlifyApiUrl": emulator.api_url, "siteUrl": emulator.site_url},
        SECRETS,
    )
    emulator.clear_requests()


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("soundfatory:USE_SUPABASE_PHONE_OTP", "did you mean soundfactory:USE_SUPABASE_PHONE_OTP?"),
        ("netlify:PROCESS_COMMISSIONS", "did you mean soundfactory:PROCESS_COMMISSIONS?"),
    ],
)
def test_a_key_in_a_namespace_nothing_reads_fails_preview(
    preview_stack: tuple[StackHarness, EmulatorControl], key: str, expected: str
) -> None:
    harness, emulator = preview_stack
    valid_config(harness, emulator)
    harness.stack.set_config(key, auto.ConfigValue("false"))

    with pytest.raises(auto.CommandError) as failed:
        harness.stack.preview(on_output=lambda _: None)

    assert f"{key}: no part of this program reads the namespace" in str(failed.value)
    assert expected in str(failed.value)
    assert emulator.mutating_requests() == []


def test_a_rejected_token_fails_preview_naming_the_key(preview_stack: tuple[StackHarness, EmulatorControl]) -> None:
    harness, emulator = preview_stack
    valid_config(harness, emulator)
    harness.set_config({}, {"netlifyToken": "not-the-token"})

    with pytest.raises(auto.CommandError) as failed:
        harness.stack.preview(on_output=lambda _: None)

    assert "netlifyToken: the Netlify API" in str(failed.value)
    assert emulator.mutating_requests() == []
