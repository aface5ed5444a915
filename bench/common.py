"""Shared set-up for benchmarks: emulators and a stack on throwaway directories."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from local_services.emulator_control import EmulatorControl
from local_services.netlify import start_emulator
from local_services.sample_stack import ACCOUNT_ID, PLAIN, SECRETS, SITE_ID, TOKEN
from local_services.stack_harness import StackHarness
from local_services.stripe import start_emulator as start_stripe
from local_services.stripe_control import StripeControl


@contextmanager
def bench_emulator(build_seconds: float) -> Iterator[tuple[EmulatorControl, Path]]:
    with tempfile.TemporaryDirectory(prefix="sf-bench-") as tmp:
        root = Path(tmp)
        with start_emulator(
            root / "netlify", site_id=SITE_ID, account_id=ACCOUNT_ID, build_seconds=build_seconds, token=TOKEN
        ) as running:
            yield EmulatorControl(running.api_url, running.site_url, SITE_ID, ACCOUNT_ID, TOKEN), root


@contextmanager
def bench_stripe(root: Path) -> Iterator[StripeControl]:
    """A Stripe emulator that accepts the sample stack's key."""
    with start_stripe(root / "stripe", keys=[SECRETS["stripeSecretKey"]]) as running:
        yield StripeControl.attach(running, SECRETS["stripeSecretKey"])


@contextmanager
def bench_stack(build_seconds: float, **plain: str) -> Iterator[tuple[StackHarness, EmulatorControl, StripeControl]]:
    """The sample stack (with `plain` on top) wired to fresh emulators, after its first `up`."""
    with bench_emulator(build_seconds) as (emulator, root), bench_stripe(root) as stripe:
        stack = StackHarness(root / "pulumi", name="bench")
        wiring = {"netlifyApiUrl": emulator.api_url, "siteUrl": emulator.site_url, "stripeApiUrl": stripe.api_url}
        stack.set_config({**PLAIN, **wiring, **plain}, SECRETS)
        stack.stack.up(on_output=lambda _: None)
        yield stack, emulator, stripe


def timed_up(stack: StackHarness, changes: dict[str, str]) -> float:
    """Seconds for `pulumi config set` of `changes` plus `pulumi up`, as an operator runs them."""
    started = time.perf_counter()
    stack.set_config(changes)
    stack.stack.up(on_output=lambda _: None)
    return time.perf_counter() - started
