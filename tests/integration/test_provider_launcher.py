"""The dynamic-provider launcher stops on the engine's SIGINT at once.

The engine stops a plugin with SIGINT to its process group and SIGKILL 5 s later. The SDK's
provider sleeps in its main thread, where alone Python runs signal handlers, while a gRPC
thread took the signal: every preview and up with a dynamic provider could wait the 5 s out.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from local_services.stack_harness import REPO, tools_dir

pytestmark = pytest.mark.integration


def test_the_provider_exits_on_sigint_to_its_process_group() -> None:
    launcher = tools_dir() / "bin" / "pulumi-resource-pulumi-python"
    env = {**os.environ, "PULUMI_RUNTIME_VIRTUALENV": str(REPO / ".venv")}
    for _ in range(3):
        # As the engine starts it: a process group of its own, the engine's address as argument.
        process = subprocess.Popen(
            [str(launcher), "127.0.0.1:1"], env=env, stdout=subprocess.PIPE, start_new_session=True
        )
        try:
            assert process.stdout is not None
            port = process.stdout.readline().strip()
            assert port.isdigit(), f"the provider printed {port!r} instead of its port"
            os.killpg(process.pid, signal.SIGINT)
            # A deadline for liveness (the engine's own grace period), not a timing measure.
            deadline = time.monotonic() + 5
            while process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert process.returncode == 0, "the provider ignored SIGINT (the engine would SIGKILL it after 5 s)"
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
