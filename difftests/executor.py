"""Where the implementation under test runs: in this process (tiny itself) or in an isolated worker.

`WorkerExecutor` keeps student code out of the trusted process: a crash, a hang, a memory blow-up or
monkey-patching there cannot touch the reference values or the comparison, which stay here.
"""
from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time
from typing import Any

from difftests import wire
from difftests.cases import Case
from difftests.execute import Outcome, impl_backend, missing_names, run_case
from difftests.impl import ImplementationError, load_implementation
from difftests.registry import Pair

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class InProcessExecutor:
    """For the trusted implementation (tiny itself): no process boundary, fastest."""
    isolated = False

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.lib = load_implementation(spec)

    def run_pair(self, pair: Pair, case: Case, upstream: list | None) -> Outcome:
        missing = missing_names(self.lib, pair.requires)
        if missing:
            return Outcome(not_implemented=f"missing {', '.join(missing)}")
        return run_case(impl_backend(self.lib, pair.call), case, upstream)

    def run_scenario(self, name: str, /, area: str = "other", **kwargs: Any) -> dict:
        from difftests.scenarios import run_scenario
        return run_scenario(self.lib, name, kwargs)

    def close(self) -> None:
        pass


class WorkerExecutor:
    """Runs each job in a worker process that never imports torch; restarts it after a crash."""
    isolated = True

    def __init__(self, spec: str, case_timeout: float = 20.0, area_budget: float = 900.0,
                 memory_mb: int = 4096, start_timeout: float = 120.0) -> None:
        self.spec, self.case_timeout, self.area_budget = spec, case_timeout, area_budget
        self.memory_mb, self.start_timeout = memory_mb, start_timeout
        self.process: subprocess.Popen | None = None
        self.area_time: dict[str, float] = {}
        self.workdir = tempfile.mkdtemp(prefix="difftests-worker-")
        self._start()  # fail early (ImplementationError) when the implementation cannot even load

    # ----- process management ---------------------------------------------------------------
    def _start(self) -> None:
        request_read, self.request_write = os.pipe()
        self.response_read, response_write = os.pipe()
        env = {**os.environ, "PYTHONPATH": PROJECT_ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        spec = os.path.abspath(self.spec) if os.path.exists(self.spec) else self.spec
        self.stderr = open(os.path.join(self.workdir, "worker.stderr"), "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "difftests.worker", str(request_read), str(response_write), spec,
             str(self.memory_mb)],
            pass_fds=(request_read, response_write), cwd=self.workdir, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.stderr, start_new_session=True)
        os.close(request_read)
        os.close(response_write)
        hello = self._receive(self.start_timeout)
        if not isinstance(hello, dict) or not hello.get("ok"):
            detail = hello.get("error", hello) if isinstance(hello, dict) else hello
            self._kill()
            raise ImplementationError(f"--impl {self.spec}: the isolated worker could not load it: {detail}")

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        for fd in (getattr(self, "request_write", None), getattr(self, "response_read", None)):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.request_write = self.response_read = None
        self.process = None

    def close(self) -> None:
        self._kill()

    def __del__(self) -> None:
        try:
            self._kill()
        except Exception:  # noqa: BLE001
            pass

    # ----- I/O with a deadline ------------------------------------------------------------
    def _read_exactly(self, n: int, deadline: float) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.response_read], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(self.response_read, min(n - len(buf), 1 << 20))
            if not chunk:
                raise EOFError
            buf += chunk
        return bytes(buf)

    def _receive(self, timeout: float) -> Any:
        """A decoded message, or {"crash"/"timeout": description} when the worker died or hung."""
        deadline = time.monotonic() + timeout
        try:
            (length,) = struct.unpack("<Q", self._read_exactly(8, deadline))
            if length > wire.MAX_MESSAGE_BYTES:
                raise wire.WireError(f"message of {length} bytes")
            return wire.decode(self._read_exactly(length, deadline))
        except TimeoutError:
            self._kill()
            return {"timeout": f"no answer within {timeout:g} s (an infinite loop or a sleep?)"}
        except (EOFError, wire.WireError, OSError) as exc:
            code = self.process.wait(timeout=5) if self.process else None
            self._kill()
            how = (f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}")
            return {"crash": f"the worker process died ({how}; {type(exc).__name__}: {exc})"}

    def _job(self, job: dict, area: str) -> dict:
        spent = self.area_time.get(area, 0.0)
        if spent > self.area_budget:
            return {"timeout": f"area {area!r} used its {self.area_budget:g} s budget"}
        if self.process is None:
            self._start()
        started = time.monotonic()
        try:
            payload = pickle.dumps(job)
            os.write(self.request_write, struct.pack("<Q", len(payload)) + payload)
        except OSError as exc:
            self._kill()
            return {"crash": f"the worker process is gone ({exc})"}
        reply = self._receive(self.case_timeout)
        self.area_time[area] = spent + time.monotonic() - started
        return reply if isinstance(reply, dict) else {"crash": "malformed reply"}

    # ----- jobs ---------------------------------------------------------------------------
    def run_pair(self, pair: Pair, case: Case, upstream: list | None) -> Outcome:
        reply = self._job({"kind": "pair", "pair": pair.name, "case": case, "upstream": upstream}, pair.area)
        return outcome_from_reply(reply)

    def run_scenario(self, name: str, /, area: str = "other", **kwargs: Any) -> dict:
        reply = self._job({"kind": "scenario", "name": name, "kwargs": kwargs}, area)
        if "observations" in reply and isinstance(reply["observations"], dict):
            return reply["observations"]
        return {"__failure__": reply.get("crash") or reply.get("timeout") or "malformed reply"}

    def loaded_libraries(self) -> str:
        """The worker's memory map, read by the kernel (the worker cannot fake it)."""
        if self.process is None:
            return ""
        try:
            with open(f"/proc/{self.process.pid}/maps") as f:
                return f.read()
        except OSError:
            return ""


def outcome_from_reply(reply: dict) -> Outcome:
    """Validate an untrusted reply into an Outcome; anything unexpected is a failure, never a pass."""
    if "crash" in reply or "timeout" in reply:
        detail = reply.get("crash") or reply.get("timeout")
        return Outcome(crashed=detail if isinstance(detail, str) else repr(detail))
    import numpy as np

    def arrays(value: Any, allow_none: bool = True) -> list:
        if not isinstance(value, list) or not all(
                isinstance(v, np.ndarray) or (allow_none and v is None) for v in value):
            raise TypeError("reply field is not a list of arrays")
        return value

    def error(value: Any) -> tuple | None:
        if value is None:
            return None
        if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
            raise TypeError("bad error field")
        return tuple(value)

    try:
        if reply.get("not_implemented") is not None:
            return Outcome(not_implemented=str(reply["not_implemented"]))
        params = reply.get("param_grads") or {}
        if not isinstance(params, dict) or not all(v is None or isinstance(v, np.ndarray) for v in params.values()):
            raise TypeError("bad param_grads")
        warned = reply.get("warnings") or []
        if not isinstance(warned, list) or not all(isinstance(w, str) for w in warned):
            raise TypeError("bad warnings field")
        return Outcome(outputs=arrays(reply.get("outputs", []), allow_none=False),
                       grads=arrays(reply.get("grads", [])), param_grads=params,
                       error=error(reply.get("error")), backward_error=error(reply.get("backward_error")),
                       warnings=warned)
    except TypeError as exc:
        return Outcome(crashed=f"malformed reply from the worker ({exc})")


def make_executor(spec: str, isolate: bool | None = None, **options: Any):
    """In-process for tiny itself, an isolated worker for anything else (unless told otherwise)."""
    if isolate is None:
        isolate = spec != "tiny"
    return WorkerExecutor(spec, **options) if isolate else InProcessExecutor(spec)
