"""A request's JSON body as the records service takes it, or why it cannot be read.

Standard JSON only: NaN and Infinity are refused, as every other JSON reader refuses
them. Numbers with a fraction or an exponent are read exactly (decimal.Decimal) and
turned into floats where one holds them; one that no float holds (1e400) or that a
float would turn into 0 (1e-400) is left as it was read, for the records service to
refuse naming its field. Nesting is bounded: a body deeper than MAX_DEPTH is refused
before anything walks it recursively.
"""

from __future__ import annotations

import contextlib
import decimal
import json
from typing import Any

from engine.numbers import OutOfRange, json_number

MAX_DEPTH = 64  # far deeper than a record with lines and a multiselect needs


class Unreadable(ValueError):
    """The body is not standard JSON, or nests deeper than MAX_DEPTH."""


def read_body(data: bytes) -> Any:
    """The body's value; Unreadable with the reason when it cannot be taken."""
    try:
        value = json.loads(data, parse_constant=_no_constant, parse_float=decimal.Decimal)
    except RecursionError:
        raise Unreadable(f"The body nests deeper than {MAX_DEPTH} levels.") from None
    except ValueError:
        raise Unreadable("The body must be JSON (Content-Type: application/json).") from None
    return _plain(value)


def _plain(value: Any) -> Any:
    """The value with its decimals as JSON numbers, walked without recursion."""
    root = [value]
    stack: list[tuple[Any, Any, int]] = [(root, 0, 0)]
    while stack:
        holder, key, depth = stack.pop()
        item = holder[key]
        if isinstance(item, decimal.Decimal):
            with contextlib.suppress(OutOfRange):  # named by its field when it is checked
                holder[key] = json_number(item)
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise Unreadable(f"The body nests deeper than {MAX_DEPTH} levels.")
            keys = item.keys() if isinstance(item, dict) else range(len(item))
            stack.extend((item, k, depth + 1) for k in keys)
    return root[0]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
