"""The isolated worker: loads the implementation under test and runs jobs for the trusted runner.

Started by difftests.executor.WorkerExecutor inside difftests.sandbox's confinement as
`python -m difftests.worker CONFIG_JSON` (CONFIG: {"impl": path or module, "forbidden": [paths]}).
Requests arrive on stdin (pickled, from the trusted runner); replies go out on the original stdout in
difftests.wire's format (the runner never unpickles what comes back). fd 0 and 1 are then pointed away
from the channel (stdin /dev/null, stdout to stderr), so a student's print cannot corrupt it.
It never imports torch, the reference twins or the solution package: an import hook refuses them by
name and by where they resolve (in the sandbox they are not even on the filesystem). Anything the
student code raises — SystemExit and KeyboardInterrupt included — becomes a result.
"""
from __future__ import annotations

import json
import os
import pickle
import sys

BLOCKED = ("torch", "functorch", "torchgen", "reference")
SOLUTION = ("tiny",)
# The only difftests modules the worker needs (torch-free); the rest is the trusted runner's.
ALLOWED_DIFFTESTS = ("difftests", "difftests.worker", "difftests.wire", "difftests.execute", "difftests.cases",
                     "difftests.impl", "difftests.registry", "difftests.strategies", "difftests.pairs",
                     "difftests.scenarios")
SOLUTION_MESSAGE = ("cannot import the solution package {name!r} ({where}): the implementation under test "
                    "must be self-contained (submit your own package, e.g. NAME/tiny/, not an import of ours)")


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class RefuseTrustedImports:
    """A meta-path hook: the implementation under test cannot import torch, the reference twins, the
    runner's own modules, or anything that resolves to the trusted checkout's solution files."""

    def __init__(self, forbidden: list[str]) -> None:
        self.forbidden = [os.path.realpath(p) for p in forbidden]

    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        runner_module = top == "difftests" and name not in ALLOWED_DIFFTESTS and not name.startswith(
            ("difftests.pairs.", "difftests.scenarios."))
        if top in BLOCKED or runner_module:
            raise ImportError(f"{name!r} cannot be imported by the implementation under test "
                              "(it runs isolated from torch, the reference and the runner)")
        spec = self._find_elsewhere(name, path, target)
        if spec is None:
            if top in SOLUTION:
                raise ImportError(SOLUTION_MESSAGE.format(name=name, where="not part of the submission"))
            return None
        locations = [spec.origin or ""] + list(spec.submodule_search_locations or [])
        for location in filter(None, locations):
            real = os.path.realpath(location)
            if any(_within(real, root) for root in self.forbidden):
                raise ImportError(SOLUTION_MESSAGE.format(name=name, where=real))
        return spec

    def _find_elsewhere(self, name, path, target):
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            if finder is self or find_spec is None:
                continue
            spec = find_spec(name, path, target)
            if spec is not None:
                return spec
        return None


def _describe(exc: BaseException) -> list[str]:
    from difftests.execute import _describe_error  # the same description the pair results use
    return list(_describe_error(exc))


def handle(lib, job: dict) -> dict:
    from difftests.execute import impl_backend, missing_names, run_case
    from difftests.registry import get

    if job["kind"] == "pair":
        pair = get(job["pair"])
        missing = missing_names(lib, pair.requires)
        if missing:
            return {"not_implemented": f"missing {', '.join(missing)}"}
        outcome = run_case(impl_backend(lib, pair.call), job["case"], job["upstream"])
        return {"outputs": outcome.outputs, "grads": outcome.grads, "param_grads": outcome.param_grads,
                "error": outcome.error, "backward_error": outcome.backward_error,
                "not_implemented": outcome.not_implemented, "warnings": outcome.warnings}
    if job["kind"] == "scenario":
        from difftests.scenarios import run_scenario
        return {"observations": run_scenario(lib, job["name"], job.get("kwargs", {}))}
    raise ValueError(f"unknown job kind {job['kind']!r}")


def _private_channel() -> tuple:
    """The request/response streams on private fds; fd 0 -> /dev/null and fd 1 -> stderr."""
    requests = os.fdopen(os.dup(0), "rb", buffering=0)
    responses = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    return requests, responses


def main(argv: list[str]) -> None:
    config = json.loads(argv[0])
    requests, responses = _private_channel()
    from difftests import execute, registry, wire  # noqa: F401 — loaded before any student code
    from difftests.impl import load_implementation
    from difftests.scenarios import SCENARIO_MODULES
    registry.all_pairs()
    for module in SCENARIO_MODULES:
        __import__(module)
    sys.meta_path.insert(0, RefuseTrustedImports(config.get("forbidden", [])))
    try:
        lib = load_implementation(config["impl"])
        hello = {"ok": True}
    except BaseException as exc:  # noqa: BLE001 — report any import failure to the runner
        lib, hello = None, {"ok": False, "error": _describe(exc)}
    wire.write_frame(responses, wire.encode(hello))
    while True:
        try:
            job = pickle.loads(wire.read_frame(requests))  # from the trusted runner
        except EOFError:
            return
        try:
            result = handle(lib, job)
        except BaseException as exc:  # noqa: BLE001 — SystemExit/KeyboardInterrupt from student code too
            result = {"crash": _describe(exc)}
        try:
            payload = wire.encode(result)
        except BaseException as exc:  # noqa: BLE001
            payload = wire.encode({"crash": _describe(exc)})
        wire.write_frame(responses, payload)


if __name__ == "__main__":
    main(sys.argv[1:])
