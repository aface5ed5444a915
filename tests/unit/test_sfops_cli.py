"""The sfops group: subcommands loaded on demand, global options before or after the subcommand."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from scripts.sfops import cli as cli_module
from scripts.sfops import config_prefetch
from scripts.sfops.context import AppContext
from scripts.sfops.output import NORMAL, QUIET, VERBOSE

seen: dict[str, Any] = {}


@click.command("probe")
@click.option("--level", default="x")
@click.pass_obj
def command(app: AppContext, level: str) -> None:
    """Records what the group handed over."""
    seen.update(stack=app.stack, json=app.out.json_mode, verbosity=app.out.verbosity, level=level)


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setitem(
        cli_module.SUBCOMMANDS, "probe", cli_module.Subcommand(__name__, "Records what the group handed over.")
    )
    monkeypatch.delenv("SFOPS_STACK", raising=False)
    seen.clear()
    return seen


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli_module.cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize(
    "args",
    [
        ["--stack", "prod", "--json", "-q", "probe"],
        ["probe", "--stack", "prod", "--json", "-q"],
        ["--json", "probe", "--stack", "prod", "-q"],
    ],
)
def test_global_options_before_or_after_the_subcommand(probe: dict[str, Any], args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert probe == {"stack": "prod", "json": True, "verbosity": QUIET, "level": "x"}


def test_after_the_subcommand_wins_and_defaults_apply(probe: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("--stack", "a", "probe", "--stack", "b", "-v", "--level", "y").exit_code == 0
    assert probe == {"stack": "b", "json": False, "verbosity": VERBOSE, "level": "y"}
    monkeypatch.setenv("SFOPS_STACK", "from-env")
    assert run("probe").exit_code == 0
    assert probe["stack"] == "from-env"
    assert probe["verbosity"] == NORMAL


def test_verbose_and_quiet_exclude_each_other_across_positions(probe: dict[str, Any]) -> None:
    result = run("-v", "probe", "-q")
    assert result.exit_code == 2
    assert "-v and -q exclude each other" in result.output
    assert probe == {}


def test_one_definition_same_help(probe: dict[str, Any]) -> None:
    group_help, sub_help = run("--help").output, run("probe", "--help").output
    for line in ("Only errors on stderr.", "More detail on stderr.", "Print results as one JSON document"):
        assert line in group_help
        assert line in sub_help
    assert "Pulumi stack whose config" in group_help
    assert "Pulumi stack whose config" in sub_help


@pytest.mark.parametrize("name", list(cli_module.SUBCOMMANDS))
def test_listed_help_is_the_commands_own(name: str) -> None:
    command = importlib.import_module(cli_module.SUBCOMMANDS[name].module).command
    assert command.name == name
    assert cli_module.SUBCOMMANDS[name].short_help == command.get_short_help_str(limit=300)


def test_help_and_unknown_names_import_no_subcommand() -> None:
    code = (
        "import sys\n"
        "from scripts.sfops.cli import cli\n"
        "for args in (['--help'], ['nosuch']):\n"
        "    try:\n"
        "        cli(args, prog_name='sfops')\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('scripts.sfops.verify', 'scripts.sfops.context', 'components.stack_config', 'httpx', 'rich')\n"
        "print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "No such command 'nosuch'" in out.stderr
    assert out.stderr.strip().endswith("[]")


@pytest.mark.parametrize(
    ("args", "stack"),
    [
        (["--stack", "prod"], "prod"),
        (["--json", "--stack=prod", "-q"], "prod"),
        (["--stack", "a", "--stack", "b"], "b"),
        (["--min-grade", "B"], None),
        (["--", "--stack", "prod"], None),
        (["--stack"], None),
    ],
)
def test_stack_named_after_the_subcommand(args: list[str], stack: str | None) -> None:
    assert config_prefetch.stack_named_in(args) == stack


def test_prefetched_config_is_the_same_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A stand-in `pulumi` that prints its arguments: the prefetch runs the same command line.
    fake = tmp_path / "pulumi"
    fake.write_text('#!/bin/sh\necho "$@"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    config_prefetch.start("prod", tmp_path)
    taken = config_prefetch.take("prod", tmp_path)
    assert taken is not None
    assert taken.stdout.strip() == "config --json --show-secrets --stack prod --non-interactive"
    assert config_prefetch.take("prod", tmp_path) is None  # taken once
    config_prefetch.start("other", tmp_path)
    assert config_prefetch.take("prod", tmp_path) is None  # another stack's read is not this one
