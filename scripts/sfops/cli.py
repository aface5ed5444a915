"""The `sfops` command group: global options, then one module per subcommand.

Global options come before the subcommand (`sfops --stack prod --json verify`), as in
git or hatch, so every subcommand sees the same stack, output mode and verbosity.
"""

from __future__ import annotations

import os
from typing import Any

import click

from scripts.sfops import drift, drill, monitor, patches, preflight, verify
from scripts.sfops.backup import command as backup
from scripts.sfops.context import DEFAULT_STACK, STACK_ENV, AppContext, Exit, SfopsError
from scripts.sfops.output import NORMAL, QUIET, VERBOSE, Output
from scripts.sfops.restore import command as restore

EPILOG = """Exit codes: 0 all checks passed; 1 a check failed (drift, a failed verify or
preflight check, an open alert; a failed backup; a refused or differing restore); 2 could
not check (bad usage, unreadable config, unreachable API; a backup that could not start)."""


class SfopsGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SfopsError as exc:
            app = ctx.obj if isinstance(ctx.obj, AppContext) else None
            (app.out if app else Output()).error(str(exc))
            ctx.exit(int(exc.code))


@click.group(cls=SfopsGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--stack",
    default=lambda: os.environ.get(STACK_ENV, DEFAULT_STACK),
    show_default=f"${STACK_ENV} or {DEFAULT_STACK}",
    help="Pulumi stack whose config names the site, APIs and secrets (local targets the local services).",
)
@click.option("--json", "json_mode", is_flag=True, help="Print results as one JSON document on stdout.")
@click.option("-v", "--verbose", is_flag=True, help="More detail on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.pass_context
def cli(ctx: click.Context, stack: str, json_mode: bool, verbose: bool, quiet: bool) -> None:
    """Sound Factory operator tools: the playbook's checklists and scripts as commands."""
    if verbose and quiet:
        raise click.UsageError("-v and -q exclude each other")
    verbosity = VERBOSE if verbose else QUIET if quiet else NORMAL
    ctx.obj = AppContext(stack=stack, out=Output(json_mode=json_mode, verbosity=verbosity))


for command in (
    preflight.command,
    patches.command,
    verify.command,
    monitor.command,
    drift.command,
    backup.command,
    restore.command,
    drill.command,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="sfops", max_content_width=100)


__all__ = ["EPILOG", "Exit", "cli", "main"]
