"""Fixtures for the integration layer: a fresh Netlify emulator and a stack wired to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local_services.emulator_control import EmulatorControl
from local_services.netlify import start_emulator
from local_services.sample_stack import ACCOUNT_ID, PLAIN, SECRETS, SITE_ID, TOKEN
from local_services.stack_harness import StackHarness
from local_services.stripe import start_emulator as start_stripe
from local_services.stripe_control import StripeControl


@pytest.fixture
def emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorControl]:
    monkeypatch.setenv("NETLIFY_EMULATOR_TOKEN", TOKEN)
    running = start_emulator(tmp_path / "netlify", site_id=SITE_ID, account_id=ACCOUNT_ID, build_seconds=0.2)
    try:
        yield EmulatorControl(running.api_url, running.site_url, SITE_ID, ACCOUNT_ID, TOKEN)
    finally:
        running.stop()


@pytest.fixture
def stripe_api(tmp_path: Path) -> Iterator[StripeControl]:
    """A Stripe emulator of its own that accepts the sample stack's test key."""
    running = start_stripe(tmp_path / "stripe", keys=[SECRETS["stripeSecretKey"]])
    try:
        yield StripeControl.attach(running, SECRETS["stripeSecretKey"])
    finally:
        running.stop()


@pytest.fixture
def stack(tmp_path: Path, emulator: EmulatorControl, stripe_api: StripeControl) -> Iterator[StackHarness]:
    harness = StackHarness(tmp_path / "pulumi")
    wiring = {"netlifyApiUrl": emulator.api_url, "siteUrl": emulator.site_url, "stripeApiUrl": stripe_api.api_url}
    harness.set_config({**PLAIN, **wiring}, SECRETS)
    yield harness
    harness.stack.workspace.remove_stack(harness.stack.name, force=True)
