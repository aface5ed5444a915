"""What every emulator's process and handle share: the `--port` argument type, serving
until SIGTERM/SIGINT, and a running emulator as a context manager."""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType, TracebackType
from typing import Self


def port_arg(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a TCP port (0 picks a free one)")
    return port


class Stoppable:
    """A running emulator: `stop()` it, or use it in a `with` block."""

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def serve_until_signalled(emulator: Stoppable, ready_line: str) -> int:
    """Print the READY line the supervisor waits for, then serve until SIGTERM/SIGINT."""
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(ready_line, flush=True)
    try:
        stop.wait()
    finally:
        emulator.stop()
    return 0
