"""API calls per refresh and per up with N managed variables x 3 contexts (counts, not times)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from bench.common import bench_emulator
from local_services.emulator_control import EmulatorControl
from local_services.sample_stack import ACCOUNT_ID, SITE_ID, TOKEN
from local_services.stack_harness import REPO, StackHarness


def counted(emulator: EmulatorControl) -> str:
    calls = Counter(f"{r['method']}" for r in emulator.requests())
    total = sum(calls.values())
    return f"{total:4d} calls ({', '.join(f'{m} {n}' for m, n in sorted(calls.items()))})"


def run_api_call_counts(variables: int) -> None:
    with bench_emulator(build_seconds=0.2) as (emulator, root):
        stack = StackHarness(root / "pulumi", name="bench", program=REPO / "bench" / "many_vars_program")
        stack.set_config(
            {
                "count": str(variables),
                "netlifyAccountId": ACCOUNT_ID,
                "netlifySiteId": SITE_ID,
                "netlifyApiUrl": emulator.api_url,
                "siteUrl": emulator.site_url,
            },
            {"netlifyToken": TOKEN},
        )
        print(f"API calls with {variables} managed variables x 3 contexts:")

        def up() -> None:
            stack.stack.up(on_output=lambda _: None)

        def measure(label: str, step: Callable[[], object]) -> None:
            emulator.clear_requests()
            step()
            print(f"  {label:<24} {counted(emulator)}")

        measure("first up (creates all)", up)
        measure("refresh", lambda: stack.stack.refresh(on_output=lambda _: None))
        measure("up, nothing changed", up)
        stack.set_config({"generation": "2"})
        measure("up, one value changed", up)
