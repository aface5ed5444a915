"""One deployed backup stack for the package: the restore and the history tests share it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.backup_restore.restore_rig import Rig, deployed_rig


@pytest.fixture(scope="package")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    with deployed_rig(tmp_path_factory.mktemp("restore")) as deployed:
        yield deployed
