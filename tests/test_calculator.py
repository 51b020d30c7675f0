"""The calculator tool: exact arithmetic, and hostile input refused quickly and safely."""

from __future__ import annotations

import time

import pytest

from align.tools import calculator, evaluate, run_tool_call


@pytest.mark.parametrize("expression, expected", [
    ("2 + 3 * 4", "14"), ("48/2", "24"), ("7 / 2", "3.5"), ("(1 + 2) * -3", "-9"), ("17 // 5", "3"),
    ("17 % 5", "2"), ("2 ** 10", "1024"), ("2 ** -1", "0.5"), ("0.2 * 50", "10"), ("1,000 + 5", "1005"),
    ("12345678901234567890 * 10", "123456789012345678900"), ("-(-3)", "3"), ("1 / 3", "0.3333333333"),
])
def test_arithmetic(expression, expected):
    assert calculator(expression) == expected


@pytest.mark.parametrize("expression", [
    "9**9**9", "10**1000000", "2**1001", "(10**99)*(10**99)", "1e308 * 10",  # huge results
    "1/0", "5 // 0", "5 % 0", "0 ** -1",                                   # division by zero
    "__import__('os').system('echo hi')", "open('/etc/passwd')", "x", "x + 1",  # code and names
    "(1).__class__", "().__class__.__bases__", "[1, 2]", "{1: 2}", "lambda: 1",  # attributes, containers
    "'a' * 3", "True + 1", "1j * 2", "1 if 1 else 2", "1 < 2", "1,2",          # other types and syntax
    "1 + " * 100 + "1", "(" * 500 + "1" + ")" * 500, "", "   ",                # too long, empty
    "(-8) ** 0.5",
])
def test_hostile_input_is_refused_quickly(expression):
    start = time.perf_counter()
    out = calculator(expression)
    assert out.startswith("error:"), (expression, out)
    assert "\n" not in out
    assert time.perf_counter() - start < 0.1


def test_evaluate_never_uses_eval(monkeypatch):
    import builtins

    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    assert evaluate("6 * 7") == 42


def test_run_tool_call():
    assert run_tool_call('{"name": "calculator", "arguments": {"expression": "12 * 12"}}') == "144"
    assert run_tool_call('{"type": "function", "function": {"name": "calculator", '
                         '"arguments": "{\\"expression\\": \\"1+1\\"}"}}') == "2"
    for bad in ["not json", "[]", '{"name": "shell", "arguments": {"cmd": "rm -rf /"}}',
                '{"name": "calculator", "arguments": {"code": "1"}}', '{"name": "calculator", "arguments": 3}',
                '{"name": "calculator", "arguments": {"expression": "' + "9" * 2000 + '"}}', "[" * 10000]:
        out = run_tool_call(bad)
        assert out.startswith("error:"), (bad[:40], out)
