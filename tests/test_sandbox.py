"""The sandbox against hostile code: each attack is contained within its time limit and the parent goes on.

Attacks that the operating-system layers must stop on their own run twice, with and without the audit hook;
the run without it is skipped where that layer is not available (``sandbox_layers()``).
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import tempfile
import time
from pathlib import Path

import pytest

from align.rewards.sandbox import _run, _Setup, _setup, run_python, sandbox_layers

MARGIN = 1.5
"""Seconds allowed beyond a time limit (process start and clean-up on a busy 2-core machine)."""
CHILD_MARKER = "align.rewards.sandbox"  # in the command line of every sandboxed interpreter


@pytest.fixture(scope="module")
def layers():
    return sandbox_layers()


def hook_modes(layer: str):
    """Run with the audit hook, and without it when the OS layer ``layer`` is in force."""
    return pytest.mark.parametrize("audit_hook", [True, pytest.param(False, id=f"os-only-{layer}")])


def need(layers, layer: str, audit_hook: bool):
    if not audit_hook and not layers.get(layer):
        pytest.skip(f"sandbox layer {layer!r} not available here")


def timed(code: str, **kwargs):
    start = time.monotonic()
    result = run_python(code, **kwargs)
    return result, time.monotonic() - start


def sandbox_processes() -> list[int]:
    """Live processes started by the sandbox (zombies have no command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if CHILD_MARKER.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def assert_parent_goes_on():
    result = run_python("print(6 * 7)", timeout=5)
    assert result.ok and result.stdout == "42\n", result


def test_runs_code_and_reports():
    result = run_python("import sys\nprint('out')\nprint('err', file=sys.stderr)")
    assert result.ok and result.stdout == "out\n" and "err" in result.stderr and result.returncode == 0
    failed = run_python("raise ValueError('boom')")
    assert not failed.ok and failed.returncode == 1 and "ValueError: boom" in failed.stderr
    exited = run_python("import sys; sys.exit(3)")
    assert exited.returncode == 3 and not exited.timed_out


def test_standard_library_only_and_garbage_code():
    assert run_python("import json, re, math, collections; print(json.dumps([1]))").stdout == "[1]\n"
    assert not run_python("import torch").ok  # isolated mode: no site-packages
    for code in ["def (:", "\x00", "\ud800", "x" * 100_000, ""]:
        result = run_python(code, timeout=5)
        assert result.returncode is not None and not result.timed_out


def test_infinite_loop_is_killed_at_the_time_limit():
    result, seconds = timed("while True:\n    pass\n", timeout=1)
    assert result.timed_out and not result.ok
    assert seconds < 1 + MARGIN
    assert_parent_goes_on()


def test_sleeping_children_die_with_the_sandbox(layers):
    need(layers, "own_pid_namespace", False)
    code = "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\nprint('parent done')\n"
    result, seconds = timed(code, timeout=3, audit_hook=False)
    assert result.ok and seconds < 3 + MARGIN
    time.sleep(0.3)
    assert sandbox_processes() == []


@hook_modes("own_pid_namespace")
def test_fork_bomb_is_contained(layers, audit_hook):
    need(layers, "own_pid_namespace", audit_hook)
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    result, seconds = timed(bomb, timeout=1, max_processes=8, audit_hook=audit_hook)
    assert result.timed_out and not result.ok
    assert seconds < 1 + MARGIN
    deadline = time.monotonic() + 2
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox_processes() == []
    assert_parent_goes_on()


def test_memory_bomb_is_stopped():
    code = "chunks = []\nwhile True:\n    chunks.append(bytearray(50 * 1024 * 1024))\n"
    result, seconds = timed(code, timeout=5, memory_mb=256)
    assert not result.ok and "MemoryError" in result.stderr
    assert seconds < 5 + MARGIN
    assert_parent_goes_on()


@hook_modes("no_network")
@pytest.mark.parametrize("host", ["127.0.0.1", "8.8.8.8"])
def test_no_network(layers, audit_hook, host):
    need(layers, "no_network", audit_hook)
    with socket.socket() as server:  # a real listener on the host's loopback: the child must not reach it
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1] if host == "127.0.0.1" else 53
        code = (f"import socket\ntry:\n    socket.create_connection(({host!r}, {port}), timeout=1)\n"
                "    print('connected')\nexcept OSError as err:\n    print('refused', err)\n")
        result, seconds = timed(code, timeout=3, audit_hook=audit_hook)
    assert "refused" in result.stdout and "connected" not in result.stdout, result
    assert seconds < 3 + MARGIN


WRITER = """
import os, shutil
canary = {canary!r}
attempts = [
    ("append", lambda: open(canary, "a").write("pwned")),
    ("overwrite", lambda: open(canary, "w").write("pwned")),
    ("os.open", lambda: os.write(os.open(canary, os.O_WRONLY | os.O_TRUNC), b"pwned")),
    ("remove", lambda: os.remove(canary)),
    ("rename", lambda: os.rename(canary, canary + ".moved")),
    ("new file", lambda: open(os.path.join(os.path.dirname(canary), "new.txt"), "w").write("x")),
    ("rmtree", lambda: shutil.rmtree(os.path.dirname(canary))),
    ("chmod", lambda: os.chmod(canary, 0o600)),
]
for name, attempt in attempts:
    try:
        attempt()
        print(name, "SUCCEEDED")
    except OSError as err:
        print(name, "refused", type(err).__name__)
with open("inside.txt", "w") as f:  # its own directory stays writable
    f.write("ok")
print("inside", open("inside.txt").read())
"""


def check_canary(directory: Path, audit_hook: bool):
    canary = directory / "canary.txt"
    canary.write_text("precious")
    canary.chmod(0o666)
    before = sorted(p.name for p in directory.iterdir())
    mtime = canary.stat().st_mtime_ns
    result, seconds = timed(WRITER.format(canary=str(canary)), timeout=5, audit_hook=audit_hook)
    assert "SUCCEEDED" not in result.stdout, result
    assert "inside ok" in result.stdout, result
    assert canary.read_text() == "precious" and canary.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in directory.iterdir()) == before
    assert seconds < 5 + MARGIN


@hook_modes("readonly_filesystem")
def test_no_writes_outside_its_directory(layers, tmp_path, audit_hook):
    need(layers, "readonly_filesystem", audit_hook)
    check_canary(tmp_path, audit_hook)


@hook_modes("readonly_filesystem")
def test_no_writes_to_a_world_writable_directory(layers, audit_hook):
    """pytest's tmp_path is private to its user; a world-writable directory leaves only the sandbox's layers."""
    need(layers, "readonly_filesystem", audit_hook)
    directory = Path(tempfile.mkdtemp(prefix="align-canary-"))
    try:
        directory.chmod(0o777 | stat.S_ISVTX)
        check_canary(directory, audit_hook)
    finally:
        shutil.rmtree(directory)


def test_working_directory_is_removed():
    result = run_python("import os\nprint(os.getcwd())\nopen('left.txt', 'w').write('x')\nos.mkdir('d')\n"
                        "os.chmod('d', 0)\n")
    assert result.ok, result
    # In a mount namespace the path printed is the child's view of the same directory.
    assert not Path(result.stdout.strip()).exists()


@hook_modes("empty_environment")
def test_parent_environment_is_not_visible(layers, monkeypatch, audit_hook):
    monkeypatch.setenv("HF_TOKEN", "secret-token-value")
    code = ("import os\nprint(sorted(os.environ.items()))\n"
            f"for path in ['/proc/{os.getpid()}/environ', '/proc/1/environ', '/proc/self/environ']:\n"
            "    try:\n        print(open(path, 'rb').read())\n"
            "    except OSError as err:\n        print(path, 'refused', err)\n")
    result, seconds = timed(code, timeout=5, audit_hook=audit_hook)
    assert result.returncode == 0 and seconds < 5 + MARGIN, result
    assert "secret-token-value" not in result.stdout + result.stderr
    assert "HF_TOKEN" not in result.stdout


def test_audit_hook_refuses_subprocesses_and_ctypes():
    code = """
import os
for name, attempt in [("system", lambda: os.system("echo hi")), ("fork", os.fork),
                      ("exec", lambda: os.execv("/bin/sh", ["sh"])), ("kill", lambda: os.kill(1, 9))]:
    try:
        attempt()
        print(name, "SUCCEEDED")
    except OSError as err:
        print(name, "refused")
for module in ["ctypes", "subprocess"]:
    try:
        __import__(module)
        print(module, "SUCCEEDED")
    except ImportError:
        print(module, "refused")
"""
    result = run_python(code)
    assert "SUCCEEDED" not in result.stdout and result.stdout.count("refused") == 6, result


def test_output_and_file_sizes_are_capped():
    result = run_python("print('x' * 10_000_000)", max_output_chars=1000, max_file_mb=1)
    assert len(result.stdout) <= 1000 and not result.ok
    big = run_python("open('big', 'wb').write(b'x' * 5_000_000)", max_file_mb=1)
    assert not big.ok


def test_fallback_without_namespaces(monkeypatch):
    """Where unshare is unavailable: the hook stops the network, the group kill stops loops, env stays empty."""
    monkeypatch.setenv("HF_TOKEN", "secret-token-value")
    setup = _setup()
    plain = _Setup(setup.interpreter, setup.user, (), False)
    limits = {"memory_mb": 256, "max_processes": 8, "max_file_mb": 1, "max_output_chars": 10_000}
    code = ("import os, socket\nprint(dict(os.environ))\ntry:\n    socket.create_connection(('127.0.0.1', 9))\n"
            "except OSError as err:\n    print('refused', err)\n")
    result = _run(plain, code, timeout=5, audit_hook=True, **limits)
    assert result.ok and "refused" in result.stdout and "secret" not in result.stdout, result
    start = time.monotonic()
    looped = _run(plain, "while True: pass", timeout=1, audit_hook=True, **limits)
    assert looped.timed_out and time.monotonic() - start < 1 + MARGIN


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        run_python("print(1)", timeout=0)
