"""One deployed backup stack for the package: the restore and the history tests share it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.backup_restore.restore_rig import BUCKET, Rig, deployed_rig


@pytest.fixture(scope="package")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    with deployed_rig(tmp_path_factory.mktemp("restore")) as deployed:
        yield deployed


@pytest.fixture(autouse=True)
def bucket_policy_as_declared(rig: Rig) -> Iterator[None]:
    """Every test finds the bucket policy the stack declares, and leaves it so: a test that lifted
    it and kept it lifted made the later ones pass for the wrong reason (a killed backup's abort)."""
    declared = rig.admin().get_bucket_policy(Bucket=BUCKET)["Policy"]
    yield
    assert rig.admin().get_bucket_policy(Bucket=BUCKET)["Policy"] == declared, "the test left the bucket policy changed"
