"""The condition language of `visible_if` and `required_if`.

A condition is parsed once into a small tree of plain lists (so it can be sent to
the browser as JSON), evaluated here in Python for the server, and translated to
JSON Schema for the validator. Nothing is ever passed to eval.

Tree nodes: ["and", a, b, ...], ["or", a, b, ...], ["not", a], ["truthy", f],
["empty", f], ["==", f, value], ["!=", f, value], ["<", f, n] (and <=, >, >=),
["in", f, [values]].
"""

from __future__ import annotations

import decimal
import re
from typing import Any

Condition = list

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<bad>\S)
    )""",
    re.VERBOSE,
)
_LITERALS = {"true": True, "false": False, "null": None}
_KEYWORDS = {"and", "or", "not", "in", "is", "empty", *_LITERALS}
_ORDER = {"<", "<=", ">", ">="}
_EMPTY = (None, "", [])


class ConditionError(ValueError):
    """A condition that cannot be parsed; the message says what was expected."""


def parse(text: str) -> Condition:
    """Parse a condition; raise ConditionError with a readable message."""
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("a condition must be non-empty text")
    return _Parser(_tokens(text)).parse()


def fields_of(condition: Condition) -> set[str]:
    """Every field name a condition reads."""
    if condition[0] in ("and", "or", "not"):
        return set().union(*(fields_of(part) for part in condition[1:]))
    return {condition[1]}


def evaluate(condition: Condition, record: dict) -> bool:
    """The condition's truth for a record, with the meaning the schema gives it."""
    op = condition[0]
    if op == "and":
        return all(evaluate(part, record) for part in condition[1:])
    if op == "or":
        return any(evaluate(part, record) for part in condition[1:])
    if op == "not":
        return not evaluate(condition[1], record)
    present = condition[1] in record
    value = record.get(condition[1])
    if op == "truthy":
        return present and not _in(value, [*_EMPTY, False, 0])
    if op == "empty":
        return not present or _in(value, list(_EMPTY))
    if op == "==":
        return present and _same(value, condition[2])
    if op == "!=":
        return not (present and _same(value, condition[2]))
    if op == "in":
        return present and _in(value, condition[2])
    return present and _is_number(value) and _compare(op, value, condition[2])


def to_schema(condition: Condition) -> dict:
    """The condition as a JSON Schema that a record satisfies exactly when it is true."""
    op = condition[0]
    if op in ("and", "or"):
        key = "allOf" if op == "and" else "anyOf"
        return {key: [to_schema(part) for part in condition[1:]]}
    if op == "not":
        return {"not": to_schema(condition[1])}
    name = condition[1]
    if op == "empty":
        return {"anyOf": [{"not": {"required": [name]}}, _about(name, {"enum": list(_EMPTY)})]}
    if op == "!=":
        return {"not": to_schema(["==", *condition[1:]])}
    fragment = {
        "truthy": lambda: {"not": {"enum": [*_EMPTY, False, 0]}},
        "==": lambda: {"const": condition[2]},
        "in": lambda: {"enum": condition[2]},
    }.get(op, lambda: {"type": "number", _ORDER_KEYWORD[op]: condition[2]})()
    return {"required": [name], **_about(name, fragment)}


_ORDER_KEYWORD = {
    "<": "exclusiveMaximum",
    "<=": "maximum",
    ">": "exclusiveMinimum",
    ">=": "minimum",
}


def _about(name: str, fragment: dict) -> dict:
    return {"properties": {name: fragment}}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)


def _same(value: Any, literal: Any) -> bool:
    """Equality as JSON Schema sees it: true is not 1, 1 is 1.0."""
    if isinstance(value, bool) or isinstance(literal, bool):
        return type(value) is type(literal) and value == literal
    if _is_number(value) and _is_number(literal):
        return decimal.Decimal(str(value)) == decimal.Decimal(str(literal))
    return type(value) is type(literal) and value == literal


def _in(value: Any, literals: list) -> bool:
    return any(_same(value, literal) for literal in literals)


def _compare(op: str, value: Any, literal: Any) -> bool:
    left, right = decimal.Decimal(str(value)), decimal.Decimal(str(literal))
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def _tokens(text: str) -> list[tuple[str, Any]]:
    tokens = []
    for match in _TOKEN.finditer(text.rstrip()):
        kind = match.lastgroup
        raw = match.group(kind)
        if kind == "bad":
            raise ConditionError(f"unexpected character {raw!r} in condition {text!r}")
        if kind == "string":
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        elif kind == "number":
            raw = float(raw) if "." in raw else int(raw)
        tokens.append((kind, raw))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]]) -> None:
        self.tokens = tokens
        self.at = 0

    def parse(self) -> Condition:
        tree = self._or()
        if self.at < len(self.tokens):
            raise ConditionError(f"unexpected {self._show()} after a complete condition")
        return tree

    def _peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _show(self) -> str:
        token = self._peek()
        return f"'{token[1]}'" if token else "end of condition"

    def _accept(self, *values: str) -> str | None:
        token = self._peek()
        if token and token[0] in ("op", "word") and token[1] in values:
            self.at += 1
            return token[1]
        return None

    def _expect(self, value: str) -> None:
        if not self._accept(value):
            raise ConditionError(f"expected '{value}' but found {self._show()}")

    def _joined(self, word: str, part: Any) -> Condition:
        parts = [part()]
        while self._accept(word):
            parts.append(part())
        return parts[0] if len(parts) == 1 else [word, *parts]

    def _or(self) -> Condition:
        return self._joined("or", self._and)

    def _and(self) -> Condition:
        return self._joined("and", self._not)

    def _not(self) -> Condition:
        if self._accept("not"):
            return ["not", self._not()]
        if self._accept("("):
            inner = self._or()
            self._expect(")")
            return inner
        return self._comparison()

    def _comparison(self) -> Condition:
        name = self._field()
        op = self._accept("==", "!=", *_ORDER, "in", "is", "not")
        if op is None:
            return ["truthy", name]
        if op == "is":
            negated = bool(self._accept("not"))
            self._expect("empty")
            return ["not", ["empty", name]] if negated else ["empty", name]
        if op == "not":
            self._expect("in")
            return ["not", ["in", name, self._list()]]
        if op == "in":
            return ["in", name, self._list()]
        value = self._literal()
        if op in _ORDER and not _is_number(value):
            raise ConditionError(f"'{op}' compares numbers; {value!r} is not a number")
        return [op, name, value]

    def _field(self) -> str:
        token = self._peek()
        if not token or token[0] != "word" or token[1] in _KEYWORDS:
            raise ConditionError(f"expected a field name but found {self._show()}")
        self.at += 1
        return token[1]

    def _literal(self) -> Any:
        token = self._peek()
        if token and token[0] in ("string", "number"):
            self.at += 1
            return token[1]
        if token and token[0] == "word" and token[1] in _LITERALS:
            self.at += 1
            return _LITERALS[token[1]]
        raise ConditionError(
            f"expected a value ('text', a number, true, false or null) but found {self._show()}"
        )

    def _list(self) -> list:
        self._expect("[")
        values = [self._literal()]
        while self._accept(","):
            values.append(self._literal())
        self._expect("]")
        return values
