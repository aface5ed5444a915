"""Shared set-up for benchmarks: an emulator and a stack on throwaway directories."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from local_services.emulator_control import EmulatorControl
from local_services.netlify import start_emulator
from local_services.sample_stack import ACCOUNT_ID, SECRETS, SITE_ID, TOKEN
from local_services.stripe import start_emulator as start_stripe
from local_services.stripe_control import StripeControl


@contextmanager
def bench_emulator(build_seconds: float) -> Iterator[tuple[EmulatorControl, Path]]:
    with tempfile.TemporaryDirectory(prefix="sf-bench-") as tmp:
        root = Path(tmp)
        previous = os.environ.get("NETLIFY_EMULATOR_TOKEN")
        os.environ["NETLIFY_EMULATOR_TOKEN"] = TOKEN
        running = start_emulator(root / "netlify", site_id=SITE_ID, account_id=ACCOUNT_ID, build_seconds=build_seconds)
        try:
            yield EmulatorControl(running.api_url, running.site_url, SITE_ID, ACCOUNT_ID, TOKEN), root
        finally:
            running.stop()
            if previous is None:
                os.environ.pop("NETLIFY_EMULATOR_TOKEN", None)
            else:
                os.environ["NETLIFY_EMULATOR_TOKEN"] = previous


@contextmanager
def bench_stripe(root: Path) -> Iterator[StripeControl]:
    """A Stripe emulator that accepts the sample stack's key."""
    running = start_stripe(root / "stripe", keys=[SECRETS["stripeSecretKey"]])
    try:
        yield StripeControl.attach(running, SECRETS["stripeSecretKey"])
    finally:
        running.stop()
