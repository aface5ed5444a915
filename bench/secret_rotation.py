"""Stripe signing-secret rotation: `up` after an api_version change, against the flag-flip
`up` in the same run (same emulators, same build time, alternating), with the number of
builds each rotation started (at most two: new,old then new alone), and the Stripe API
calls of a refresh with the endpoint in place (one retrieve)."""

from __future__ import annotations

import statistics
from collections import Counter

from bench.common import bench_stack, timed_up

VERSIONS = ("2026-07-29.dahlia", "2026-08-26.dahlia")


def run_secret_rotation(rounds: int, build_seconds: float) -> None:
    with bench_stack(build_seconds, stripeWebhookApiVersion=VERSIONS[1]) as (stack, emulator, stripe):
        rotations: list[float] = []
        flips: list[float] = []
        builds: list[int] = []
        for round_ in range(rounds):
            deploys = len(emulator.deploys())
            rotations.append(timed_up(stack, {"stripeWebhookApiVersion": VERSIONS[round_ % 2]}))
            builds.append(len(emulator.deploys()) - deploys)
            assert len(stripe.endpoints()) == 1, "a rotation left more than one endpoint"
            flips.append(timed_up(stack, {"USE_SUPABASE_PHONE_OTP": "true" if round_ % 2 == 0 else "false"}))

        stripe.clear_requests()
        stack.stack.refresh(on_output=lambda _: None)
        calls = Counter(f"{r['method']} {r['path'].split('/')[2]}" for r in stripe.requests())

        r, f = statistics.median(rotations), statistics.median(flips)
        print(f"secret rotation (build {build_seconds:.1f}s, {rounds} rounds each, alternating):")
        print(f"  rotation up  median {r:6.2f}s  {[round(t, 2) for t in rotations]}  builds {builds} (target <= 2)")
        print(f"  flag flip up median {f:6.2f}s  {[round(t, 2) for t in flips]}")
        print(f"  ratio rotation/flip = {r / f:.2f}x")
        print(f"  Stripe calls per refresh: {sum(calls.values())} ({dict(calls)}) (target: one retrieve)")
