"""The `sfops` command group: global options, then one module per subcommand, loaded on demand.

Global options (`--stack`, `--json`, `-v`, `-q`, `scripts/sfops/global_options.py`) go before
the subcommand (`sfops --stack prod --json verify`, as in git) or after it (`sfops verify
--stack prod`, as in pulumi), so every subcommand sees the same stack, output mode and verbosity.

Subcommands are resolved before their modules are imported (click's lazy group pattern):
`sfops --help` and a mistyped name answer at Python start-up speed, and `sfops verify`
loads verify's dependencies only. Each entry names the module and the one-line help the
listing shows (tests/unit/test_sfops_cli.py checks it against the command's own).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, NamedTuple

import click

from scripts.sfops import config_prefetch
from scripts.sfops.global_options import given, global_options, with_global_options

EPILOG = """Exit codes: 0 all checks passed; 1 a check failed (drift, a failed verify or
preflight check, an open alert; a failed backup; a refused or differing restore); 2 could
not check (bad usage, unreadable config, unreachable API; a backup that could not start)."""


class Subcommand(NamedTuple):
    module: str  # holds `command`
    short_help: str
    # Reads the stack config: `pulumi config` starts while the module imports (config_prefetch).
    reads_stack: bool = True


SUBCOMMANDS = {
    "preflight": Subcommand(
        "scripts.sfops.preflight", "Check before a deploy: git clean, stack config, Stripe key mode, SQL patches."
    ),
    "patches": Subcommand("scripts.sfops.patches", "SQL patches: list what is pending, or apply it."),
    "verify": Subcommand(
        "scripts.sfops.verify",
        "Check the live site: headers graded as Mozilla's Observatory does, functions, variables.",
    ),
    "monitor": Subcommand(
        "scripts.sfops.monitor",
        "Probe the site every --interval; alert on 5 failures in a row, resolve on 2 successes.",
    ),
    "drift": Subcommand(
        "scripts.sfops.drift",
        "Refresh-preview the stack and list what drifted (exit 0 none, 1 drift, 2 could not check).",
    ),
    "backup": Subcommand(
        "scripts.sfops.backup.command",
        "Dump the database, compress, encrypt and upload it, then write its manifest.",
        reads_stack=False,  # runs on the backup host from its env file; there is no pulumi there
    ),
    "restore": Subcommand(
        "scripts.sfops.restore.command", "List backups, or restore one into --database, or prove one with --verify."
    ),
    "drill": Subcommand(
        "scripts.sfops.drill", "Replay playbook 9 on the local stack end to end and print its timeline."
    ),
}


def load_subcommand(name: str) -> click.Command:
    command = importlib.import_module(SUBCOMMANDS[name].module).command
    assert isinstance(command, click.Command)
    return with_global_options(command)


class SfopsGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_subcommand(cmd_name) if cmd_name in SUBCOMMANDS else None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        entry = SUBCOMMANDS.get(args[0]) if args else None
        rest = args[1:]
        if entry is not None and entry.reads_stack and not {"-h", "--help"} & set(rest):
            stack = config_prefetch.stack_named_in(rest) or given(ctx).resolved_stack()
            config_prefetch.start(stack, config_prefetch.default_project_dir())
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The listing from the table: importing every subcommand to print one line each is what made
        # `sfops --help` take seconds.
        limit = formatter.width - 6 - max(len(name) for name in SUBCOMMANDS)
        rows = [
            (name, click.Command(name, help=entry.short_help).get_short_help_str(limit))
            for name, entry in SUBCOMMANDS.items()
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            # Only a subcommand raises SfopsError, and it has loaded `context` by then; a usage error
            # (an unknown name) must not pay for loading it.
            context = sys.modules.get("scripts.sfops.context")
            if context is None or not isinstance(exc, context.SfopsError):
                raise
            app = ctx.obj if isinstance(ctx.obj, context.AppContext) else None
            (app.out if app else given(ctx).output()).error(str(exc))
            ctx.exit(int(exc.code))


@click.group(cls=SfopsGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Sound Factory operator tools: the playbook's checklists and scripts as commands."""
    from scripts.sfops.context import AppContext

    options = given(ctx)
    # Options given after the subcommand are parsed later and update this same object.
    ctx.obj = AppContext(stack=options.resolved_stack(), out=options.output())


cli.params.extend(global_options())


def main() -> None:
    cli(prog_name="sfops", max_content_width=100)


__all__ = ["EPILOG", "cli", "main"]
