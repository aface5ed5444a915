"""Every feature flag that reaches Netlify is declared in the project's Pulumi.yaml.

A flag is a variable whose values are all "true"/"false". Declared means a top-level
config key of the same name with a "true"/"false" default and a description, as
components/feature_flags.py requires, so `pulumi config set FLAG false` works as written.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pulumi_policy import ResourceValidationArgs

from soundfactory_policy.policy_kit import mandatory_policy
from soundfactory_policy.resources import ENV_VAR, context_values

FLAG_VALUES = frozenset({"true", "false"})


@cache
def declared_config(project_dir: Path) -> dict[str, Any]:
    """The project's config schema; the engine runs the pack in the project's directory."""
    document = yaml.safe_load((project_dir / "Pulumi.yaml").read_text()) or {}
    config = document.get("config") or {}
    return dict(config) if isinstance(config, dict) else {}


def flag_problem(key: str, values: dict[str, Any], schema: dict[str, Any]) -> str | None:
    if not values or not all(str(value) in FLAG_VALUES for value in values.values()):
        return None
    entry = schema.get(key)
    if not isinstance(entry, dict):
        return f"flag {key} is not declared in Pulumi.yaml (add it there and to components/feature_flags.py)"
    if str(entry.get("default")) not in FLAG_VALUES or not entry.get("description"):
        return f"flag {key} in Pulumi.yaml needs a 'true'/'false' default and a description"
    return None


def _problems(args: ResourceValidationArgs) -> list[str]:
    try:
        schema = declared_config(Path.cwd())
    except (OSError, yaml.YAMLError) as exc:
        return [f"cannot read the project's Pulumi.yaml to check flags: {exc}"]
    problem = flag_problem(str(args.props.get("key", args.name)), context_values(args.props), schema)
    return [problem] if problem else []


every_flag_declared = mandatory_policy(
    "every-flag-declared",
    "Every feature flag set on Netlify is declared in Pulumi.yaml with a default and a description.",
    frozenset({ENV_VAR}),
    _problems,
)
