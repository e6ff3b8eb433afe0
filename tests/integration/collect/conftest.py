"""Real Go and real Python services for the ``coverhub collect`` tests.

The Go service (tests/data/go/collectsvc) is built once per session with ``go build -cover``
(atomic, as goverage requires, and set for the mixed-mode case). If Go cannot be found or a build
fails, the tests that need it FAIL with a message saying so; nothing is skipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from collect_support import Binaries, build_collectsvc

from tests.crosscheck.gocovdata.gcd_go import Go, find_and_check_go


@pytest.fixture(scope="session")
def go() -> Go:
    return find_and_check_go()


@pytest.fixture(scope="session")
def collectsvc(go: Go, tmp_path_factory: pytest.TempPathFactory) -> Binaries:
    return build_collectsvc(go, tmp_path_factory.mktemp("collectsvc-bin"))


@pytest.fixture
def go_root(tmp_path: Path) -> Path:
    return tmp_path
