"""The engine floor: a no-op `pulumi preview` of the real program against a trivial program's.

Both previews run through the same `pulumi` CLI, language host and virtualenv, on a file
backend with the same passphrase provider, alternating in one run so machine noise hits
both. The trivial program (bench/trivial_program: one export, no resources) is what any
Pulumi Python program pays: engine start, language host, Python and the SDK's import.
Whatever the real program costs above it is ours.

The real program is the `local` stack as an operator previews it (`make demo` first: it
holds the local services' resources); `--expect-no-changes` makes a preview that would
change anything fail the benchmark instead of timing something else.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from local_services.stack_harness import REPO, StackHarness

TRIVIAL_PROGRAM = REPO / "bench" / "trivial_program"
LOCAL_STACK = "local"


@dataclass
class Timing:
    """Wall seconds and peak RSS (MiB, the largest process the command waited for) per run."""

    seconds: list[float] = field(default_factory=list)
    peak_mib: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def summary(self) -> str:
        runs = ", ".join(f"{s:.2f}" for s in self.seconds)
        return f"median {self.median:5.2f}s  peak RSS {max(self.peak_mib):5.0f} MiB  [{runs}]"


def timed_run(argv: Sequence[str], cwd: Path, env: dict[str, str], timing: Timing) -> None:
    """Run `argv` to completion; record its wall time and the peak RSS of its process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read() if process.stdout else b""
    # wait4 returns the child's own accounting; ru_maxrss covers the largest of its waited-for descendants.
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = "\n".join(output.decode(errors="replace").splitlines()[-15:])
        raise SystemExit(f"{' '.join(argv)} failed (exit {process.returncode}):\n{tail}")
    timing.seconds.append(elapsed)
    timing.peak_mib.append(usage.ru_maxrss / 1024)


def pulumi_on_path() -> str:
    found = shutil.which("pulumi")
    if found is None:
        raise SystemExit("pulumi is not on PATH: run `make bench` (or `source .envrc` first)")
    return found


@contextmanager
def trivial_stack() -> Iterator[StackHarness]:
    """The trivial program on a throwaway file backend, after its one `up` (so previews are no-ops)."""
    with tempfile.TemporaryDirectory(prefix="sf-floor-") as tmp:
        stack = StackHarness(Path(tmp), name="floor", program=TRIVIAL_PROGRAM)
        stack.stack.up(on_output=lambda _: None)
        yield stack


def preview_trivial(stack: StackHarness, timing: Timing) -> None:
    argv = [pulumi_on_path(), "preview", "--stack", stack.stack.name, "--non-interactive", "--expect-no-changes"]
    timed_run(argv, stack.project_dir, {**os.environ, **stack.env}, timing)


def preview_local(timing: Timing) -> None:
    argv = [pulumi_on_path(), "preview", "--stack", LOCAL_STACK, "--non-interactive", "--expect-no-changes"]
    timed_run(argv, REPO, dict(os.environ), timing)


def require_local_stack() -> None:
    listing = subprocess.run(
        [pulumi_on_path(), "stack", "ls", "--json"], cwd=REPO, capture_output=True, text=True, check=False
    )
    if f'"name": "{LOCAL_STACK}"' not in listing.stdout:
        raise SystemExit("bench floor previews the local stack: run `make demo` first (it creates and deploys it)")


def run_floor(rounds: int) -> None:
    require_local_stack()
    real, trivial = Timing(), Timing()
    with trivial_stack() as floor:
        preview_trivial(floor, Timing())  # warm-up: plugin and page caches, not counted
        preview_local(Timing())
        for _ in range(rounds):
            preview_local(real)
            preview_trivial(floor, trivial)
    ratios = [r / t for r, t in zip(real.seconds, trivial.seconds, strict=True)]
    print(f"engine floor: no-op preview, {rounds} rounds alternating")
    print(f"  real program (stack {LOCAL_STACK})  {real.summary()}")
    print(f"  trivial program          {trivial.summary()}")
    print(f"  ratio real/trivial = {statistics.median(ratios):.2f}x (median of pairs; target <= 2x)")
