"""Project-wide pytest options: `--impl` picks the implementation the difftests run against."""
from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--impl", default="tiny",
                     help="implementation under test: a module name, a .py file or a package directory "
                          "(default: tiny)")


@pytest.fixture(scope="session")
def impl(request: pytest.FixtureRequest):
    """The implementation under test. Difftests reach it only through this fixture."""
    from difftests.impl import load_implementation

    return load_implementation(request.config.getoption("--impl"))
