"""Quantities from text, by a small grammar: parsed, never executed.

Accepted: a number, optionally followed by a unit expression made of Brian2 unit names, ``*``,
``/``, ``**`` with a numeric exponent, and parentheses::

    0.5    50/second    0.5*ms    2 ms    500ms    1e-3 second    10*mV/ms    1/second**0.5

(``^`` is read as ``**``, as Brian2 prints units: ``0.001 s^-0.5``.)

The text is read by Python's ``ast`` parser and evaluated by a walker that knows exactly the
node types above (numbers, unit names, the three operators, unary minus and plus); any other
node (a call, an attribute, a subscript, a string, a name that is not a Brian2 unit) is refused
with one line. Nothing is passed to ``eval``.
"""

from __future__ import annotations

import ast
import functools
import math
import operator
import re

#: longest text accepted (a unit expression is short; this bounds the parser's work)
MAX_LENGTH = 200
#: largest exponent accepted after ``**``
MAX_EXPONENT = 12

_OPERATORS = {ast.Mult: operator.mul, ast.Div: operator.truediv, ast.Pow: operator.pow}
_NUMBER_THEN_UNIT = re.compile(
    r"\s*((?>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))\s*([A-Za-z_(].*)", re.S)


class UnitSyntaxError(ValueError):
    """The text is not a number with an optional unit expression."""


@functools.cache
def unit_namespace():
    """{name: Brian2 Unit}: every unit Brian2 exports, and ``s`` for second."""
    import brian2.units as units
    import brian2.units.allunits as allunits
    from brian2 import Unit

    names = {}
    for module in (allunits, units):
        for name in dir(module):
            value = getattr(module, name)
            if not name.startswith("_") and isinstance(value, Unit):
                names[name] = value
    names.setdefault("s", units.second)
    return names


def parse_quantity(text):
    """A number or a Brian2 Quantity from ``text``; UnitSyntaxError for anything else.

    >>> parse_quantity("2 ms")
    2. * msecond
    """
    if not isinstance(text, str):
        raise UnitSyntaxError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise UnitSyntaxError(f"longer than {MAX_LENGTH} characters")
    text = text.replace("^", "**")  # as Brian2 prints units: 's^-0.5'
    match = _NUMBER_THEN_UNIT.fullmatch(text)
    if match:  # '2 ms', '500ms', '1e-3 second': number times unit expression
        text = f"{match.group(1)} * ({match.group(2)})"
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise UnitSyntaxError("not a number with a unit") from None
    return _evaluate(tree.body)


def _evaluate(node):
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise UnitSyntaxError(f"{node.value!r} is not a number")
        return float(node.value)
    if isinstance(node, ast.Name):
        units = unit_namespace()
        if node.id not in units:
            raise UnitSyntaxError(f"'{node.id}' is not a Brian2 unit")
        return units[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _evaluate(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left = _evaluate(node.left)
        if isinstance(node.op, ast.Pow):
            right = _exponent(node.right)
        else:
            right = _evaluate(node.right)
        try:
            value = _OPERATORS[type(node.op)](left, right)
        except (ZeroDivisionError, OverflowError, ValueError) as exc:
            raise UnitSyntaxError(str(exc)) from None
        return value
    raise UnitSyntaxError(f"'{ast.unparse(node)}' is not allowed (only numbers, unit names, "
                          "*, / and ** with a number)")


def _exponent(node):
    """The right side of ``**``: a plain number (optionally negative), not too large."""
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        node = node.operand
    if not (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool)):
        raise UnitSyntaxError("the exponent after ** must be a number")
    value = sign * float(node.value)
    if not math.isfinite(value) or abs(value) > MAX_EXPONENT:
        raise UnitSyntaxError(f"exponent {value:g} is out of range (at most {MAX_EXPONENT})")
    return value


def format_number(x, digits=15):
    """A float as text with at most ``digits`` significant digits ('0.1', '2000', '1e-05')."""
    return f"{float(x):.{digits}g}"
