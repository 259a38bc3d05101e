"""Resolve: base entities plus a tenant's files → one TenantSpec, with provenance.

Merging works on drafts (plain dicts with the Source of every property); the
checks that need the merged view run on the drafts (engine.semantics); only a
problem-free tenant is frozen into specs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import semantics
from engine.check import check_project, check_tenant
from engine.errors import MetadataError, Problem, Source, did_you_mean
from engine.freeze import freeze_entity
from engine.loader import (
    Document,
    Project,
    TenantFiles,
    Unusable,
    load_base,
    load_project,
    load_tenant,
    readable_path,
)
from engine.locales import Locality, currency_problem, locale_problem, timezone_problem
from engine.spec import TenantSpec
from engine.translations import Translations, check_translations, language_of

ENTITY_KEYS = (
    "label",
    "plural",
    "title_field",
    "numbering",
    "statuses",
    "delete",
    "unique_together",
)


@dataclass
class Draft:
    """Properties as merged so far, each with the place it was written."""

    props: dict[str, Any] = field(default_factory=dict)
    written: dict[str, tuple[Document, tuple]] = field(default_factory=dict)
    where: Source | None = None
    custom: bool = False

    def set(self, key: str, value: Any, document: Document, path: tuple) -> None:
        """Give a property its value, written at `path` of `document`."""
        self.props[key] = value
        self.written[key] = (document, path)

    @property
    def origins(self) -> dict[str, Source]:
        """Where each property was written; worked out only when asked for."""
        return {key: document.source_of(path) for key, (document, path) in self.written.items()}

    def where_of(self, key: str, *inner: str | int) -> Source:
        """Where a property, or a key nested inside it, was written."""
        if key not in self.written:
            return self.where
        document, path = self.written[key]
        return _source(document, *path, *inner)

    def clone(self) -> Draft:
        """A copy whose properties can change without touching this one's."""
        return Draft(dict(self.props), dict(self.written), self.where, self.custom)


@dataclass
class EntityDraft(Draft):
    """An entity as merged so far: its own properties, and its fields, lines and groups."""

    name: str = ""
    fields: dict[str, Draft] = field(default_factory=dict)
    lines: dict[str, Draft] = field(default_factory=dict)
    group_layers: list[tuple[dict, Document, tuple]] = field(default_factory=list)
    groups: dict[str, Draft] = field(default_factory=dict)
    customized: Source | None = None  # the tenant file that customizes this base entity

    def clone(self) -> EntityDraft:
        """A copy whose properties, fields and lines can change without touching this one's."""
        # YAML values are never mutated, so copying the mappings of drafts suffices
        return EntityDraft(
            dict(self.props),
            dict(self.written),
            self.where,
            self.custom,
            self.name,
            {n: f.clone() for n, f in self.fields.items()},
            {n: line.clone() for n, line in self.lines.items()},
            list(self.group_layers),
        )


def _clone_all(drafts: dict[str, EntityDraft]) -> dict[str, EntityDraft]:
    return {name: draft.clone() for name, draft in drafts.items()}


def _source(document: Document, *path: str | int) -> Source:
    return document.source_of(path)


def _merge_layer(target: Draft, values: dict, document: Document, path: tuple) -> None:
    for key, value in values.items():
        target.set(key, value, document, (*path, key))


class _Resolver:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.problems: list[Problem] = []
        self.base_gaps = semantics.Gaps()  # what the base's unusable files leave unknown

    def problem(self, source: Source, path: str, message: str) -> None:
        self.problems.append(Problem(source.file, source.line, path, message))

    # drafts from documents

    def entity_draft(self, document: Document, custom: bool) -> EntityDraft:
        data = document.data
        draft = EntityDraft(name=data["entity"], custom=custom, where=_source(document, "entity"))
        self._expect_file_name(document, "entity")
        for key in ENTITY_KEYS:
            if key in data:
                draft.set(key, data[key], document, (key,))
        self._merge_lines(draft, document)
        draft.group_layers.append((data.get("groups", {}), document, ("groups",)))
        for index, values in enumerate(data["fields"]):
            self._add_field(draft, document, ("fields", index), values, custom)
        return draft

    def customize(self, draft: EntityDraft, document: Document) -> None:
        data = document.data
        draft.customized = draft.customized or _source(document, "customize")
        for key in ENTITY_KEYS:
            if key in data:
                draft.set(key, data[key], document, (key,))
        self._merge_lines(draft, document)
        draft.group_layers.append((data.get("groups", {}), document, ("groups",)))
        for index, values in enumerate(data.get("fields", [])):
            name = values["name"]
            target = draft.fields.get(name)
            if target is None:
                hint = did_you_mean(name, draft.fields)
                self.problem(
                    _source(document, "fields", index, "name"),
                    f"{draft.name}.{name}",
                    f"'{draft.name}' has no field '{name}' to customize{hint}; "
                    "declare a new field under add_fields",
                )
                continue
            rest = {k: v for k, v in values.items() if k != "name"}
            _merge_layer(target, rest, document, ("fields", index))
        for index, values in enumerate(data.get("add_fields", [])):
            self._add_field(draft, document, ("add_fields", index), values, custom=True)

    def _add_field(
        self, draft: EntityDraft, document: Document, path: tuple, values: dict, custom: bool
    ) -> None:
        name = values["name"]
        where = _source(document, *path, "name")
        existing = draft.fields.get(name)
        if existing is not None and custom and not existing.custom and not draft.custom:
            self.problem(
                where,
                f"{draft.name}.{name}",
                f"'{name}' is already a field of the base entity '{draft.name}'; "
                "change it under fields: instead of adding it again",
            )
            return
        if existing is not None:
            self.problem(
                where,
                f"{draft.name}.{name}",
                f"duplicate field '{name}' (first declared at {existing.where})",
            )
            return
        field_draft = Draft(where=where, custom=custom)
        _merge_layer(field_draft, values, document, path)
        draft.fields[name] = field_draft

    def _merge_lines(self, draft: EntityDraft, document: Document) -> None:
        for name, values in document.data.get("lines", {}).items():
            if name not in draft.lines:
                draft.lines[name] = Draft(where=_source(document, "lines", name))
            _merge_layer(draft.lines[name], values, document, ("lines", name))

    def _expect_file_name(self, document: Document, key: str) -> None:
        name, parts = document.data[key], Path(document.file).parts
        # a tenant is named by its directory, an entity by its file
        expected, what = (
            (parts[-2], "directory") if key == "tenant" else (Path(document.file).stem, "file")
        )
        if name != expected:
            self.problem(
                _source(document, key),
                name,
                f"{key} '{name}' must match its {what} name '{expected}'",
            )

    # groups

    def groups(self, layers: list[tuple[dict, Document, tuple]]) -> dict[str, Draft]:
        merged: dict[str, Draft] = {}
        for values, document, path in layers:
            for code, group in values.items():
                if code not in merged:
                    merged[code] = Draft(where=_source(document, *path, code))
                    missing = [k for k in ("label", "order") if k not in group]
                    if missing:
                        self.problem(
                            _source(document, *path, code),
                            readable_path(document, (*path, code)),
                            f"new group '{code}' needs {' and '.join(missing)}",
                        )
                _merge_layer(merged[code], group, document, (*path, code))
        return merged

    # tenants

    def base_drafts(self) -> dict[str, EntityDraft]:
        return {
            name: self.entity_draft(document, custom=False)
            for name, document in self.project.entities.items()
        }

    def tenant(self, name: str, base: dict[str, EntityDraft]) -> TenantSpec | None:
        files = self.project.tenants[name]
        drafts = _clone_all(base)
        tenant_data = files.document.data if files.document else {}
        if files.document:
            self._expect_file_name(files.document, "tenant")
        for document in files.entities.values():
            self._apply_tenant_file(drafts, document)
        tenant_layer = (tenant_data.get("groups", {}), files.document, ("groups",))
        settings = tenant_data.get("settings", {})
        locality = self._locality(files.document) if files.document else Locality()
        gaps = self.base_gaps | _gaps(files.unusable, tenant=files.document is None)
        # without its tenant.yaml the tenant's settings are unknown: None, as for the base
        self.check_view(name, None if gaps.settings else settings, drafts, tenant_layer, gaps)
        if self.problems:  # freezing needs every file whole and every reference good
            return None
        entities = {n: freeze_entity(d, drafts) for n, d in sorted(drafts.items())}
        translations = self._translations(files, locality)
        self.problems += check_translations(files.translations, entities)
        if self.problems:  # a translation of what the tenant does not have
            return None
        label = tenant_data.get("label", name)
        return TenantSpec(
            name, label, dict(settings), entities, locality=locality, translations=translations
        )

    def _translations(self, files: TenantFiles, locality: Locality) -> Translations:
        """The tenant's languages and their texts, each problem reported where written."""
        default = language_of(locality.locale)
        data = files.document.data if files.document else {}
        source = data.get("source_language", default)
        problem = locale_problem(source)
        if problem:
            self.problem(_source(files.document, "source_language"), "source_language", problem)
        return Translations(source, default, {k: d.data for k, d in files.translations.items()})

    def _locality(self, document: Document) -> Locality:
        """The tenant's locale, time zone and currency, each problem reported where it
        is written."""
        data, given = document.data, {}
        checks = (
            ("locale", locale_problem),
            ("timezone", timezone_problem),
            ("currency", currency_problem),
        )
        for key, problem_of in checks:
            if key not in data:
                continue
            problem = problem_of(data[key])
            if problem:
                self.problem(_source(document, key), f"{data['tenant']}.{key}", problem)
            else:
                given[key] = data[key]
        return Locality(**given)

    def _apply_tenant_file(self, drafts: dict[str, EntityDraft], document: Document) -> None:
        if "customize" in document.data:
            self._expect_file_name(document, "customize")
            target = document.data["customize"]
            if target in drafts and not drafts[target].custom:
                self.customize(drafts[target], document)
                return
            if target in self.base_gaps.entities:
                return  # its base file is unusable, and reported
            hint = did_you_mean(target, [n for n, d in drafts.items() if not d.custom])
            self.problem(
                _source(document, "customize"),
                target,
                f"there is no base entity '{target}' to customize{hint}",
            )
            return
        name = document.data["entity"]
        if name in drafts:
            self.problem(
                _source(document, "entity"),
                name,
                f"'{name}' is a base entity; start the file with 'customize: {name}' to change it",
            )
            return
        drafts[name] = self.entity_draft(document, custom=True)

    def check_view(
        self,
        name: str,
        settings: dict | None,
        drafts: dict[str, EntityDraft],
        tenant_layer: tuple | None,
        gaps: semantics.Gaps,
    ) -> None:
        """Merge each entity's groups and run the checks that need the merged view."""
        global_layer = (
            [(self.project.groups.data["groups"], self.project.groups, ("groups",))]
            if self.project.groups
            else []
        )
        for draft in drafts.values():
            layers = [*global_layer, draft.group_layers[0]]
            if tenant_layer and tenant_layer[1] is not None:
                layers.append(tenant_layer)
            layers += draft.group_layers[1:]
            draft.groups = self.groups(layers)
        context = semantics.Context(drafts, name, settings, self.problem, gaps)
        for draft in drafts.values():
            semantics.check_entity(draft, context)


def resolve(project: Project, loading: Iterable[Problem] = ()) -> dict[str, TenantSpec]:
    """Every tenant of a loaded project, or MetadataError with every problem found, those
    of `loading` the project included: a tenant is frozen only when there is none."""
    resolver, base = _resolve_base(project, loading)
    tenants = {name: resolver.tenant(name, base) for name in project.tenants}
    if resolver.problems:
        raise MetadataError(resolver.problems)
    return {name: spec for name, spec in tenants.items() if spec is not None}


def _resolve_base(
    project: Project, loading: Iterable[Problem]
) -> tuple[_Resolver, dict[str, EntityDraft]]:
    """A resolver holding every problem found so far, and the drafts of the base entities."""
    resolver = _Resolver(project)
    checked = check_project(project)
    _mark_broken(project, checked)
    resolver.problems += [*loading, *checked]
    resolver.base_gaps = _gaps(project.unusable)
    base = resolver.base_drafts()
    # checked once, never served
    resolver.check_view("base", None, _clone_all(base), None, resolver.base_gaps)
    return resolver, base


def load_and_resolve(root: str) -> dict[str, TenantSpec]:
    """Load, check and resolve a metadata directory in one call."""
    return resolve(*load_project(root))


@dataclass(frozen=True)
class Base:
    """The files every tenant shares, loaded, checked and merged once: each tenant is
    resolved against these drafts (copies of them, which its files then change)."""

    project: Project  # without tenants
    drafts: dict[str, EntityDraft]
    gaps: semantics.Gaps


def resolve_base(root: str) -> Base:
    """Load and check the base files of a metadata directory; MetadataError with every
    problem of them."""
    project, loading = load_base(root)
    resolver, drafts = _resolve_base(project, loading)
    if resolver.problems:
        raise MetadataError(resolver.problems)
    return Base(project, drafts, resolver.base_gaps)


def resolve_tenant(base: Base, name: str) -> TenantSpec:
    """Load, check and resolve one tenant's folder against the base; MetadataError with
    every problem of its files."""
    files, loading = load_tenant(base.project.root, name)
    project = Project(base.project.root, base.project.groups, base.project.entities, {})
    project.tenants[name] = files
    project.unusable = base.project.unusable
    resolver = _Resolver(project)
    checked = check_tenant(files)
    _mark_broken_tenant(files, {p.file for p in checked})
    resolver.problems += [*loading, *checked]
    resolver.base_gaps = base.gaps
    spec = resolver.tenant(name, base.drafts)
    if resolver.problems or spec is None:
        raise MetadataError(resolver.problems)
    return spec


def _mark_broken(project: Project, problems: list[Problem]) -> None:
    """Leave files that failed the schema out of resolving; their problems are reported."""
    broken = {p.file for p in problems}
    project.unusable.files |= {d.file for d in project.entities.values() if d.file in broken}
    project.entities = {n: d for n, d in project.entities.items() if d.file not in broken}
    if project.groups and project.groups.file in broken:
        project.unusable.files.add(project.groups.file)
        project.groups, project.unusable.groups = None, True
    for tenant in project.tenants.values():
        _mark_broken_tenant(tenant, broken)


def _mark_broken_tenant(tenant: TenantFiles, broken: set[str]) -> None:
    documents = [tenant.document, *tenant.entities.values()]
    tenant.unusable.files |= {d.file for d in documents if d and d.file in broken}
    if tenant.document and tenant.document.file in broken:
        tenant.document = None
    tenant.entities = {n: d for n, d in tenant.entities.items() if d.file not in broken}
    tenant.translations = {n: d for n, d in tenant.translations.items() if d.file not in broken}


def _gaps(unusable: Unusable, tenant: bool = False) -> semantics.Gaps:
    """What unusable files, and a tenant without a usable tenant.yaml, leave unknown."""
    entities = frozenset(Path(f).stem for f in unusable.files if Path(f).parent.name == "entities")
    return semantics.Gaps(entities, unusable.groups or tenant, tenant)
