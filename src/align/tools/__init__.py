"""Tools the assistant can call: a name -> function registry and one safe entry point to run a call."""

from align.tools.calculator import CalculatorError, calculator, evaluate
from align.tools.registry import TOOL_SCHEMAS, TOOLS, format_tool_call, parse_tool_call, run_tool_call, tool_schemas

__all__ = ["TOOLS", "TOOL_SCHEMAS", "CalculatorError", "calculator", "evaluate", "format_tool_call", "parse_tool_call",
           "run_tool_call", "tool_schemas"]
