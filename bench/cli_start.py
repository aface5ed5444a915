"""`sfops` start-up: `sfops --help` to exit, and `sfops --stack local verify` to its first output,
each against bare Python start-up (`python -c pass`), alternating in one run.

The verify figure stops at the first byte on stdout or stderr ("verifying <site> (stack
local)"): what the operator waits for before anything happens, network checks excluded.
The local stack must exist (`make demo`), as for `bench floor`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

from bench.floor import require_local_stack
from local_services.stack_harness import REPO

SFOPS = [sys.executable, "-m", "scripts.sfops"]


def _env() -> dict[str, str]:
    # As the scripts/bin/sfops wrapper runs it: the repo on the import path.
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": f"{REPO}:{path}" if path else str(REPO)}


def to_exit(argv: Sequence[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=REPO, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def to_first_output(argv: Sequence[str]) -> float:
    """Seconds until `argv` writes its first byte (stdout and stderr merged), then stop it."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    first = process.stdout.read(1)
    elapsed = time.perf_counter() - started
    process.kill()
    process.wait()
    if not first:
        raise SystemExit(f"{' '.join(argv)} printed nothing (exit {process.returncode})")
    return elapsed


def _line(label: str, times: list[float], base: list[float]) -> str:
    m, b = statistics.median(times), statistics.median(base)
    return f"  {label:<34} median {m:5.3f}s  (python -c pass {b:5.3f}s; +{m - b:5.3f}s)"


def run_cli_start(rounds: int) -> None:
    require_local_stack()
    bare, help_times, verify_times = [], [], []
    to_exit([*SFOPS, "--help"])  # warm-up: bytecode and page caches
    for _ in range(rounds):
        bare.append(to_exit([sys.executable, "-c", "pass"]))
        help_times.append(to_exit([*SFOPS, "--help"]))
        verify_times.append(to_first_output([*SFOPS, "--stack", "local", "verify"]))
    print(f"sfops start-up ({rounds} rounds, alternating):")
    print(_line("sfops --help", help_times, bare) + "  target <= 0.3 s")
    print(_line("sfops --stack local verify, 1st out", verify_times, bare) + "  target <= 1 s")
