"""Fixtures for every test layer that drives the stack: fresh Netlify and Stripe emulators."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings

from local_services.emulator_control import EmulatorControl
from local_services.netlify import start_emulator
from local_services.sample_stack import ACCOUNT_ID, SECRETS, SITE_ID, TOKEN
from local_services.stripe import start_emulator as start_stripe
from local_services.stripe_control import StripeControl

# Property tests draw the same examples on every run (CI and a developer see one result);
# `HYPOTHESIS_PROFILE=explore pytest ...` searches afresh.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@contextmanager
def netlify_emulator(data_dir: Path) -> Iterator[EmulatorControl]:
    """The sample stack's site and account, with short builds."""
    with start_emulator(data_dir, SITE_ID, ACCOUNT_ID, build_seconds=0.2, token=TOKEN) as running:
        yield EmulatorControl(running.api_url, running.site_url, SITE_ID, ACCOUNT_ID, TOKEN)


@contextmanager
def stripe_emulator(data_dir: Path) -> Iterator[StripeControl]:
    """A Stripe emulator of its own that accepts the sample stack's test key."""
    with start_stripe(data_dir, keys=[SECRETS["stripeSecretKey"]]) as running:
        yield StripeControl.attach(running, SECRETS["stripeSecretKey"])


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorControl]:
    with netlify_emulator(tmp_path / "netlify") as control:
        yield control


@pytest.fixture
def stripe_api(tmp_path: Path) -> Iterator[StripeControl]:
    with stripe_emulator(tmp_path / "stripe") as control:
        yield control
