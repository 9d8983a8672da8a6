"""Project-wide pytest options: `--impl` picks the implementation the difftests run against."""
from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--impl", default="tiny",
                     help="implementation under test: a module name, a .py file or a package directory "
                          "(default: tiny)")
    parser.addoption("--isolate", action="store_true", default=None,
                     help="run the implementation in an isolated worker process (default: for anything "
                          "but tiny)")
    parser.addoption("--no-isolate", dest="isolate", action="store_false",
                     help="run the implementation in this process (only for trusted code)")
    parser.addoption("--pair", action="append", default=None,
                     help="run only this pair's difftests (repeatable; other difftests are deselected)")
    parser.addoption("--unsafe-same-user", action="store_true", default=False,
                     help="run isolated student code as your own user when no sandbox (bubblewrap, or root "
                          "for the dedicated-uid fallback) is available: it could then forge results")
    parser.addoption("--case-timeout", type=float, default=20.0,
                     help="seconds one isolated case may take before it counts as hung (default 20)")


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    """Long runs (@pytest.mark.slow: full trainings, the 5-seed and full-course sweeps) run only when asked for:
    TINY_RUN_SLOW=1 or `-m slow`. They show as skipped, with the way to run them, never as passed."""
    if os.environ.get("TINY_RUN_SLOW") == "1" or "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with TINY_RUN_SLOW=1 (or -m slow)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def _isolated(config: pytest.Config) -> bool:
    """Isolated unless --impl resolves to this checkout's own tiny package (or --no-isolate)."""
    from difftests.executor import should_isolate

    return should_isolate(config.getoption("--impl"), config.getoption("--isolate"))


@pytest.fixture(scope="session")
def executor(request: pytest.FixtureRequest):
    """Where the implementation under test runs: this process (tiny) or an isolated worker."""
    from difftests.executor import make_executor
    from difftests.integrity import preload_references

    preload_references()  # before any student code runs: later file edits cannot change them
    ex = make_executor(request.config.getoption("--impl"), _isolated(request.config),
                       **({"case_timeout": request.config.getoption("--case-timeout"),
                           "unsafe_same_user": request.config.getoption("--unsafe-same-user")}
                          if _isolated(request.config) else {}))
    yield ex
    ex.close()


@pytest.fixture(scope="session")
def impl(request: pytest.FixtureRequest):
    """The implementation module, loaded in this process — only for trusted implementations.

    Tests that use it directly cannot be isolated; with an isolated implementation they are skipped
    (the runner lists them as "not run"). Prefer scenarios (difftests/scenarios/) for new tests.
    """
    if _isolated(request.config):
        pytest.skip("in-process test: not run against an isolated (untrusted) implementation")
    from difftests.impl import load_implementation

    return load_implementation(request.config.getoption("--impl"))
