"""The dynamic-provider launcher hides only modules no runtime dependency needs.

It makes `import trio` and `import httpx._main` fail in the provider process (httpcore and
httpx import them when installed and carry on without them). That is only safe while nothing
the stack runs needs them: trio must stay a test-only package (selenium's), reached from no
runtime dependency, and nothing may ask for httpx's command-line client.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAUNCHER = REPO / "tools/pulumi/launchers/pulumi-resource-pulumi-python"


def blocked_modules() -> list[str]:
    found = re.search(r"for name in \(([^)]*)\):\n\s+sys\.modules\[name\] = None", LAUNCHER.read_text())
    assert found is not None, "the launcher no longer names the modules it hides"
    return re.findall(r'"([\w.]+)"', found.group(1))


def runtime_closure() -> set[tuple[str, str]]:
    """(package, extra) pairs reached from the project's own dependencies, not its groups."""
    lock = tomllib.loads((REPO / "uv.lock").read_text())
    packages = {package["name"]: package for package in lock["package"]}
    pending = [
        (dep["name"], extra)
        for dep in packages["soundfactory-infra"]["dependencies"]
        for extra in ("", *dep.get("extra", []))
    ]
    reached: set[tuple[str, str]] = set()
    while pending:
        name, extra = pending.pop()
        if (name, extra) in reached:
            continue
        reached.add((name, extra))
        package = packages[name]
        deps = package.get("optional-dependencies", {}).get(extra, []) if extra else package.get("dependencies", [])
        pending += [(dep["name"], e) for dep in deps for e in ("", *dep.get("extra", []))]
    return reached


def test_the_launcher_hides_trio_and_the_httpx_cli() -> None:
    assert blocked_modules() == ["trio", "httpx._main"]


def test_no_runtime_dependency_needs_what_the_launcher_hides() -> None:
    reached = runtime_closure()
    names = {name for name, _extra in reached}
    assert {"httpx", "pulumi"} <= names, "the lock walk missed the runtime dependencies"
    assert "trio" not in names, "a runtime dependency needs trio: the provider launcher must not hide it"
    assert ("httpx", "cli") not in reached, "a runtime dependency asks for httpx's CLI: the launcher hides it"
