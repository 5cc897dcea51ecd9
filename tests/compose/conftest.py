"""`make compose-test` only: the real stack on a real Docker engine (never part of `make test`)."""

from __future__ import annotations

import os

import pytest

OPT_IN = "NEWSWATCH_COMPOSE_TEST"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(OPT_IN) == "1":
        return
    skip = pytest.mark.skip(reason=f"opt-in: `make compose-test` (sets {OPT_IN}=1) runs the stack "
                                   "on a Docker engine")
    for item in items:
        if "tests/compose/" in item.nodeid:
            item.add_marker(skip)
