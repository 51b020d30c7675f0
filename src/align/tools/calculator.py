"""A safe arithmetic calculator: the expression is parsed with ``ast`` and walked, never ``eval``-ed.

Only numbers, ``+ - * / // % **``, parentheses and unary minus/plus are accepted. Sizes are bounded
before anything is computed (expression length, exponent, result magnitude), so hostile input such as
``9**9**9`` is refused in microseconds instead of eating the machine.
"""

from __future__ import annotations

import ast
import math
import operator
import re

MAX_EXPRESSION_CHARS = 200
MAX_EXPONENT = 1000
MAX_MAGNITUDE = 10**100
"""Largest absolute value of any intermediate result (int or float)."""

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}


class CalculatorError(ValueError):
    """The expression is not plain arithmetic, or its result is out of bounds."""


def evaluate(expression: str) -> int | float:
    """The value of an arithmetic ``expression``; raises :class:`CalculatorError` for anything else."""
    if not isinstance(expression, str):
        raise CalculatorError("the expression must be a string")
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise CalculatorError(f"expression longer than {MAX_EXPRESSION_CHARS} characters")
    # People (and GSM8K) write thousands separators, x for times and ^ for powers.
    text = _THOUSANDS.sub("", expression).replace("×", "*").replace("^", "**").strip()
    if not text:
        raise CalculatorError("empty expression")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        raise CalculatorError("not an arithmetic expression") from err
    value = _eval(tree.body)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value


def calculator(expression: str) -> str:
    """The calculator tool: the result as text, or ``error: ...`` (it never raises on model output)."""
    try:
        return format_number(evaluate(expression))
    except CalculatorError as err:
        return f"error: {err}"


def format_number(value: int | float) -> str:
    """Integers as digits; other values with at most 10 significant digits (no exponent for usual sizes)."""
    if isinstance(value, int):
        return str(value)
    text = f"{value:.10g}"
    return text if "e" not in text else repr(value)


def _eval(node: ast.AST) -> int | float:
    if isinstance(node, ast.Constant):
        # type() not isinstance(): bool is an int subclass, and complex numbers are not arithmetic here.
        if type(node.value) in (int, float):
            return _bounded(node.value)
        raise CalculatorError(f"unsupported constant {node.value!r}")
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        op = type(node.op)
        if op in (ast.Div, ast.FloorDiv, ast.Mod) and right == 0:
            raise CalculatorError("division by zero")
        if op is ast.Pow:
            _check_power(left, right)
        if op is ast.Div and isinstance(left, int) and isinstance(right, int) and left % right == 0:
            return _bounded(left // right)  # exact for big integers, where float division would round
        try:
            return _bounded(_BINARY[op](left, right))
        except (OverflowError, ZeroDivisionError, ValueError) as err:
            raise CalculatorError(str(err)) from err
    raise CalculatorError(f"unsupported syntax: {type(node).__name__}")


def _check_power(base: int | float, exponent: int | float) -> None:
    # Checked before computing: 9**9**9 would otherwise run for minutes and use gigabytes.
    if abs(exponent) > MAX_EXPONENT:
        raise CalculatorError(f"exponent larger than {MAX_EXPONENT}")
    if base == 0 and exponent < 0:
        raise CalculatorError("division by zero")
    if isinstance(base, (int, float)) and abs(base) > 1 and exponent > 0:
        if exponent * math.log10(abs(base)) > math.log10(MAX_MAGNITUDE):
            raise CalculatorError("result too large")
    if base < 0 and not float(exponent).is_integer():
        raise CalculatorError("fractional power of a negative number")


def _bounded(value: int | float) -> int | float:
    if isinstance(value, float) and not math.isfinite(value):
        raise CalculatorError("result is not a finite number")
    if abs(value) > MAX_MAGNITUDE:
        raise CalculatorError("result too large")
    return value
