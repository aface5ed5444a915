"""`sfops drift`: has someone changed the stack's resources by hand? (for CI and cron)

Runs what the README's drift check runs, `pulumi preview --refresh`, through the
Automation API, and reads the engine's step events: after a refresh, every step other
than "same" is a difference between the code and what the vendors hold. Only property
names are reported, never values (secret variables are among them).

Exit 0: no drift. 1: drift, listed. 2: could not check (API unreachable, no such
stack, bad config): the preview failed, so nothing is known.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from pulumi import automation as auto
from pulumi.automation import events
from rich.console import Console

from scripts.sfops.context import AppContext, Exit, SfopsError, pulumi_executable
from scripts.sfops.output import checks_table

IGNORED_OPS = frozenset({"same", "refresh", "read", "discard"})
VERBS = {
    "create": "missing (deleted by hand?); up recreates it",
    "update": "changed",
    "delete": "not declared in code; up deletes it",
    "replace": "changed; up replaces it",
    "create-replacement": "changed; up replaces it",
    "delete-replaced": "changed; up replaces it",
    "import": "to be imported",
}


@dataclass(frozen=True)
class Drifted:
    urn: str
    type: str
    name: str
    op: str
    properties: list[str]

    @property
    def description(self) -> str:
        how = VERBS.get(self.op, self.op)
        return f"{how}: {', '.join(self.properties)}" if self.properties else how


def _drifted(metadata: events.StepEventMetadata) -> Drifted | None:
    op = str(metadata.op.value if hasattr(metadata.op, "value") else metadata.op)
    if op in IGNORED_OPS or metadata.type == "pulumi:pulumi:Stack":
        return None
    properties = sorted(set(metadata.diffs or []) | set((metadata.detailed_diff or {}).keys()))
    return Drifted(metadata.urn, metadata.type, metadata.urn.split("::")[-1], op, properties)


def _workspace_options(project_dir: Path) -> auto.LocalWorkspaceOptions:
    root = Path(pulumi_executable()).resolve().parent.parent
    return auto.LocalWorkspaceOptions(
        work_dir=str(project_dir),
        env_vars={key: value for key, value in os.environ.items() if key.startswith("PULUMI_")},
        pulumi_command=auto.PulumiCommand(root=str(root), skip_version_check=True),
    )


def find_drift(stack: str, project_dir: Path) -> list[Drifted]:
    """Resources whose live state differs from the code. Raises SfopsError when unknown."""
    found: list[Drifted] = []
    errors: list[str] = []

    def on_event(event: events.EngineEvent) -> None:
        if event.resource_pre_event is not None:
            drifted = _drifted(event.resource_pre_event.metadata)
            if drifted is not None:
                found.append(drifted)
        diagnostic = event.diagnostic_event
        if diagnostic is not None and diagnostic.severity == "error":
            errors.append(diagnostic.message.strip())

    try:
        selected = auto.select_stack(stack, work_dir=str(project_dir), opts=_workspace_options(project_dir))
        selected.preview(refresh=True, diff=True, on_event=on_event, on_output=lambda _line: None)
    except auto.errors.CommandError as exc:
        detail = errors[-1] if errors else str(exc).strip().splitlines()[-1]
        raise SfopsError(f"could not check stack {stack!r} for drift: {detail}") from exc
    return found


@click.command("drift")
@click.pass_obj
def command(app: AppContext) -> None:
    """Refresh-preview the stack and list what drifted (exit 0 none, 1 drift, 2 could not check)."""
    app.out.info(f"checking stack {app.stack} for drift (pulumi preview --refresh)")
    drifted = find_drift(app.stack, app.project_dir)
    data: dict[str, Any] = {
        "stack": app.stack,
        "drift": bool(drifted),
        "resources": [
            {"name": d.name, "type": d.type, "op": d.op, "properties": d.properties, "urn": d.urn} for d in drifted
        ],
    }

    def render(console: Console) -> None:
        if not drifted:
            console.print(f"no drift: stack {app.stack} matches the code")
            return
        rows = [(f"{d.name} ({d.type.split(':')[-1]})", d.op, d.description) for d in drifted]
        console.print(checks_table(f"drift in stack {app.stack}", rows))
        console.print(f"{len(drifted)} resource(s) drifted; `pulumi up --refresh --stack {app.stack}` puts them back")

    app.out.result(data, render)
    click.get_current_context().exit(int(Exit.FAILED if drifted else Exit.OK))
