"""Confinement of the isolated worker, built on existing OS mechanisms (never on checks inside the worker).

Modes, chosen once per run (`choose_mode`):
- "bwrap": bubblewrap (Debian package `bubblewrap`). The worker sees a read-only view of the system, the
  Python installation and `difftests/` only (the checkout's `tiny/` and `reference/`, torch, every other
  path and every output file are absent), a private size-limited tmpfs /tmp as its cwd, no network, its
  own PID namespace with a fresh /proc (the runner is invisible), a dedicated unprivileged uid (as root;
  otherwise a user namespace), a new session, and the whole process tree dies with it.
- "uid": no working bwrap but the runner is root: the worker runs as a dedicated unprivileged uid/gid
  (setpriv), in its own session with PR_SET_PDEATHSIG; at the end of a case every process of that uid is
  killed. It can still read world-readable files and use the network (see the README).
- "unsafe": same user as the runner (`--unsafe-same-user`): only process boundaries and rlimits.
Every mode applies rlimits (CPU time, address space, file size, open files, processes) in the child.
`DIFFTESTS_SANDBOX=bwrap|uid` forces a mode (tests of the uid fallback use it).
"""
from __future__ import annotations

import importlib.util
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODES = ("bwrap", "uid", "unsafe")
SOLUTION_PACKAGES = ("tiny", "reference")          # of the trusted checkout: the answer key and the twins
FORBIDDEN_PACKAGES = ("torch", "functorch", "torchgen")


class SandboxUnavailable(Exception):
    """No isolation mechanism is available and --unsafe-same-user was not given."""


@dataclass
class Limits:
    """rlimits of the worker process (and everything it starts)."""
    memory_mb: int = 4096        # RLIMIT_AS
    cpu_seconds: int = 1800      # RLIMIT_CPU over the worker's life (it is restarted after a kill)
    file_mb: int = 64            # RLIMIT_FSIZE, also the size of the private /tmp
    open_files: int = 256        # RLIMIT_NOFILE
    processes: int = 64          # RLIMIT_NPROC (per uid: the dedicated uid in bwrap and uid modes)

    def apply(self) -> None:
        """In the child, before exec: the limits survive exec and setuid."""
        mb = 1024 * 1024
        pairs = [(resource.RLIMIT_CPU, (self.cpu_seconds, self.cpu_seconds + 5)),
                 (resource.RLIMIT_FSIZE, (self.file_mb * mb,) * 2),
                 (resource.RLIMIT_NOFILE, (self.open_files,) * 2),
                 (resource.RLIMIT_NPROC, (self.processes,) * 2),
                 (resource.RLIMIT_CORE, (0, 0))]
        if self.memory_mb > 0:
            pairs.append((resource.RLIMIT_AS, (self.memory_mb * mb,) * 2))
        for which, value in pairs:
            resource.setrlimit(which, value)


@lru_cache(maxsize=None)
def bwrap_works() -> bool:
    """bubblewrap is installed and can create the namespaces we need here (containers may forbid it)."""
    if shutil.which("bwrap") is None:
        return False
    probe = ["bwrap", "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net", "--die-with-parent",
             "--proc", "/proc", "--dev", "/dev"]
    if os.geteuid() != 0:
        probe += ["--unshare-user"]
    try:
        return subprocess.run(probe + ["true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def choose_mode(unsafe_same_user: bool = False) -> str:
    """The strongest available mode; SandboxUnavailable when none is and unsafe mode was not asked for."""
    forced = os.environ.get("DIFFTESTS_SANDBOX", "auto")
    if forced not in ("auto", *MODES):
        raise SandboxUnavailable(f"DIFFTESTS_SANDBOX={forced!r}: expected auto, bwrap, uid or unsafe")
    if unsafe_same_user or forced == "unsafe":
        return "unsafe"
    if forced in ("auto", "bwrap") and bwrap_works():
        return "bwrap"
    if forced in ("auto", "uid") and os.geteuid() == 0 and shutil.which("setpriv"):
        blocked = _not_world_searchable()
        if blocked:
            raise SandboxUnavailable(
                f"the dedicated-uid fallback cannot reach the interpreter, the venv or difftests/: {blocked} "
                "is not readable by other users (install bubblewrap, or put them in world-readable directories)")
        return "uid"
    if forced != "auto":
        raise SandboxUnavailable(f"DIFFTESTS_SANDBOX={forced}: that mode is not available here "
                                 f"({'bwrap missing or not permitted' if forced == 'bwrap' else 'not root'})")
    raise SandboxUnavailable(
        "cannot isolate the implementation under test: bubblewrap (`bwrap`) is missing or cannot create "
        "namespaces here, and the runner is not root (needed for the dedicated-uid fallback). Install "
        "bubblewrap (`apt-get install bubblewrap`), run as root, or pass --unsafe-same-user to run student "
        "code as your own user (it could then forge results).")


def _not_world_searchable(*more: str) -> str | None:
    """The first directory on the way to the interpreter, the venv, difftests/ (or `more`) another user
    cannot enter (e.g. /root is 0700 and pyenv lives there), or None."""
    for target in (os.path.realpath(sys.executable), sys.prefix, sys.base_prefix, PROJECT_ROOT, *more):
        path = os.sep
        for part in target.strip(os.sep).split(os.sep)[:-1] if os.path.isfile(target) else \
                target.strip(os.sep).split(os.sep):
            path = os.path.join(path, part)
            if not os.stat(path).st_mode & 0o001:
                return path
    return None


def _module_location(name: str) -> str | None:
    """Where `import name` resolves in this (trusted) process, without importing it."""
    module = sys.modules.get(name)
    try:
        spec = module.__spec__ if module is not None else importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return os.path.realpath(list(spec.submodule_search_locations)[0])
    return os.path.realpath(spec.origin) if spec.origin and os.path.exists(spec.origin) else None


def forbidden_paths() -> list[str]:
    """Files the worker must neither see nor import: the checkout's solution and twins, torch."""
    paths = {os.path.realpath(os.path.join(PROJECT_ROOT, name)) for name in SOLUTION_PACKAGES}
    for name in (*SOLUTION_PACKAGES, *FORBIDDEN_PACKAGES):
        location = _module_location(name)
        if location:
            paths.add(location)
    return sorted(p for p in paths if os.path.exists(p))


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def impl_view(impl_path: str) -> str:
    """What of the implementation the worker sees: a package directory, or a module's directory
    (adapters import siblings) unless that directory holds the checkout itself."""
    if os.path.isdir(impl_path):
        return impl_path
    folder = os.path.dirname(impl_path)
    return impl_path if _within(PROJECT_ROOT, folder) else folder


@dataclass
class Sandbox:
    """Wraps the worker's command line for one mode; one instance per worker process."""
    mode: str
    impl_path: str | None = None          # realpath of the implementation (None: a module on sys.path)
    limits: Limits = field(default_factory=Limits)
    uid: int = field(default_factory=lambda: random.randrange(1 << 24, 1 << 30))
    workdir: str = ""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown sandbox mode {self.mode!r}; expected one of {MODES}")
        blocked = _not_world_searchable(self.impl_path) if self.mode == "uid" and self.impl_path else None
        if blocked:
            raise SandboxUnavailable(f"the dedicated-uid fallback cannot read the implementation: {blocked} "
                                     "is not readable by other users")
        self.forbidden = [p for p in forbidden_paths()
                          if not (self.impl_path and (_within(self.impl_path, p) or _within(p, self.impl_path)))]

    # ----- the command ------------------------------------------------------------------------
    def command(self, argv: list[str]) -> list[str]:
        if self.mode == "bwrap":
            return self._bwrap_prefix() + ["--", *self._drop_privileges(), *argv]
        if self.mode == "uid":
            return self._drop_privileges() + argv
        return argv

    def _drop_privileges(self) -> list[str]:
        if os.geteuid() != 0:
            return []
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--pdeathsig=KILL", "--"]

    def _bwrap_prefix(self) -> list[str]:
        args = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
        if os.geteuid() == 0:
            args += ["--cap-add", "CAP_SETUID,CAP_SETGID,CAP_SETPCAP"]  # for setpriv, dropped by it
        else:
            args += ["--unshare-user", "--uid", "65534", "--gid", "65534", "--disable-userns"]
        size = str(self.limits.file_mb * 1024 * 1024)  # the private /tmp first: binds may sit below it
        args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", size, "--tmpfs", "/tmp"]
        for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"):
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                args += ["--ro-bind", top, top]
        made: set[str] = {"/tmp"}
        for path in self._visible_trees():
            args += self._parents(path, made) + ["--ro-bind", path, path]
        for path in self.forbidden:  # hidden even where a visible tree contains them
            if any(_within(path, tree) for tree in self._visible_trees()):
                args += (["--perms", "0000", "--tmpfs", path] if os.path.isdir(path)
                         else ["--ro-bind", "/dev/null", path])
        return args + ["--chdir", "/tmp", "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp"]

    @staticmethod
    def _parents(path: str, made: set[str]) -> list[str]:
        """bwrap creates missing mount points 0700; make the ancestors traversable (0755) first."""
        args, parts = [], path.strip(os.sep).split(os.sep)[:-1]
        for i in range(1, len(parts) + 1):
            parent = os.sep + os.sep.join(parts[:i])
            if parent not in made and not any(_within(parent, t) for t in ("/usr", "/etc")):
                made.add(parent)
                args += ["--perms", "0755", "--dir", parent]
        return args

    def _visible_trees(self) -> list[str]:
        """The Python installation, difftests/ and the implementation: read-only, at their own paths."""
        candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                      os.path.dirname(os.path.realpath(sys.executable)), os.path.join(PROJECT_ROOT, "difftests")}
        candidates |= {os.path.dirname(os.path.dirname(p)) for p in (os.path.realpath(sys.executable),)}
        if self.impl_path:
            candidates.add(impl_view(self.impl_path))
        real = sorted({os.path.realpath(p) for p in candidates if p and os.path.exists(p)} |
                      {p for p in candidates if p and os.path.exists(p)}, key=len)
        trees: list[str] = []
        for path in real:
            if path in ("/", PROJECT_ROOT) or any(_within(path, t) for t in trees) or \
                    any(_within(path, t) for t in ("/usr", "/etc")):
                continue
            trees.append(path)
        return trees

    # ----- the child's setup and the cleanup --------------------------------------------------
    def prepare(self) -> str:
        """The worker's working directory on the host (bwrap: a private tmpfs instead)."""
        self.workdir = tempfile.mkdtemp(prefix="difftests-worker-")
        if self.mode == "uid":
            os.chown(self.workdir, self.uid, self.uid)
        return self.workdir

    def preexec(self) -> None:
        self.limits.apply()

    def kill_leftovers(self) -> None:
        """uid mode: every process of the dedicated uid dies (a setsid daemon escapes the group)."""
        if self.mode != "uid":
            return
        for _ in range(5):
            subprocess.run(["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                            "kill", "-s", "KILL", "--", "-1"], capture_output=True, timeout=30)
            if not self._uid_processes():
                return

    def _uid_processes(self) -> list[int]:
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/status") as f:
                    uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
            except (OSError, StopIteration):
                continue
            if str(self.uid) in uids:
                found.append(int(pid))
        return found

    def cleanup(self) -> None:
        self.kill_leftovers()
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = ""
