"""Load metadata YAML strictly: plain data plus the line every value came from.

PyYAML's own loaders forget positions and let a repeated key silently win, so we
compose the node graph and build the data ourselves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.errors import Problem, Source

Path_ = tuple[str | int, ...]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_TEXT_TAGS = frozenset({_TIMESTAMP, "tag:yaml.org,2002:str"})
# How many values a file's aliases may repeat in all. A composed file shares an anchored
# node between its aliases, so it stays small; building plain data copies the node once
# per alias, and nested aliases (the "billion laughs") would copy it billions of times.
ALIAS_BUDGET = 10_000


@dataclass(frozen=True)
class Document:
    """One YAML file as plain data, with the line of every key and list item."""

    file: str
    data: Any
    lines: dict[Path_, int]
    # one Source per line asked for (source_of): every property of a field written on
    # one line is located there, and resolving locates every property
    sources: dict[int, Source] = field(default_factory=dict, compare=False, repr=False)

    def line_of(self, path: Path_) -> int:
        """The line of `path`, or of its nearest ancestor that was written."""
        path = path if path.__class__ is tuple else tuple(path)
        line = self.lines.get(path)  # a path that was written, as most asked for are
        if line is not None:
            return line
        for end in range(len(path) - 1, -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return 1

    def source_of(self, path: Path_) -> Source:
        """Where `path` was written: this file, at line_of(path)."""
        line = self.lines.get(path) if path.__class__ is tuple else None
        if line is None:
            line = self.line_of(path)
        found = self.sources.get(line)
        if found is None:
            found = self.sources[line] = Source(self.file, line)
        return found


@dataclass
class Unusable:
    """Files that cannot be used: unreadable, failing the schema (noted by resolving), or
    where no file of their kind is read. What they might declare is missing, so the
    problems that only follow from that are not reported: each file's own problem is."""

    files: set[str] = field(default_factory=set)
    groups: bool = False  # one of them declares groups: any group may be missing


@dataclass
class TenantFiles:
    """A tenant's directory: its tenant.yaml and its entity files."""

    document: Document | None
    entities: dict[str, Document] = field(default_factory=dict)
    unusable: Unusable = field(default_factory=Unusable)
    translations: dict[str, Document] = field(default_factory=dict)  # by file name (locale)


@dataclass
class Project:
    """Every metadata file of one metadata directory, loaded."""

    root: str
    groups: Document | None
    entities: dict[str, Document]
    tenants: dict[str, TenantFiles]
    unusable: Unusable = field(default_factory=Unusable)  # of the base files


class _AliasRefused(Exception):
    """Building stopped at an alias: it contains itself, or aliases repeat too much."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


class _Builder:
    """Turns a composed node graph into plain data, noting lines and duplicates."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[Path_, int] = {}
        self.problems: list[tuple[int, Path_, str]] = []
        self._scalars = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, path: Path_, line: int | None = None) -> Any:
        """Plain data for `node` at `path`; `line` says where it was written, which the
        node's own mark does not for an alias (that is its anchor's)."""
        self.lines.setdefault(path, line or node.start_mark.line + 1)
        return self._value(node, path)

    def _value(self, node: yaml.Node, path: Path_) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self._item(item, (*path, i), node) for i, item in enumerate(node.value)]
        if node.tag in _TEXT_TAGS:  # dates stay text: their meaning depends on the field
            return node.value
        return self._scalars.construct_object(node)

    def _item(self, item: yaml.Node, path: Path_, sequence: yaml.SequenceNode) -> Any:
        return self.build(item, path)

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict:
        result: dict = {}
        for key_node, value_node in node.value:
            key = (
                self._scalars.construct_object(key_node)
                if key_node.tag != _TIMESTAMP
                else (key_node.value)
            )
            line = key_node.start_mark.line + 1
            if not isinstance(key, str | int | float | bool) or key is None:
                self._problem(line, path, "a key must be a plain word")
                continue
            key = str(key)
            if key in result:
                first = self.lines[(*path, key)]
                self._problem(
                    line, (*path, key), f"duplicate key '{key}' (first written on line {first})"
                )
                continue
            self.lines[(*path, key)] = line
            result[key] = self.build(value_node, (*path, key), line)
        return result

    def _problem(self, line: int, path: Path_, message: str) -> None:
        self.problems.append((line, path, message))


class _AliasGuard(_Builder):
    """The builder for a file that has anchors, so may have aliases.

    An alias is the very node its anchor composed, met again: the guard counts the
    values it copies that way and refuses a file past ALIAS_BUDGET, or an alias inside
    its own anchor, before either costs more than a few milliseconds.
    """

    def __init__(self, file: str) -> None:
        super().__init__(file)
        self._built: set[int] = set()  # ids of the nodes built once already
        self._open: set[int] = set()  # ids of the collections being built
        self._repeated = 0  # values built again through an alias
        self._alias_line = 0  # where the outermost alias being expanded was written

    def build(self, node: yaml.Node, path: Path_, line: int | None = None) -> Any:
        """Plain data for `node`, counting what aliases copy."""
        line = line or node.start_mark.line + 1
        self.lines.setdefault(path, line)
        if id(node) in self._open:
            raise _AliasRefused(line, "an alias refers to the anchor that contains it")
        outermost = self._count(node, line)
        try:
            return self._value(node, path)
        finally:
            if outermost:
                self._alias_line = 0

    def _count(self, node: yaml.Node, line: int) -> bool:
        """Count a node met again; True when it begins the outermost alias's expansion."""
        if id(node) not in self._built:
            self._built.add(id(node))
            return False
        self._repeated += 1
        outermost = not self._alias_line
        if outermost:
            self._alias_line = line
        if self._repeated > ALIAS_BUDGET:
            raise _AliasRefused(
                self._alias_line,
                f"the aliases of this file would copy more than {ALIAS_BUDGET:,} values "
                "(aliases of aliases multiply); write the values out instead",
            )
        return outermost

    def _value(self, node: yaml.Node, path: Path_) -> Any:
        if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            return super()._value(node, path)
        self._open.add(id(node))
        try:
            return super()._value(node, path)
        finally:
            self._open.discard(id(node))

    def _item(self, item: yaml.Node, path: Path_, sequence: yaml.SequenceNode) -> Any:
        # an item that is an alias carries its anchor's mark: locate it in its list instead
        line = sequence.start_mark.line + 1 if id(item) in self._built else None
        return self.build(item, path, line)


def builder_for(text: str, file: str) -> _Builder:
    """The builder of a file's text: only a file with an anchor ('&') can hold an alias,
    so only such a file pays for counting what aliases copy."""
    return _AliasGuard(file) if "&" in text else _Builder(file)


def readable_path(document: Document, path: Path_) -> str:
    """`invoice.total.input_type` for fields[7].input_type of invoice.yaml."""
    data = document.data if isinstance(document.data, dict) else {}
    owner = data.get("entity") or data.get("customize") or data.get("tenant")
    parts = [str(owner)] if isinstance(owner, str) else []
    node = data
    for index, part in enumerate(path):
        child = node[part] if _has(node, part) else None
        if path[index - 1 : index] in (("fields",), ("add_fields",)) and isinstance(part, int):
            name = child.get("name") if isinstance(child, dict) else None
            parts[-1:] = [name if isinstance(name, str) else f"{parts[-1]}[{part}]"]
        else:
            parts.append(f"[{part}]" if isinstance(part, int) else str(part))
        node = child
    return ".".join(parts).replace(".[", "[")


def _has(node: object, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and part < len(node)


def load_text(text: str, file: str) -> tuple[Document | None, list[Problem]]:
    """Parse one file's text; a document only when it is usable."""
    problems = [
        Problem(file, number, "", "tab character; indent and separate with spaces")
        for number, line in enumerate(text.splitlines(), start=1)
        if "\t" in line
    ]
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        if error.context_mark and any(w in (error.context or "") for w in ("flow", "quoted")):
            mark = error.context_mark  # an unclosed bracket or quote: point at its opening
        line = mark.line + 1 if mark else 1
        problems.append(Problem(file, line, "", f"YAML syntax error: {error.problem}"))
        return None, problems
    except yaml.YAMLError as error:
        problems.append(Problem(file, 1, "", f"YAML syntax error: {error}"))
        return None, problems
    if node is None:
        return None, [*problems, Problem(file, 1, "", "the file is empty")]
    builder = builder_for(text, file)
    try:
        data = builder.build(node, ())
    except _AliasRefused as refused:
        return None, [*problems, Problem(file, refused.line, "", refused.message)]
    document = Document(file, data, builder.lines)
    problems += [
        Problem(file, line, readable_path(document, path), message)
        for line, path, message in builder.problems
    ]
    if not isinstance(data, dict):
        problems.append(Problem(file, 1, "", "the file must hold a mapping of keys"))
        return None, problems
    return document, problems


def load_file(path: Path, shown_as: str) -> tuple[Document | None, list[Problem]]:
    """Read and parse one file, naming it `shown_as` in every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        return None, [Problem(shown_as, 1, "", f"not UTF-8 text ({error.reason})")]
    return load_text(text, shown_as)


def load_project(root: str | os.PathLike) -> tuple[Project, list[Problem]]:
    """Load every metadata file under `root`; problems of all files at once."""
    project, problems = load_base(root)
    for name in tenant_names(root):
        project.tenants[name], found = load_tenant(root, name)
        problems += found
    return project, problems


def load_base(root: str | os.PathLike) -> tuple[Project, list[Problem]]:
    """Load the files every tenant shares (groups.yaml, entities/), and no tenant's."""
    loader = _ProjectLoader(root)
    base = Path(root)
    unusable = Unusable()
    groups_file = base / "groups.yaml"
    groups = loader.load(groups_file, unusable) if groups_file.is_file() else None
    unusable.groups = groups_file.is_file() and groups is None
    entities = loader.entities(base / "entities", unusable, groups_file, "every entity")
    return Project(str(root), groups, entities, {}, unusable), loader.problems


def tenant_names(root: str | os.PathLike) -> list[str]:
    """The tenants of a metadata directory: the folders under tenants/, none of them read."""
    tenants_dir = Path(root) / "tenants"
    return sorted(p.name for p in tenants_dir.glob("*") if p.is_dir())


def load_tenant(root: str | os.PathLike, name: str) -> tuple[TenantFiles, list[Problem]]:
    """Load one tenant's folder; its problems."""
    loader = _ProjectLoader(root)
    files = loader.tenant(Path(root) / "tenants" / name)
    return files, loader.problems


class _ProjectLoader:
    """Loads the files of a metadata directory where each kind is read, noting the files
    it cannot use."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root, self.base = root, Path(root)
        self.problems: list[Problem] = []

    def shown(self, path: Path) -> str:
        """The file's path as problems name it: under the root as it was given."""
        return str(Path(self.root) / path.relative_to(self.base))

    def load(self, path: Path, unusable: Unusable) -> Document | None:
        document, found = load_file(path, self.shown(path))
        self.problems.extend(found)
        if document is None:
            unusable.files.add(self.shown(path))
        return document

    def tenant(self, directory: Path) -> TenantFiles:
        """A tenant's tenant.yaml, entity and translation files; any other file beside
        tenant.yaml is not read."""
        files, owner = TenantFiles(None), f"tenant '{directory.name}'"
        tenant_file = directory / "tenant.yaml"
        if tenant_file.is_file():
            files.document = self.load(tenant_file, files.unusable)
        else:
            problem = "missing: every tenant needs a tenant.yaml"
            self.problems.append(Problem(self.shown(tenant_file), 1, "", problem))
        for path in _yaml_files(directory):
            if path.name != "tenant.yaml":
                self._unread(path, files.unusable, tenant_file, owner)
        files.entities = self.entities(directory / "entities", files.unusable, tenant_file, owner)
        for path in _yaml_files(directory / "translations"):
            document = self.load(path, files.unusable)
            if document is not None:
                files.translations[path.stem] = document
        return files

    def entities(
        self, directory: Path, unusable: Unusable, groups_home: Path, owner: str
    ) -> dict[str, Document]:
        """The entity files of a directory; a file of groups among them is not read."""
        documents = {}
        for path in _yaml_files(directory):
            document = self.load(path, unusable)
            if document is not None and _declares_groups(path, document):
                self._refuse_groups(path, document, unusable, groups_home, owner)
            elif document is not None:
                documents[path.stem] = document
        return documents

    def _unread(self, path: Path, unusable: Unusable, tenant_file: Path, owner: str) -> None:
        """A file beside a tenant's tenant.yaml, where nothing else is read: its own
        problems do not matter, only where it belongs."""
        document, _ = load_file(path, self.shown(path))
        if _declares_groups(path, document):
            self._refuse_groups(path, document, unusable, tenant_file, owner)
            return
        unusable.files.add(self.shown(path))
        entities = self.shown(path.parent / "entities")
        message = f"{owner} reads only its tenant.yaml here; move an entity file into {entities}"
        self.problems.append(Problem(self.shown(path), 1, "", message))

    def _refuse_groups(
        self, path: Path, document: Document | None, unusable: Unusable, home: Path, owner: str
    ) -> None:
        """A file of groups where none is read; its groups belong in `home`."""
        file = self.shown(path)
        unusable.files.add(file)
        unusable.groups = True
        line = document.line_of(("groups",)) if document else 1
        message = (
            f"the groups of {owner} are declared under groups: in {self.shown(home)}, not in "
            "a file of their own; move them there"
        )
        self.problems.append(Problem(file, line, "", message))


def _declares_groups(path: Path, document: Document | None) -> bool:
    """Whether a file is a file of groups: by its keys, or by its name when unreadable."""
    if document is None:
        return path.stem == "groups"
    data = document.data
    return "groups" in data and "entity" not in data and "customize" not in data


def _yaml_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
