"""Translations of a tenant's texts for people: one file per language,
`tenants/<tenant>/translations/<locale>.yaml`, holding entity labels, field labels, help
and placeholders, option labels, group labels, and the labels of states and actions.

The metadata's own texts are written in the tenant's `source_language` (by default its
locale's). A person reads their language's file, then the file of the tenant's locale,
then the metadata's own text: a text translated nowhere is shown as written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.check import located
from engine.errors import Problem
from engine.loader import Document
from engine.locales import locale_problem
from engine.spec import EntitySpec, FieldSpec, GroupSpec, Option, Statuses

FIELD_TEXTS = ("label", "help", "placeholder")
ENTITY_TEXTS = ("label", "plural")


@dataclass(frozen=True)
class Translations:
    """A tenant's languages: the metadata's own (`source`), its locale's (`default`),
    and the texts of each translated one (the plain data of its file)."""

    source: str
    default: str
    texts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def languages(self) -> tuple[str, ...]:
        """Every language people may read the tenant in, the default first."""
        offered = [self.default, self.source, *sorted(self.texts)]
        return tuple(dict.fromkeys(offered))

    def chain(self, language: str) -> list[Mapping[str, Any]]:
        """The files to read a text from, in order, for a person reading `language`: none
        for the metadata's own language."""
        if language == self.source:
            return []
        return [self.texts[code] for code in (language, self.default) if code in self.texts]


def language_of(locale: str) -> str:
    """The language part of a CLDR locale name: de of de_DE."""
    return locale.replace("-", "_").split("_")[0]


def check_translations(
    documents: Mapping[str, Document], entities: Mapping[str, EntitySpec]
) -> list[Problem]:
    """Every problem of a tenant's translation files: a file not named for a locale, a
    text of an entity, field, option or group the tenant does not have, and a text
    translated in some languages but not in others."""
    problems = []
    for stem, document in documents.items():
        problems += _file_problems(stem, document, entities)
    keys = {stem: set(_texts(document.data)) for stem, document in documents.items()}
    for stem, document in documents.items():
        for other, theirs in sorted(keys.items()):
            for path in sorted(keys[stem] - theirs, key=str):
                where = Path(documents[other].file).name
                message = f"translated into {stem} but not into {other} ({where})"
                problems.append(located(document, path, message))
    return problems


def _file_problems(
    stem: str, document: Document, entities: Mapping[str, EntitySpec]
) -> Iterator[Problem]:
    data = document.data
    problem = locale_problem(stem)
    if problem:
        yield located(document, ("translations",), f"the file's name: {problem}")
    elif data.get("translations") != stem:
        message = f"translations '{data.get('translations')}' must match its file name '{stem}'"
        yield located(document, ("translations",), message)
    groups = {code for entity in entities.values() for code in entity.groups}
    for code in data.get("groups", {}):
        if code not in groups:
            yield located(document, ("groups", code), f"the tenant has no group '{code}'")
    for name, texts in data.get("entities", {}).items():
        if name not in entities:
            yield located(document, ("entities", name), f"the tenant has no entity '{name}'")
            continue
        yield from _status_problems(document, name, texts, entities[name])
        fields = {f.name: f for f in entities[name].fields}
        for field_name, field_texts in texts.get("fields", {}).items():
            path = ("entities", name, "fields", field_name)
            if field_name not in fields:
                yield located(document, path, f"'{name}' has no field '{field_name}'")
                continue
            values = {str(o.value) for o in fields[field_name].options}
            for value in field_texts.get("options", {}):
                if str(value) not in values:
                    message = f"'{name}.{field_name}' has no option '{value}'"
                    yield located(document, (*path, "options", value), message)


def _status_problems(
    document: Document, name: str, texts: Mapping[str, Any], entity: EntitySpec
) -> Iterator[Problem]:
    """Texts of states and actions the entity does not have."""
    statuses = entity.statuses
    for key, what in (("states", "state"), ("actions", "action")):
        known = getattr(statuses, key) if statuses else {}
        for word in texts.get(key, {}):
            if word not in known:
                path = ("entities", name, key, word)
                yield located(document, path, f"'{name}' has no {what} '{word}'")


def _texts(data: Mapping[str, Any], path: tuple = ()) -> Iterator[tuple]:
    """The path of every text of a translation file."""
    for key, value in data.items():
        if not path and key == "translations":
            continue
        if isinstance(value, Mapping):
            yield from _texts(value, (*path, key))
        else:
            yield (*path, key)


def translated_entity(spec: EntitySpec, chain: list[Mapping[str, Any]]) -> EntitySpec:
    """The entity with each text of the first file of `chain` that has it."""
    entities = [texts.get("entities", {}).get(spec.name, {}) for texts in chain]
    groups = [texts.get("groups", {}) for texts in chain]
    states = [texts.get("states", {}) for texts in entities]
    fields = tuple(
        _translated_field(f, [e.get("fields", {}) for e in entities], states) for f in spec.fields
    )
    return dataclasses.replace(
        spec,
        **{key: _first(entities, key, getattr(spec, key)) for key in ENTITY_TEXTS},
        fields=fields,
        groups={code: _translated_group(g, groups) for code, g in spec.groups.items()},
        statuses=_translated_statuses(spec.statuses, entities),
    )


def _translated_statuses(
    statuses: Statuses | None, chain: list[Mapping[str, Any]]
) -> Statuses | None:
    """The states' and actions' labels in the language."""
    if statuses is None:
        return None
    states = [texts.get("states", {}) for texts in chain]
    actions = [texts.get("actions", {}) for texts in chain]
    return dataclasses.replace(
        statuses,
        states={
            name: dataclasses.replace(state, label=_first(states, name, state.label))
            for name, state in statuses.states.items()
        },
        actions={
            name: dataclasses.replace(action, label=_first(actions, name, action.label))
            for name, action in statuses.actions.items()
        },
    )


def _translated_field(
    spec: FieldSpec, chain: list[Mapping[str, Any]], states: list[Mapping[str, str]]
) -> FieldSpec:
    own = [texts.get(spec.name, {}) for texts in chain]
    options = [texts.get("options", {}) for texts in own]
    if spec.system == "status":  # its options are the states, shown by their labels
        options = [*states, *options]
    return dataclasses.replace(
        spec,
        **{key: _first(own, key, getattr(spec, key)) for key in FIELD_TEXTS},
        options=tuple(_translated_option(o, options) for o in spec.options),
    )


def _translated_option(option: Option, chain: list[Mapping[Any, str]]) -> Option:
    for texts in chain:
        for value in (option.value, str(option.value)):
            if value in texts:
                return Option(option.value, texts[value])
    return option


def _translated_group(group: GroupSpec, chain: list[Mapping[str, str]]) -> GroupSpec:
    return dataclasses.replace(group, label=_first(chain, group.code, group.label))


def _first(chain: list[Mapping[str, Any]], key: Any, written: Any) -> Any:
    return next((texts[key] for texts in chain if key in texts), written)
