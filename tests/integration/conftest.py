"""Fixtures for the integration layer: a stack wired to the emulators of tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local_services.emulator_control import EmulatorControl
from local_services.sample_stack import PLAIN, SECRETS
from local_services.stack_harness import StackHarness
from local_services.stripe_control import StripeControl


@pytest.fixture
def stack(tmp_path: Path, emulator: EmulatorControl, stripe_api: StripeControl) -> Iterator[StackHarness]:
    harness = StackHarness(tmp_path / "pulumi")
    wiring = {"netlifyApiUrl": emulator.api_url, "siteUrl": emulator.site_url, "stripeApiUrl": stripe_api.api_url}
    harness.set_config({**PLAIN, **wiring}, SECRETS)
    yield harness
    harness.stack.workspace.remove_stack(harness.stack.name, force=True)
