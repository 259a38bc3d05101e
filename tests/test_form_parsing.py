"""A submitted form reads the same through parse_form's loop, which parses a record's
fields inline, as through its oracle: each field by `_parse_field`, one after another,
for every shipped tenant × entity, new or edited, with what people type right and wrong
(numbers too large to store, words where numbers go, unticked boxes)."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import SHIPPED
from werkzeug.datastructures import MultiDict

from engine.registry import build_registry
from webui import forms

REGISTRY = build_registry(str(SHIPPED))
PAIRS = [(t, e) for t, tenant in REGISTRY.tenants.items() for e in sorted(tenant.entities)]
TYPED = ["", "  12 ", "1e400", "abc", "2024-02-29", "on", "1,5", "-3", "x" * 300]


def plainly(entity, children, form, creating, locality) -> forms.Submission:
    """parse_form's answer, each field parsed by `_parse_field` (the oracle)."""
    submission = forms.Submission()
    submitted = forms._Submitted(form, locality)
    for spec in forms.editable(entity, creating):
        if spec.type.attachment:
            forms._take_file(spec, MultiDict(), submitted, None, submission)
            continue
        forms._parse_field(spec, submitted, spec.name, spec.name, submission.payload, submission)
    for line in (f for f in entity.fields if f.lines and not f.hidden):
        rows = forms._parse_lines(line, children[line.name], submitted, submission)
        submission.payload[line.name] = rows
    return submission


def submitted_forms(entity, children) -> list[MultiDict]:
    """An empty form, then one per typed text, each field holding it, and each lines
    field's first row; every other form names its switches and multiple selects as
    shown (their unticked state)."""
    names = [f.name for f in entity.fields if f.stored]
    names += [
        f"{line}-0-{f.name}" for line, child in children.items() for f in child.fields if f.stored
    ]
    found = [MultiDict()]
    for number, text in enumerate(TYPED):
        pairs = [(name, text) for name in names]
        if number % 2:
            pairs += [(forms.SHOWN, name) for name in names]
        found.append(MultiDict(pairs))
    return found


def shipped_form(tenant: str, entity: str):
    """The entity's spec, its lines' children's specs by lines field, its tenant's locality."""
    compiled = REGISTRY.tenant(tenant)
    spec = compiled.entity(entity).spec
    children = {
        f.name: compiled.entity(f.lines.entity).spec
        for f in spec.fields
        if f.lines and not f.hidden
    }
    return spec, children, compiled.spec.locality


@pytest.mark.parametrize("tenant,entity", PAIRS)
def test_each_shipped_form_parses_as_field_by_field(tenant, entity):
    spec, children, locality = shipped_form(tenant, entity)
    for creating in (True, False):
        for form in submitted_forms(spec, children):
            quick = forms.parse_form(spec, children, form, creating, locality=locality)
            plain = plainly(spec, children, form, creating, locality)
            assert dataclasses.asdict(quick) == dataclasses.asdict(plain), (creating, form)


@pytest.mark.parametrize("tenant,entity", PAIRS)
def test_each_shipped_form_parses_alike_with_its_editable_fields_cached(
    tenant, entity, monkeypatch
):
    spec, children, locality = shipped_form(tenant, entity)
    for creating in (True, False):
        assert forms._editable_fields(spec, creating) == forms.editable(spec, creating)
        for form in submitted_forms(spec, children):
            monkeypatch.setattr(forms, "REUSE_EDITABLE", True)
            cached = forms.parse_form(spec, children, form, creating, locality=locality)
            monkeypatch.setattr(forms, "REUSE_EDITABLE", False)
            plain = forms.parse_form(spec, children, form, creating, locality=locality)
            assert dataclasses.asdict(cached) == dataclasses.asdict(plain), (creating, form)


def test_editable_fields_are_picked_again_for_another_spec_of_the_entity():
    spec = REGISTRY.tenant(PAIRS[0][0]).entity(PAIRS[0][1]).spec
    assert forms._editable_fields(spec, True) is forms._editable_fields(spec, True)
    changed = dataclasses.replace(spec, fields=spec.fields[:1])
    assert forms._editable_fields(changed, True) == forms.editable(changed, True)
    assert forms._editable_fields(spec, True) == forms.editable(spec, True)
