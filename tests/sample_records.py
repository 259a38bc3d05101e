"""Valid sample records for any entity, built from its metadata alone."""

from __future__ import annotations

import itertools
import re

from babel import numbers

_counter = itertools.count(1)


def sample_value(service, tenant, field):
    """A valid value for one field; a lookup gets a freshly created target record."""
    n = next(_counter)
    kind = field.input_type
    if kind == "lookup":
        return create_sample(service, tenant, field.lookup.entity)["id"]
    if field.options:
        return [field.options[0].value] if kind == "multiselect" else field.options[0].value
    if field.pattern:
        while _real_code(n):  # demo data and tests name real currencies (USD, JPY)
            n = next(_counter)
        return _matching(field.pattern, n)
    values = {
        "email": f"user{n}@example.com", "phone": "+1 555 0100", "url": "https://example.com",
        "integer": 1, "decimal": 1.5, "currency": 10, "percent": 5, "date": "2024-01-31",
        "datetime": "2024-01-31T10:00:00+00:00", "time": "09:30", "switch": True,
        "file": "files/sample.pdf", "image": "files/sample.png",
    }  # fmt: skip
    text = f"Sample {field.label} {n}"
    return values.get(kind, text[: field.max_length or 255])


def sample_payload(service, tenant, entity):
    """Every required field of an entity filled in, lines left empty."""
    spec = service.target(tenant, entity).spec
    numbering = spec.numbering.field if spec.numbering else None
    return {
        field.name: sample_value(service, tenant, field)
        for field in spec.fields
        if field.stored and field.required and field.name != numbering and not field.visible_if
    }


def create_sample(service, tenant, entity):
    return service.create(tenant, entity, sample_payload(service, tenant, entity), "sampler")


def with_lines(service, tenant, entity, count):
    """A record of the entity with `count` lines in each of its lines fields."""
    target = service.target(tenant, entity)
    payload = sample_payload(service, tenant, entity)
    for line in target.lines():
        rows = []
        for _ in range(count):
            row = sample_payload(service, tenant, line.lines.entity)
            row.pop(line.lines.link, None)
            rows.append(row)
        payload[line.name] = rows
    return service.create(tenant, entity, payload, "sampler")


def _letters(n):
    return "".join(chr(ord("A") + (n // 26**i) % 26) for i in range(3))


def _real_code(n):
    return numbers.is_currency(_letters(n))


def _matching(pattern, n):
    """A value distinct per call that matches the shipped metadata's patterns."""
    for candidate in (_letters(n), f"s{n}"):
        if re.fullmatch(pattern, candidate):
            return candidate
    raise AssertionError(f"no sample matches {pattern!r}; teach sample_records one")
