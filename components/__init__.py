"""Pulumi components of the Sound Factory stack, their typed config and dynamic providers.

Old module paths. Dynamic providers are pickled into state by module path, and refresh and
destroy unpickle them from whatever lives at that path today. The Netlify modules moved into
`components/netlify/` (2026-11); stacks whose state was written before still name the old
paths, so each old path resolves to its new module (the same module object, imported only
when asked for). Removal condition: every stack, `prod` included, has run one `pulumi up`
with code from after the move (an `up` re-pickles every provider under its new path), and
`tests/integration/test_state_compatibility.py`'s oldest fixture is retired with them.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

MOVED_MODULES = {
    "components.netlify_api": "components.netlify.api",
    "components.netlify_build": "components.netlify.build",
    "components.netlify_env_inventory": "components.netlify.env_inventory",
    "components.netlify_env_var": "components.netlify.env_var",
    "components.netlify_publish": "components.netlify.published_deploy",
    "components.netlify_site": "components.netlify.site",
    "components.site_env": "components.netlify.variables",
    "components.provider_support": "components.netlify.provider",
}


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves an old path to the module now at the new one."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED_MODULES:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(MOVED_MODULES[spec.name])

    def exec_module(self, module: ModuleType) -> None:
        # Already executed under its new name; importlib then registers it under the old one too.
        return None


if not any(isinstance(finder, _MovedModuleFinder) for finder in sys.meta_path):
    sys.meta_path.append(_MovedModuleFinder())
