"""`--stack`, `--json`, `-v`, `-q`: defined once, accepted before or after the subcommand.

`sfops --stack prod verify` (as in git) and `sfops verify --stack prod` (as Pulumi users
type it) mean the same. The same four `click.Option`s are attached to the group and to
every subcommand, so both places show one help text. Their callbacks record what was given
in `ctx.meta` (shared by a context and its children) and keep the one `AppContext` of the
run up to date; an option given after the subcommand wins over the same one given before.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from scripts.sfops.output import Output

# Kept here rather than imported from `context`, which loads the stack config machinery:
# `sfops --help` must not pay for it.
STACK_ENV = "SFOPS_STACK"
DEFAULT_STACK = "local"
META_KEY = "sfops.global_options"


@dataclass
class GlobalOptions:
    stack: str | None = None
    json_mode: bool = False
    verbose: bool = False
    quiet: bool = False

    def resolved_stack(self) -> str:
        return self.stack or os.environ.get(STACK_ENV, DEFAULT_STACK)

    def output(self) -> Output:
        # rich (~0.15 s) loads when a command runs, not for `sfops --help`.
        from scripts.sfops.output import NORMAL, QUIET, VERBOSE, Output

        verbosity = VERBOSE if self.verbose else QUIET if self.quiet else NORMAL
        return Output(json_mode=self.json_mode, verbosity=verbosity)


def given(ctx: click.Context) -> GlobalOptions:
    options = ctx.meta.setdefault(META_KEY, GlobalOptions())
    assert isinstance(options, GlobalOptions)
    return options


def _record(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value is None or value is False or param.name is None:
        return value
    options = given(ctx)
    setattr(options, param.name, value)
    if options.verbose and options.quiet:
        raise click.UsageError("-v and -q exclude each other", ctx)
    app = ctx.obj
    if app is not None and hasattr(app, "out"):
        # After the subcommand: the AppContext the group made is already there; update it.
        app.stack = options.resolved_stack()
        app.out = options.output()
    return value


def global_options() -> list[click.Option]:
    """Fresh Option objects (click keeps per-command state on them)."""
    return [
        click.Option(
            ["--stack"],
            default=None,
            show_default=f"${STACK_ENV} or {DEFAULT_STACK}",
            expose_value=False,
            callback=_record,
            help="Pulumi stack whose config names the site, APIs and secrets (local targets the local services).",
        ),
        click.Option(
            ["--json", "json_mode"],
            is_flag=True,
            expose_value=False,
            callback=_record,
            help="Print results as one JSON document on stdout.",
        ),
        click.Option(
            ["-v", "--verbose"], is_flag=True, expose_value=False, callback=_record, help="More detail on stderr."
        ),
        click.Option(
            ["-q", "--quiet"], is_flag=True, expose_value=False, callback=_record, help="Only errors on stderr."
        ),
    ]


def with_global_options(command: click.Command) -> click.Command:
    """`command` (and, for a group, its subcommands) accepting the global options as well."""
    names = {name for param in command.params for name in getattr(param, "opts", [])}
    if "--stack" not in names:
        command.params.extend(global_options())
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            with_global_options(sub)
    return command
