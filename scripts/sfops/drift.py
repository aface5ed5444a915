"""`sfops drift`: has someone changed the stack's resources by hand? (for CI and cron)

Runs what the README's drift check runs, `pulumi preview --refresh`, through the
Automation API, and reads the engine's events. A hand change is what the *refresh* found:
a resource whose vendor copy differs from state (each provider's `read` names the fields,
see `components.provider_base.DRIFTED`) or that is gone. The update the engine then plans
for resources that merely consume a drifted output (a build after a variable changed, a
secret handed over) is the cascade, not drift, and is not listed as such.

Each changed field is shown old → new; a secret field only as "changed" (the engine's events
carry secrets masked, and the provider reports names, never values).

A refresh can also find something wrong that is no hand change: a live deploy that cannot
verify the current Stripe webhook secret (after a rollback to a deploy built before it rotated,
a hand restore, a rotation whose build failed). The provider's `read` says so in whole
sentences (`components.provider_base.ALERTS`), each naming the way out; they are listed as
alerts on every check until the cause is gone.

Exit 0: no drift. 1: drift, listed. 2: could not check (API unreachable, no such
stack, bad config): the preview failed, so nothing is known.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from pulumi import automation as auto
from pulumi.automation import events
from rich.console import Console

from scripts.sfops.context import AppContext, Exit, SfopsError, pulumi_executable
from scripts.sfops.output import checks_table

# Kept in step with components.provider_base.DRIFTED; not imported so `sfops` stays light.
DRIFTED = "drifted"
ALERTS = "alerts"
MASKED = "[secret]"
IGNORED_OPS = frozenset({"same", "refresh", "read", "discard"})
VERBS = {
    "deleted": "missing (deleted by hand?); up recreates it",
    "changed": "changed by hand; up puts it back",
    "create": "not created yet; up creates it",
    "delete": "not declared in code; up deletes it",
    "update": "differs from the code; up updates it",
    "replace": "differs from the code; up replaces it",
    "create-replacement": "differs from the code; up replaces it",
    "delete-replaced": "differs from the code; up replaces it",
    "import": "to be imported",
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any = None
    new: Any = None
    secret: bool = False

    def describe(self) -> str:
        return f"{self.field}: changed" if self.secret else f"{self.field}: {_show(self.old)} → {_show(self.new)}"

    def as_json(self) -> dict[str, Any]:
        if self.secret:
            return {"field": self.field, "change": "changed"}
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class Drifted:
    urn: str
    type: str
    name: str
    op: str
    changes: tuple[FieldChange, ...] = field(default=())
    alerts: tuple[str, ...] = field(default=())

    @property
    def properties(self) -> list[str]:
        return [c.field for c in self.changes]

    @property
    def description(self) -> str:
        how = VERBS.get(self.op, self.op)
        said = f"{how}: {'; '.join(c.describe() for c in self.changes)}" if self.changes else how
        return " | ".join([said, *self.alerts] if self.changes else self.alerts) if self.alerts else said


def _show(value: Any) -> str:
    return "(none)" if value is None else repr(value)


def _masked(value: Any) -> bool:
    return value == MASKED or (isinstance(value, dict) and value.get("ciphertext") == MASKED)


def field_changes(name: str, old: Any, new: Any) -> list[FieldChange]:
    """One field's change, by sub-key for a mapping (a variable's value per deploy context)."""
    if _masked(old) or _masked(new):
        return [FieldChange(name, secret=True)]
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            FieldChange(f"{name}.{key}", old.get(key), new.get(key))
            for key in sorted(set(old) | set(new))
            if old.get(key) != new.get(key)
        ] or [FieldChange(name, old, new)]
    return [FieldChange(name, old, new)]


def hand_change(urn: str, type_: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> Drifted | None:
    """What one refresh step found: the resource gone, or the fields its provider named."""
    name = urn.split("::")[-1]
    if old is not None and new is None:
        return Drifted(urn, type_, name, "deleted")
    if old is None or new is None:
        return None
    fresh = sorted(set(new.get(DRIFTED) or ()) - set(old.get(DRIFTED) or ()))
    changes = [c for f in fresh for c in field_changes(f, old.get(f), new.get(f))]
    # Alerts are the state of the live object now: shown whenever the refresh finds them.
    alerts = tuple(str(alert) for alert in new.get(ALERTS) or ())
    if not changes and not alerts:
        return None
    return Drifted(urn, type_, name, "changed" if changes else "alert", tuple(changes), alerts)


def planned_change(metadata: events.StepEventMetadata) -> Drifted | None:
    op = str(metadata.op.value if hasattr(metadata.op, "value") else metadata.op)
    if op in IGNORED_OPS or metadata.type == "pulumi:pulumi:Stack":
        return None
    properties = sorted(set(metadata.diffs or []) | set((metadata.detailed_diff or {}).keys()))
    return Drifted(metadata.urn, metadata.type, metadata.urn.split("::")[-1], op, tuple(map(FieldChange, properties)))


def _workspace_options(project_dir: Path) -> auto.LocalWorkspaceOptions:
    root = Path(pulumi_executable()).resolve().parent.parent
    return auto.LocalWorkspaceOptions(
        work_dir=str(project_dir),
        env_vars={key: value for key, value in os.environ.items() if key.startswith("PULUMI_")},
        pulumi_command=auto.PulumiCommand(root=str(root), skip_version_check=True),
    )


def _op(metadata: events.StepEventMetadata) -> str:
    return str(metadata.op.value if hasattr(metadata.op, "value") else metadata.op)


def find_drift(stack: str, project_dir: Path) -> list[Drifted]:
    """Resources changed by hand (or, failing that, differing from the code). Raises SfopsError when unknown."""
    found: list[Drifted] = []
    planned: list[Drifted] = []
    errors: list[str] = []

    def on_event(event: events.EngineEvent) -> None:
        if event.res_outputs_event is not None:
            metadata = event.res_outputs_event.metadata
            if _op(metadata) == "refresh":
                old = metadata.old.outputs if metadata.old else None
                new = metadata.new.outputs if metadata.new else None
                drifted = hand_change(metadata.urn, metadata.type, old, new)
                if drifted is not None:
                    found.append(drifted)
        if event.resource_pre_event is not None:
            step = planned_change(event.resource_pre_event.metadata)
            if step is not None:
                planned.append(step)
        diagnostic = event.diagnostic_event
        if diagnostic is not None and diagnostic.severity == "error":
            errors.append(diagnostic.message.strip())

    try:
        selected = auto.select_stack(stack, work_dir=str(project_dir), opts=_workspace_options(project_dir))
        selected.preview(refresh=True, diff=True, on_event=on_event, on_output=lambda _line: None)
    except auto.errors.CommandError as exc:
        detail = errors[-1] if errors else str(exc).strip().splitlines()[-1]
        raise SfopsError(f"could not check stack {stack!r} for drift: {detail}") from exc
    # Hand changes when the refresh saw any (the planned updates then include their cascade);
    # otherwise what the engine would change: code ahead of the stack, or a hand change an
    # earlier `pulumi refresh` already wrote into state.
    return found or planned


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
            {
                "name": d.name,
                "type": d.type,
                "op": d.op,
                "properties": d.properties,
                "changes": [c.as_json() for c in d.changes],
                "alerts": list(d.alerts),
                "urn": d.urn,
            }
            for d in drifted
        ],
    }

    def render(console: Console) -> None:
        if not drifted:
            console.print(f"no drift: stack {app.stack} matches the code")
            return
        rows = [(f"{d.name} ({d.type.split(':')[-1]})", d.op, d.description) for d in drifted]
        console.print(checks_table(f"drift in stack {app.stack}", rows))
        changed = [d for d in drifted if d.op != "alert"]
        if changed:
            console.print(
                f"{len(changed)} resource(s) drifted; `pulumi up --refresh --stack {app.stack}` puts them back"
            )
        if any(d.alerts for d in drifted):
            # A pin is declared, not drifted: `up` keeps it; each alert names its own way out.
            console.print("alerts: the live site is not as the stack needs it; each names its way out")

    app.out.result(data, render)
    click.get_current_context().exit(int(Exit.FAILED if drifted else Exit.OK))
