"""Does the completion's code pass the tests? The last ```python block, run in the sandbox against the row's tests.

Test format: the dataset column ``tests`` holds, per row, a list of Python statements, usually asserts
(MBPP's ``test_list`` style), e.g. ``["assert add(1, 2) == 3", "assert add(-1, 1) == 0"]``; a single string is
one test. They run after the solution, in its namespace, in one sandboxed process per completion; each test
passes when it runs without an exception. The reward is the fraction that pass (0.0 when there is no python
block), None when the row has no tests.

Reward hacking: a solution that exits early or raises passes nothing, and pass marks carry a random nonce; but
code that runs in the same process as its tests can, with enough introspection, fake results (objects equal to
everything, reading the nonce from the harness's frame). Read high code rewards with that in mind.
"""

from __future__ import annotations

import os
import secrets
from concurrent.futures import ThreadPoolExecutor

from align.rewards.base import column, completion_text
from align.rewards.registry import register
from align.rewards.sandbox import run_python

FENCE = "```"
MAX_TESTS = 100

HARNESS = """\
import sys as _sys
_ns = {{"__name__": "__main__"}}
try:
    exec(compile({solution!r}, "solution.py", "exec"), _ns)
except BaseException:
    import traceback
    traceback.print_exc()
    _sys.exit(1)
for _i, _test in enumerate({tests!r}):
    try:
        exec(compile(_test, "test_%d.py" % _i, "exec"), _ns)
    except BaseException as _err:
        print("test %d failed: %s: %s" % (_i, type(_err).__name__, _err), file=_sys.stderr)
    else:
        print("{nonce} %d passed" % _i, flush=True)
"""


def last_python_block(text: str) -> str | None:
    """The body of the last closed ```python (or ```py) block in ``text``; None when there is none."""
    segments = text.split(FENCE)
    # Fences pair up in order: segments 1, 3, 5... lie between an opening and a closing fence.
    for segment in reversed(segments[1:len(segments) - 1:2] if len(segments) % 2 else segments[1:-1:2]):
        header, newline, body = segment.partition("\n")
        if newline and header.strip().lower() in ("python", "py", "python3"):
            return body
    return None


def _tests(value) -> list[str] | None:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        return None
    tests = [t for t in value if isinstance(t, str) and t.strip()]
    return tests[:MAX_TESTS] or None


def score_code(solution: str | None, tests: list[str], timeout: float, memory_mb: int) -> float:
    """Fraction of ``tests`` that pass after ``solution`` (0.0 without a solution)."""
    if solution is None:
        return 0.0
    nonce = secrets.token_hex(16)
    result = run_python(HARNESS.format(solution=solution, tests=tests, nonce=nonce), timeout=timeout,
                        memory_mb=memory_mb)
    passed = {line.split()[1] for line in result.stdout.splitlines()
              if line.startswith(nonce + " ") and line.endswith(" passed") and len(line.split()) == 3}
    return len(passed & {str(i) for i in range(len(tests))}) / len(tests)


@register("code_execution")
def code_execution(prompts, completions, completion_ids=None, *, tests_column: str = "tests", timeout: float = 5.0,
                   memory_mb: int = 512, workers: int = 0, **kwargs) -> list[float | None]:
    """Fraction of the row's tests that the last ```python block passes (sandboxed); None without tests.
    ``workers`` sandboxes run at once (0: one per CPU core, at most 8)."""
    if not (isinstance(timeout, (int, float)) and timeout > 0 and isinstance(memory_mb, int) and memory_mb > 0):
        raise ValueError(f"need timeout > 0 and memory_mb > 0, got timeout={timeout!r}, memory_mb={memory_mb!r}")
    if not isinstance(workers, int) or workers < 0:
        raise ValueError(f"workers must be a non-negative integer, got {workers!r}")
    all_tests = column(kwargs, tests_column, len(completions), "code_execution")
    jobs = [(last_python_block(completion_text(c)), _tests(t)) for c, t in zip(completions, all_tests)]

    def score(job) -> float | None:
        solution, tests = job
        return None if tests is None else score_code(solution, tests, timeout, memory_mb)

    workers = workers or min(8, os.cpu_count() or 1)
    if workers == 1 or sum(s is not None and t is not None for s, t in jobs) <= 1:
        return [score(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(score, jobs))
