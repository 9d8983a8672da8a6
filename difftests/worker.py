"""The isolated worker: loads the implementation under test and runs jobs for the trusted runner.

Started by difftests.executor.WorkerExecutor as `python -m difftests.worker REQ_FD RESP_FD IMPL MEM_MB`.
It never imports torch or the reference (an import hook refuses them), reads pickled jobs from the
runner (trusted) and answers in difftests.wire's format (the runner never unpickles what comes back).
Anything the student code raises — SystemExit and KeyboardInterrupt included — becomes a result.
"""
from __future__ import annotations

import os
import pickle
import sys

BLOCKED = ("torch", "reference", "difftests.reference_side", "difftests.harness")


class RefuseTrustedImports:
    """A meta-path hook: the implementation under test cannot import torch or the reference twins."""

    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in BLOCKED):
            raise ImportError(f"{name!r} cannot be imported by the implementation under test "
                              "(it runs isolated from torch and the reference)")
        return None


def _limit_memory(megabytes: int) -> None:
    if megabytes > 0:
        import resource
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


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


def main(argv: list[str]) -> None:
    request_fd, response_fd, impl_spec, memory_mb = int(argv[0]), int(argv[1]), argv[2], int(argv[3])
    sys.meta_path.insert(0, RefuseTrustedImports())
    _limit_memory(memory_mb)
    from difftests import wire
    from difftests.impl import load_implementation

    requests = os.fdopen(request_fd, "rb", buffering=0)
    responses = os.fdopen(response_fd, "wb", buffering=0)
    try:
        lib = load_implementation(impl_spec)
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
