"""Entry point of the bundle shipped to the backup host: `python sfops-backup.pyz backup ENV_FILE`."""

from __future__ import annotations

import click

from scripts.sfops.backup.command import command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def host_cli() -> None:
    """sfops on the backup host: only `backup`."""


host_cli.add_command(command)

if __name__ == "__main__":
    host_cli(prog_name="sfops")
