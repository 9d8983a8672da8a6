"""Where the implementation under test runs: in this process (tiny itself) or in an isolated worker.

`WorkerExecutor` keeps student code out of the trusted process: a crash, a hang, a memory blow-up or
monkey-patching there cannot touch the reference values or the comparison, which stay here.
"""
from __future__ import annotations

import importlib.util
import json
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from typing import Any

from difftests import wire
from difftests.cases import Case
from difftests.execute import Outcome, impl_backend, missing_names, run_case
from difftests.impl import ImplementationError, load_implementation
from difftests.registry import Pair
from difftests.sandbox import Limits, Sandbox, choose_mode

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
    """Runs each job in a sandboxed worker process that never imports torch; restarts it after a crash."""
    isolated = True

    def __init__(self, spec: str, case_timeout: float = 20.0, area_budget: float = 900.0,
                 memory_mb: int = 4096, start_timeout: float = 120.0, unsafe_same_user: bool = False,
                 mode: str | None = None) -> None:
        self.spec, self.case_timeout, self.area_budget = spec, case_timeout, area_budget
        self.start_timeout = start_timeout
        self.process: subprocess.Popen | None = None
        self.area_time: dict[str, float] = {}
        self.impl_path = resolve_impl(spec)
        self.mode = mode or choose_mode(unsafe_same_user)
        self.sandbox = Sandbox(self.mode, self.impl_path, Limits(memory_mb=memory_mb))
        self.workdir = self.sandbox.prepare()
        self.stderr = StderrTail()
        try:
            self._start()  # fail early (ImplementationError) when the implementation cannot even load
        except BaseException:
            self.close()
            raise

    # ----- process management ---------------------------------------------------------------
    def _start(self) -> None:
        config = {"impl": self.impl_path, "forbidden": self.sandbox.forbidden}
        argv = [sys.executable, "-P", "-s", "-m", "difftests.worker", json.dumps(config)]
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "PYTHONPATH": PROJECT_ROOT, "LANG": "C.UTF-8",
               "HOME": "/tmp" if self.mode == "bwrap" else self.workdir, "PYTHONDONTWRITEBYTECODE": "1",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        self.process = subprocess.Popen(
            self.sandbox.command(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=self.workdir, env=env, preexec_fn=self.sandbox.preexec, start_new_session=True, close_fds=True)
        self.request_write = self.process.stdin.fileno()
        self.response_read = self.process.stdout.fileno()
        self.stderr.follow(self.process.stderr)
        hello = self._receive(self.start_timeout)
        if not isinstance(hello, dict) or not hello.get("ok"):
            detail = hello.get("error", hello) if isinstance(hello, dict) else hello
            if isinstance(detail, list) and len(detail) == 2:
                detail = detail[1]  # (classes, "Class: message (file:line)")
            elif isinstance(detail, dict) and ("crash" in detail or "timeout" in detail):
                detail = detail.get("crash") or detail.get("timeout")
            self._kill()
            raise ImplementationError(f"--impl {self.spec}: the isolated worker could not load it: "
                                      f"{wire.clean_text(str(detail))}{self.stderr.describe()}")

    def _kill(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.process.wait()
            for stream in (self.process.stdin, self.process.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            self.stderr.stop()
            self.sandbox.kill_leftovers()
        self.request_write = self.response_read = None
        self.process = None

    def close(self) -> None:
        self._kill()
        self.sandbox.cleanup()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass

    # ----- I/O with a deadline ------------------------------------------------------------
    def _write_all(self, data: bytes, deadline: float) -> None:
        """Never blocks past the deadline, even when the worker stops reading its stdin."""
        os.set_blocking(self.request_write, False)
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [self.request_write], [], remaining)[1]:
                raise TimeoutError
            try:
                view = view[os.write(self.request_write, view[:1 << 16]):]
            except BlockingIOError:
                continue

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
        """A decoded message, or {"crash"/"timeout": description} when the worker died, hung or sent
        something malformed (too large, too deep, truncated)."""
        deadline = time.monotonic() + timeout
        try:
            (length,) = struct.unpack("<Q", self._read_exactly(8, deadline))
            if length > wire.MAX_MESSAGE_BYTES:
                raise wire.WireError(f"a reply of {length} bytes (the limit is {wire.MAX_MESSAGE_BYTES})")
            return wire.decode(self._read_exactly(length, deadline))
        except TimeoutError:
            self._kill()
            return {"timeout": f"no answer within {timeout:g} s (an infinite loop or a sleep?)"}
        except wire.WireError as exc:
            self._kill()
            return {"crash": f"the worker sent a malformed reply ({exc})"}
        except (EOFError, OSError) as exc:
            code = self.process.wait(timeout=5) if self.process else None
            self._kill()
            if code is not None and code > 128 and self.mode == "bwrap":
                code = 128 - code  # bwrap reports a child killed by signal N as exit code 128 + N
            how = (f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}")
            return {"crash": f"the worker process died ({how}; {type(exc).__name__}: {exc}){self.stderr.describe()}"}

    def _job(self, job: dict, area: str) -> dict:
        spent = self.area_time.get(area, 0.0)
        if spent > self.area_budget:
            return {"timeout": f"area {area!r} used its {self.area_budget:g} s budget"}
        if self.process is None:
            self._start()
        started = time.monotonic()
        payload = pickle.dumps(job)
        try:
            self._write_all(struct.pack("<Q", len(payload)) + payload, started + self.case_timeout)
        except TimeoutError:
            self._kill()
            return {"timeout": f"the worker did not read its job within {self.case_timeout:g} s"}
        except OSError as exc:
            self._kill()
            return {"crash": f"the worker process is gone ({exc})"}
        reply = self._receive(self.case_timeout)
        self.area_time[area] = spent + time.monotonic() - started
        return reply if isinstance(reply, dict) else {"crash": "malformed reply"}

    # ----- jobs ---------------------------------------------------------------------------
    def run_pair(self, pair: Pair, case: Case, upstream: list | None) -> Outcome:
        reply = self._job({"kind": "pair", "pair": pair.name, "case": case, "upstream": upstream}, pair.area)
        return outcome_from_reply(reply, n_args=len(case.args))

    def run_scenario(self, name: str, /, area: str = "other", **kwargs: Any) -> dict:
        reply = self._job({"kind": "scenario", "name": name, "kwargs": kwargs}, area)
        if "observations" in reply and isinstance(reply["observations"], dict):
            return reply["observations"]
        detail = reply.get("crash") or reply.get("timeout") or "malformed reply"
        return {"__failure__": wire.clean_text(detail if isinstance(detail, str) else repr(detail))}

    def loaded_libraries(self) -> str:
        """The worker's memory map, read by the kernel (the worker cannot fake it)."""
        if self.process is None:
            return ""
        pids = [self.process.pid]
        try:  # bwrap: the worker is a grandchild of the process we started
            for _ in range(3):
                with open(f"/proc/{pids[-1]}/task/{pids[-1]}/children") as f:
                    children = f.read().split()
                if not children:
                    break
                pids.append(int(children[0]))
            with open(f"/proc/{pids[-1]}/maps") as f:
                return f.read()
        except OSError:
            return ""


class StderrTail:
    """Drains the worker's stderr in a thread, keeping at most `cap` bytes (a flood cannot fill a disk
    or the runner's memory); the tail is shown, escaped, when the worker dies."""

    def __init__(self, cap: int = 1 << 20) -> None:
        self.cap, self.data, self.dropped = cap, bytearray(), 0
        self.thread: threading.Thread | None = None

    def follow(self, stream) -> None:
        self.data, self.dropped = bytearray(), 0
        self.thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self.thread.start()

    def _drain(self, stream) -> None:
        try:
            while chunk := os.read(stream.fileno(), 1 << 16):
                keep = max(0, self.cap - len(self.data))
                self.data += chunk[:keep]
                self.dropped += len(chunk) - min(keep, len(chunk))
        except (OSError, ValueError):
            pass
        finally:
            stream.close()

    def stop(self) -> None:
        if self.thread is not None:
            self.thread.join(timeout=5)

    def describe(self, lines: int = 5) -> str:
        text = self.data.decode("utf-8", "replace").strip().splitlines()[-lines:]
        if not text:
            return ""
        dropped = f" ({self.dropped} more bytes dropped)" if self.dropped else ""
        return f"; its stderr ends with{dropped}: " + wire.clean_text(" | ".join(text), limit=600)


def outcome_from_reply(reply: dict, n_args: int | None = None) -> Outcome:
    """Validate an untrusted reply into an Outcome; anything unexpected is a failure, never a pass.
    A reply carrying gradients carries one entry per case argument (None where there is none)."""
    if "crash" in reply or "timeout" in reply:
        detail = reply.get("crash") or reply.get("timeout")
        return Outcome(crashed=wire.clean_text(detail if isinstance(detail, str) else repr(detail)))
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
        return tuple(wire.clean_text(v) for v in value)

    try:
        if reply.get("not_implemented") is not None:
            return Outcome(not_implemented=wire.clean_text(str(reply["not_implemented"])))
        params = reply.get("param_grads") or {}
        if not isinstance(params, dict) or not all(v is None or isinstance(v, np.ndarray) for v in params.values()):
            raise TypeError("bad param_grads")
        grads = arrays(reply.get("grads", []))
        if grads and n_args is not None and len(grads) != n_args:
            raise TypeError(f"{len(grads)} gradients for {n_args} inputs")
        warned = reply.get("warnings") or []
        if not isinstance(warned, list) or not all(isinstance(w, str) for w in warned):
            raise TypeError("bad warnings field")
        return Outcome(outputs=arrays(reply.get("outputs", []), allow_none=False), grads=grads,
                       param_grads=params, error=error(reply.get("error")),
                       backward_error=error(reply.get("backward_error")),
                       warnings=[wire.clean_text(w) for w in warned[:8]])
    except TypeError as exc:
        return Outcome(crashed=f"malformed reply from the worker ({exc})")


def resolve_impl(spec: str) -> str:
    """The real path of the implementation's package directory or module file, found without
    importing it (so no student code runs here)."""
    if os.path.sep in spec or spec.endswith(".py") or os.path.isdir(spec):
        if not os.path.exists(spec):
            raise ImplementationError(f"--impl {spec}: no such file or directory")
        return os.path.realpath(spec)
    top, _, rest = spec.partition(".")
    try:
        found = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        found = None
    if found is None or not (found.origin or found.submodule_search_locations):
        raise ImplementationError(f"--impl {spec}: cannot import it (no module named {top!r}); pass a module "
                                  "name on sys.path, a .py file, or a package directory")
    base = (list(found.submodule_search_locations)[0] if found.submodule_search_locations
            else found.origin)
    for part in rest.split(".") if rest else []:
        package = os.path.join(base, part)
        base = package if os.path.isdir(package) else package + ".py"
    if not os.path.exists(base):
        raise ImplementationError(f"--impl {spec}: cannot import it (no file at {base})")
    return os.path.realpath(base)


def is_trusted(spec: str) -> bool:
    """Only this checkout's own `tiny` package is trusted code (whatever else is named tiny)."""
    try:
        return resolve_impl(spec) == os.path.realpath(os.path.join(PROJECT_ROOT, "tiny"))
    except ImplementationError:
        return False


def should_isolate(spec: str, isolate: bool | None = None) -> bool:
    return not is_trusted(spec) if isolate is None else isolate


def make_executor(spec: str, isolate: bool | None = None, **options: Any):
    """In-process for this checkout's tiny, a sandboxed worker for anything else (unless told otherwise)."""
    if should_isolate(spec, isolate):
        return WorkerExecutor(spec, **options)
    options.pop("unsafe_same_user", None)
    return InProcessExecutor(spec)
