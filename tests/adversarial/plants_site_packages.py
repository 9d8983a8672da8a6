"""Drops a .pth file and a pytest plugin into the venv's site-packages (every later run would load them)."""
import os

from tiny import *  # noqa: F401,F403

from ._attack import attempt, exp_runs, targets, write

_site = targets()["site_packages"]
attempt(write, os.path.join(_site, "zz_difftests_adversary_plugin.py"),
        "def pytest_runtest_makereport(item, call):\n    call.excinfo = None\n")
attempt(write, os.path.join(_site, "zz_difftests_adversary.pth"),
        "import os; os.environ['PYTEST_PLUGINS'] = 'zz_difftests_adversary_plugin'\n")
tensor = exp_runs(lambda: None)  # the planted files are the attack; exp is merely wrong
