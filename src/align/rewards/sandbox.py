"""Run untrusted Python (model-written code) in a throwaway, locked-down process: ``run_python(code)``.

Layers, each independent of the others (``sandbox_layers()`` reports which are in force on this machine):

1. **A fresh interpreter**: ``python -I -S -B`` (isolated mode: no ``PYTHON*`` variables, no site or user
   packages, so only the standard library), an EMPTY environment (nothing of the parent's, e.g. no
   ``HF_TOKEN``), stdin from /dev/null, stdout/stderr to size-capped files, a new session (own process group),
   and a fresh temporary working directory, deleted afterwards.
2. **Resource limits** (``setrlimit``): address space (``memory_mb``), CPU seconds, size of written files
   (also caps stdout/stderr), open files, processes and threads (``max_processes``). They are set by the child
   before the user's code, not in ``preexec_fn``: ``preexec_fn`` can deadlock when the parent has threads (a
   trainer does), and a process limit set after entering the user namespace (4) counts only that sandbox's
   processes. Dropped capabilities (5) keep the code from raising them.
3. **Another user**: when the parent runs as root, the child runs as ``nobody``: root is exempt from the
   process limit, and root's files are off limits to ``nobody``. (Needs an interpreter that ``nobody`` can
   execute; the system ``python3`` is used when the parent's lives under ``/root``.)
4. **Namespaces**: ``unshare --user --map-root-user --net --pid --mount --mount-proc --fork --kill-child``. No
   network (a down loopback only, so even 127.0.0.1 is unreachable), no view of other processes, and when the
   first process of the namespace dies the kernel kills every process in it: fork bombs and children that
   ``setsid`` out of the process group die with the sandbox.
5. **Read-only file system**: inside its mount namespace the child remounts every mount read-only except its
   working directory, then sets no_new_privs and drops all capabilities (so it cannot remount).
6. **An audit hook** (``sys.addaudithook``; it cannot be removed): refuses writes outside the working
   directory, reads outside it and the standard library, sockets, subprocesses, exec, fork, signals, ctypes and
   sub-interpreters. A Python-level hook is not a security boundary (CPython's documentation says so: code can
   subvert the stdlib functions it calls); it stops accidents and the obvious and it is the only one of these
   layers that still holds where 3-5 are unavailable.
7. **A wall-clock timeout**: the process group is SIGKILLed (and with 4, the whole pid namespace).

Where ``unshare`` is missing or user namespaces are disabled, 4 and 5 are off: the audit hook is then what
stops network access, and a child that leaves its process group survives the group kill (bounded by the CPU
limit). For a non-root parent 3 is off, and the process limit counts all of that user's processes.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

NAMESPACE_FLAGS = ("--user", "--map-root-user", "--net", "--pid", "--mount", "--mount-proc", "--fork",
                   "--kill-child")
SANDBOX_USER = 65534  # nobody
UNSHARE_NOISE = "unshare: sigprocmask unblock failed: Invalid argument\n"  # util-linux 2.38, child killed
CHILD_SOURCE = Path(__file__).with_name("sandbox_child.py").read_text()


@dataclass(frozen=True)
class SandboxResult:
    ok: bool
    """The code ran to the end (exit status 0) within the time limit."""
    stdout: str
    stderr: str
    returncode: int | None
    """Exit status: -9 after a timeout; None when the sandbox could not start. (Inside the namespaces a process
    killed by a signal, e.g. at the hard CPU limit, shows as 1: ``unshare``'s status.)"""
    timed_out: bool


@dataclass(frozen=True)
class _Setup:
    """How children are started on this machine (probed once per process)."""

    interpreter: str
    user: int | None
    prefix: tuple[str, ...]
    readonly: bool


def run_python(code: str, *, timeout: float = 5.0, memory_mb: int = 512, max_processes: int = 32,
               max_file_mb: int = 16, max_output_chars: int = 100_000, audit_hook: bool = True) -> SandboxResult:
    """Run ``code`` in the sandbox (see the module docstring); never raises because of what ``code`` does.

    ``audit_hook=False`` leaves out layer 6, to check that the operating-system layers hold on their own.
    """
    if not (timeout > 0 and memory_mb > 0 and max_processes > 0 and max_file_mb > 0):
        raise ValueError("timeout, memory_mb, max_processes and max_file_mb must be positive")
    setup = _setup()
    return _run(setup, code, timeout=timeout, memory_mb=memory_mb, max_processes=max_processes,
                max_file_mb=max_file_mb, max_output_chars=max_output_chars, audit_hook=audit_hook)


def _run(setup: _Setup, code: str, *, timeout: float, memory_mb: int, max_processes: int, max_file_mb: int,
         max_output_chars: int, audit_hook: bool) -> SandboxResult:
    cpu = math.ceil(timeout) + 1
    limits = {"as": [memory_mb << 20] * 2, "cpu": [cpu, cpu + 1], "fsize": [max_file_mb << 20] * 2,
              "nofile": [64, 64], "nproc": [max_processes] * 2, "core": [0, 0]}
    config = {"source": "solution_source", "limits": limits, "readonly": setup.readonly, "audit": audit_hook}
    workdir = tempfile.mkdtemp(prefix="align-sandbox-")
    outdir = tempfile.mkdtemp(prefix="align-sandbox-out-")
    try:
        Path(workdir, config["source"]).write_bytes(str(code).encode("utf-8", "surrogatepass"))
        if setup.user is not None:
            os.chown(workdir, setup.user, setup.user)
            os.chown(Path(workdir, config["source"]), setup.user, setup.user)
        out_path, err_path = Path(outdir, "stdout"), Path(outdir, "stderr")
        with out_path.open("wb") as out, err_path.open("wb") as err:
            command = [*setup.prefix, setup.interpreter, "-I", "-S", "-B", "-u", "-c", CHILD_SOURCE,
                       json.dumps(config)]
            returncode, timed_out = _spawn(command, workdir, out, err, setup.user, timeout, bool(setup.prefix))
        stdout, stderr = (_read(p, max_output_chars) for p in (out_path, err_path))
        stderr = stderr.replace(UNSHARE_NOISE, "")
    except OSError as err:
        return SandboxResult(False, "", f"sandbox: could not run: {err}", None, False)
    finally:
        _remove(workdir)
        _remove(outdir)
    return SandboxResult(returncode == 0 and not timed_out, stdout, stderr, -9 if timed_out else returncode,
                         timed_out)


def _spawn(command, workdir, out, err, user, timeout, namespaced) -> tuple[int, bool]:
    """Start, wait at most ``timeout`` seconds, then SIGKILL everything that is left either way."""
    ids = {} if user is None else {"user": user, "group": user, "extra_groups": []}
    proc = subprocess.Popen(command, cwd=workdir, env={}, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                            start_new_session=True, close_fds=True, **ids)
    try:
        timed_out = not _wait(proc.pid, timeout)
    finally:
        if namespaced:
            # Kill the namespace's first process: the kernel kills the rest, and unshare reaps it and exits
            # (killing unshare first would leave that process a zombie for the host's init to reap).
            for child in _children(proc.pid):
                _kill(lambda pid=child: os.kill(pid, signal.SIGKILL))
            _wait(proc.pid, 2.0)
        _kill(lambda: os.killpg(proc.pid, signal.SIGKILL))
        returncode = proc.wait()
    return returncode, timed_out


def _wait(pid: int, seconds: float) -> bool:
    """Wait up to ``seconds`` for ``pid`` to exit, without reaping it (so its group id cannot be reused yet)."""
    deadline = time.monotonic() + seconds
    while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


def _kill(send) -> None:
    try:
        send()
    except (ProcessLookupError, PermissionError):
        pass


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def _read(path: Path, max_chars: int) -> str:
    with path.open("rb") as f:
        data = f.read(4 * max_chars + 4)
    return data.decode("utf-8", "replace")[:max_chars]


def _remove(path: str) -> None:
    def writable(func, target, _exc):  # the code may have left read-only directories behind
        try:
            os.chmod(target if os.path.isdir(target) else os.path.dirname(target), stat.S_IRWXU)
            func(target)
        except OSError:
            pass

    shutil.rmtree(path, onerror=writable)


@functools.lru_cache(maxsize=1)
def _setup() -> _Setup:
    """The strongest set-up that works here: each candidate, strongest first, is tried on a tiny program."""
    candidates = []
    for user in ([SANDBOX_USER, None] if os.geteuid() == 0 else [None]):
        interpreter = _interpreter(user)
        if interpreter is not None:
            candidates += _candidates(interpreter, user)
    candidates = candidates or [_Setup(sys.executable, None, (), False)]
    for setup in candidates:
        result = _run(setup, "print('ok')", timeout=10, memory_mb=512, max_processes=32, max_file_mb=1,
                      max_output_chars=100, audit_hook=True)
        if result.ok and result.stdout.strip() == "ok":
            if setup is not candidates[0]:
                logger.warning("sandbox: weaker set-up in use (%s); see align.rewards.sandbox", _describe(setup))
            return setup
        logger.info("sandbox: set-up %s unavailable: %s", _describe(setup),
                    result.stderr.strip().splitlines()[-1:] or result.returncode)
    return candidates[-1]


def _candidates(interpreter: str, user: int | None) -> list[_Setup]:
    unshare = shutil.which("unshare") or next(
        (p for p in ("/usr/bin/unshare", "/bin/unshare") if os.path.exists(p)), None)
    candidates = []
    if unshare:
        candidates += [_Setup(interpreter, user, (unshare, *NAMESPACE_FLAGS), True),
                       _Setup(interpreter, user, (unshare, *NAMESPACE_FLAGS), False),
                       _Setup(interpreter, user, (unshare, "--user", "--map-root-user", "--net", "--pid", "--fork",
                                                  "--kill-child"), False)]
    return [*candidates, _Setup(interpreter, user, (), False)]


def _describe(setup: _Setup) -> str:
    user = "as nobody" if setup.user is not None else "as this user"
    return f"{' '.join(setup.prefix) or 'no namespaces'}, {user}, read-only fs: {setup.readonly}"


def _interpreter(user: int | None) -> str | None:
    """A Python >= 3.8 the sandbox user can execute (any path will do for the current user)."""
    candidates = [sys.executable, getattr(sys, "_base_executable", None), shutil.which("python3"),
                  "/usr/bin/python3", "/usr/local/bin/python3"]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            path = os.path.realpath(candidate)
            if user is None or _world_executable(path):
                return path
    return None


def _world_executable(path: str) -> bool:
    """Every directory above ``path`` searchable, and ``path`` executable, by any user."""
    parts = Path(path).parts
    for i in range(1, len(parts) + 1):
        mode = os.stat(Path(*parts[:i])).st_mode
        if not mode & stat.S_IXOTH:
            return False
    return bool(os.stat(path).st_mode & stat.S_IROTH)


PROBE = r"""
import os, socket, sys
report = {"uid": os.getuid(), "pid": os.getpid(), "env": sorted(os.environ)}
try:
    socket.create_connection(("127.0.0.1", 9), timeout=1)
    report["network"] = True
except OSError as err:
    report["network"] = "unreachable" not in str(err)
report["readonly_root"] = bool(os.statvfs("/").f_flag & os.ST_RDONLY)
with open("written", "w") as f:
    report["writable_cwd"] = f.write("x") == 1
with open("/proc/self/status") as f:
    report["caps"] = [line.split()[1] for line in f if line.startswith("CapEff")][0]
import json; print(json.dumps(report))
"""


def sandbox_layers() -> dict[str, bool | str]:
    """Which layers are in force here (probed by running a program in the sandbox without the audit hook)."""
    setup = _setup()
    result = run_python(PROBE, timeout=10, audit_hook=False)
    try:
        report = json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"probe": f"failed: {result.stderr.strip()[-200:]}"}
    return {
        "interpreter": setup.interpreter,
        "empty_environment": set(report["env"]) <= {"LC_CTYPE"},  # set by Python itself (PEP 538)
        "other_user": setup.user is not None,
        "namespaces": " ".join(f for f in setup.prefix if f.startswith("--")) or False,
        "no_network": report["network"] is False,
        "own_pid_namespace": report["pid"] == 1,
        "readonly_filesystem": bool(report["readonly_root"]) and bool(report["writable_cwd"]),
        "no_capabilities": int(report["caps"], 16) == 0,
        "audit_hook": True,
        "resource_limits": True,
    }
