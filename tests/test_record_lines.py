"""A lines field on a record's page, over every shipped tenant × entity × lines field with
demo lines: the grid shows the columns the form's grid shows and no others, and each row
opens on every field of the line by group, lookups by their titles."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import yaml
from conftest import SHIPPED
from test_lines_form import CASES, logged_in, with_demo

from engine import conditions
from engine.demo import DATA_DIR
from webui import create_app
from webui.display import display
from webui.line_grid import grid_columns

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Node:
    """An element of a parsed page: its tag, attributes, children and text."""

    def __init__(self, tag: str, attrs: dict) -> None:
        self.tag, self.attrs, self.children, self.parts = tag, attrs, [], []

    def text(self) -> str:
        inner = [p if isinstance(p, str) else p.text() for p in self.parts]
        return " ".join("".join(inner).split())

    def find_all(self, test) -> list[Node]:
        found = [self] if test(self) else []
        for child in self.children:
            found += child.find_all(test)
        return found


class Tree(HTMLParser):
    """A page as a tree of Nodes (the served pages close every element they open)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.root = Node("root", {})
        self.stack = [self.root]
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        self.stack[-1].parts.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        while len(self.stack) > 1 and self.stack.pop().tag != tag:
            pass

    def handle_data(self, data):
        self.stack[-1].parts.append(data)


def demo_lines(tenant: str, entity: str, line: str) -> bool:
    """Whether the demo data gives some record of the entity rows of the lines field."""
    path = DATA_DIR / f"{tenant}.yaml"
    records = yaml.safe_load(path.read_text(encoding="utf-8"))["records"] if path.exists() else []
    return any(r["entity"] == entity and (r.get("values") or {}).get(line) for r in records)


DEMO_LINES = [case for case in CASES if demo_lines(*case)]


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "FORMWORK_METADATA": str(SHIPPED),
            "FORMWORK_DATA": str(tmp_path_factory.mktemp("data")),
        }
    )
    return with_demo(app)


def record_with_lines(service, tenant: str, entity: str, line: str) -> dict | None:
    items = service.list(tenant, entity, sort="id")["items"]
    records = (service.read(tenant, entity, item["id"]) for item in items)
    return next((record for record in records if record.get(line)), None)


def lines_region(page: str, label: str) -> Node:
    tree = Tree(page).root
    regions = tree.find_all(lambda n: n.attrs.get("role") == "region")
    found = [n for n in regions if n.attrs.get("aria-label") == label]
    assert len(found) == 1, f"the page has {len(found)} regions named {label!r}"
    return found[0]


def shown_text(text: str) -> str:
    """A text as the page's parsed text reads it: its spaces, narrow ones too, as one."""
    return " ".join(text.split())


def row_fields(details: Node) -> dict[str, str]:
    """Each label of a row's details with the value shown beside it."""
    pairs = details.find_all(lambda n: n.tag == "div" and n.children and n.children[0].tag == "dt")
    return {pair.children[0].text(): pair.children[1].text() for pair in pairs}


def test_the_demo_data_has_lines_in_every_tenant():
    assert {tenant for tenant, _, _ in DEMO_LINES} == {tenant for tenant, _, _ in CASES}


@pytest.mark.parametrize(("tenant", "entity", "line"), DEMO_LINES)
def test_a_record_page_shows_the_grid_columns_and_every_field_of_each_row(
    demo_app, tenant, entity, line
):
    service = demo_app.extensions["formwork"]
    record = record_with_lines(service, tenant, entity, line)
    assert record is not None, f"the demo {tenant} {entity} records lost their {line}"
    target = service.target(tenant, entity)
    spec = target.spec.field(line)
    child = target.child(spec)
    page = logged_in(demo_app, tenant).get(f"/{tenant}/{entity}/{record['id']}")
    assert page.status_code == 200
    region = lines_region(page.get_data(as_text=True), spec.label)
    with demo_app.test_request_context(f"/{tenant}/"):  # display reads the tenant's words
        check_lines(region, child, spec, record[line])


def check_lines(region: Node, child, spec, rows: list[dict]) -> None:
    """The grid has the form's grid columns; each row's cells and details show its values."""

    columns = grid_columns(child, spec)
    headers = [th.text() for th in region.find_all(lambda n: n.tag == "th" and "scope" in n.attrs)]
    headers = [h for h in headers if not re.fullmatch(r"\d+", h)]  # the rows' numbers
    assert headers == ["Row", *(c.label for c in columns)]

    bodies = region.find_all(lambda n: n.tag == "tbody")
    assert len(bodies) == len(rows)
    for body, row in zip(bodies, rows, strict=True):
        cells = [td.text() for td in body.children[0].children if td.tag == "td"]
        assert cells == [shown_text(display(child, c, row.get(c.name))) for c in columns]
        shown = row_fields(body.find_all(lambda n: n.tag == "details")[0])
        for field in child.spec.fields:
            if field.name == spec.lines.link or field.lines or field.hidden:
                continue
            if field.visible_if and not conditions.evaluate(field.visible_if.tree, row):
                continue
            value = row.get(field.system or field.name)
            assert field.label in shown, f"row {row['id']} does not show {field.label}"
            assert shown[field.label] == shown_text(display(child, field, value))
            if field.lookup and value is not None:  # the linked record's title, not its id
                assert shown[field.label] != str(value)
