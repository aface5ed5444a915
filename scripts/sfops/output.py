"""Where sfops writes: results to stdout, everything else to stderr.

A script that pipes `sfops verify --json` gets exactly one JSON document on stdout and can
still show the operator the progress on stderr. Verbosity (-q/-v) only changes stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

QUIET, NORMAL, VERBOSE = -1, 0, 1


def _width(stream: TextIO) -> int | None:
    try:
        return None if stream.isatty() else 140
    except ValueError:  # a closed stream
        return 140


class Output:
    def __init__(
        self,
        *,
        json_mode: bool = False,
        verbosity: int = NORMAL,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.json_mode = json_mode
        self.verbosity = verbosity
        # highlight=False: rich would colour numbers and paths in results, which reads as emphasis.
        # file=None makes rich look up sys.stdout/sys.stderr at each write (test runners swap them).
        # Piped output (cron mail, CI logs) gets wide tables instead of rich's 80 columns.
        self.out = Console(file=stdout, highlight=False, soft_wrap=True, width=_width(stdout or sys.stdout))
        self.err = Console(
            file=stderr, stderr=True, highlight=False, soft_wrap=True, width=_width(stderr or sys.stderr)
        )

    # -- messages (stderr) ----------------------------------------------------------

    def info(self, message: str) -> None:
        if self.verbosity >= NORMAL:
            self.err.print(message, markup=False)

    def debug(self, message: str) -> None:
        if self.verbosity >= VERBOSE:
            self.err.print(message, style="dim", markup=False)

    def warn(self, message: str) -> None:
        if self.verbosity >= NORMAL:
            self.err.print(f"warning: {message}", style="yellow", markup=False)

    def error(self, message: str) -> None:
        # Errors are shown even with -q: a failing cron job must say why.
        self.err.print(f"error: {message}", style="bold red", markup=False)

    # -- results (stdout) -------------------------------------------------------------

    def result(self, data: Any, render: Callable[[Console], None]) -> None:
        """One result: `data` as JSON with --json, else whatever `render` prints."""
        if self.json_mode:
            self.out.file.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
            self.out.file.flush()
        else:
            render(self.out)


def status_style(status: str) -> str:
    return {
        "pass": "green",
        "ok": "green",
        "up": "green",
        "expected": "cyan",
        "skip": "dim",
        "warn": "yellow",
        "degraded": "yellow",
        "fail": "bold red",
        "down": "bold red",
        "firing": "bold red",
        "error": "bold magenta",
    }.get(status, "")


def checks_table(title: str, rows: list[tuple[str, str, str]]) -> Table:
    """(name, status, detail) rows, the shape every checking command prints."""
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("check")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for name, status, detail in rows:
        # Text, not markup: details quote headers and URLs that may contain brackets.
        table.add_row(Text(name), Text(status, style=status_style(status)), Text(detail))
    return table
