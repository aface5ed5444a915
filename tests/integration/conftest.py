"""Fixtures for the integration layer: a stack wired to emulators that live as long as the module.

Starting emulators and making the stack's first `up` cost more than most tests' own
steps, so each module starts one Netlify and one Stripe emulator, and each test gets
them reset (every test still sees a fresh vendor). A test marked `deployed` starts
from the sample stack after its first `up`: that `up` runs once per module, and its
result (both vendors' state, the stack's state and config) is put back before each
such test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local_services.emulator_control import EmulatorControl
from local_services.sample_stack import PLAIN, SECRETS
from local_services.stack_harness import StackHarness, StackSnapshot
from local_services.stripe_control import StripeControl
from tests.conftest import netlify_emulator, stripe_emulator


@dataclass(frozen=True)
class Emulators:
    netlify: EmulatorControl
    stripe: StripeControl

    def reset(self) -> None:
        self.netlify.reset()
        self.stripe.reset()


@dataclass(frozen=True)
class Deployment:
    """The sample stack after its first `up`, and everything needed to put it back."""

    harness: StackHarness
    netlify: dict[str, Any]
    stripe: dict[str, Any]
    stack: StackSnapshot


def wired_stack(root: Path, emulators: Emulators) -> StackHarness:
    harness = StackHarness(root, kms=True)
    wiring = {
        "netlifyApiUrl": emulators.netlify.api_url,
        "siteUrl": emulators.netlify.site_url,
        "stripeApiUrl": emulators.stripe.api_url,
    }
    harness.set_config({**PLAIN, **wiring}, SECRETS)
    return harness


@pytest.fixture(scope="module")
def module_emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulators]:
    root = tmp_path_factory.mktemp("emulators")
    with netlify_emulator(root / "netlify") as netlify, stripe_emulator(root / "stripe") as stripe:
        yield Emulators(netlify, stripe)


@pytest.fixture
def emulator(module_emulators: Emulators) -> EmulatorControl:
    module_emulators.netlify.reset()
    return module_emulators.netlify


@pytest.fixture
def stripe_api(module_emulators: Emulators) -> StripeControl:
    module_emulators.stripe.reset()
    return module_emulators.stripe


@pytest.fixture(scope="module")
def deployment(module_emulators: Emulators, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    module_emulators.reset()
    root = tmp_path_factory.mktemp("deployed")
    harness = wired_stack(root / "pulumi", module_emulators)
    harness.up()
    return Deployment(
        harness,
        module_emulators.netlify.snapshot(),
        module_emulators.stripe.snapshot(),
        harness.snapshot(root / "snapshot"),
    )


@pytest.fixture
def stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    module_emulators: Emulators,
    emulator: EmulatorControl,
    stripe_api: StripeControl,
) -> StackHarness:
    """The sample stack wired to this module's emulators: new, or (marked `deployed`) after its first `up`."""
    if request.node.get_closest_marker("deployed") is None:
        return wired_stack(tmp_path / "pulumi", module_emulators)
    deployed: Deployment = request.getfixturevalue("deployment")
    emulator.restore(deployed.netlify)
    stripe_api.restore(deployed.stripe)
    deployed.harness.restore(deployed.stack)
    return deployed.harness
