"""The dynamic-provider launcher hides only modules no runtime dependency needs.

It makes `import trio` and `import httpx._main` fail in the provider process (httpcore and
httpx import them when installed and carry on without them). That is only safe while nothing
the stack runs needs them: trio must stay a test-only package (selenium's), reached from no
runtime dependency, and nothing may ask for httpx's command-line client. It also puts a
placeholder where `pulumi/__init__.py` imports the Automation API, which is safe only while no
other module of the SDK uses it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pulumi

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


def test_the_launcher_puts_a_placeholder_for_the_automation_api() -> None:
    assert re.search(
        r'^sys\.modules\["pulumi\.automation"\] = AutomationNotLoaded\("pulumi\.automation"\)$',
        LAUNCHER.read_text(),
        re.MULTILINE,
    ), "the launcher no longer stands in for pulumi.automation: update this test and the launcher's comment"


def test_no_module_of_the_sdk_but_its_package_init_uses_the_automation_api() -> None:
    sdk = Path(pulumi.__file__).parent
    users = sorted(
        str(path.relative_to(sdk))
        for path in sdk.rglob("*.py")
        if "automation" not in path.relative_to(sdk).parts and re.search(r"\bautomation\b", path.read_text())
    )
    assert users == ["__init__.py"], f"the SDK uses pulumi.automation in {users}: the provider launcher must load it"
