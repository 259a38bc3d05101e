"""Lines on the shipped forms, in Chromium, for every shipped tenant × entity with lines, at
1280×800 and 390×844: the grid's few columns, each row's editor, rows added, edited,
copied, moved and removed with the keyboard alone and saved as seen, a closed row's
problem on its grid row and reached from the error summary, and no page wider than the
screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect
from test_lines_form import CASES, editable_record, row_fields

from engine.spec import FieldSpec
from webui.line_grid import grid_columns

from . import shipped_site as site
from .conftest import screenshot
from .shipped_site import SIZES

# the module's fixtures: the shipped site with its demo data
shipped_site = site.shipped_site


def press(control: Locator, key: str = "Enter") -> None:
    """What a person does with the keyboard on a control they tabbed to."""
    control.focus()
    control.page.keyboard.press(key)


WIDER = """() => Array.from(document.querySelectorAll("body *"))
  .filter((node) => node.getBoundingClientRect().right > window.innerWidth)
  .slice(0, 5).map((node) => node.outerHTML.slice(0, 160))"""


def no_overflow(page: Page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], (
        f"the page is {width[0]} px wide in a {width[1]} px window: {page.evaluate(WIDER)}"
    )


def enter_text(control: Locator, text: str) -> None:
    """Replace the control's text from the keyboard: all of it selected, the new text put
    in as one input (as a keyboard's paste or completion does; typing it key by key would
    cost most of these tests' time, and the combobox's search is typed key by key)."""
    control.focus()
    control.page.keyboard.press("Control+A")
    control.page.keyboard.insert_text(text)


def choose(control: Locator, value: str) -> None:
    """Pick a select's option by typing its label, as the keyboard does on a closed select."""
    label = control.locator(f'option[value="{value}"]').text_content().strip()
    control.focus()
    control.page.keyboard.type(label)
    expect(control).to_have_value(value)


def pick(box: Locator, title: str) -> None:
    """Choose a record in a lookup's combobox by keyboard: type its title, move down the
    results to it, Enter."""
    box.focus()
    box.page.keyboard.press("Control+A")
    box.press_sequentially(title)
    listbox = box.page.locator(f"#{box.get_attribute('aria-controls')}")
    expect(listbox.get_by_role("option", name=title, exact=True)).to_be_visible()
    for _ in range(listbox.get_by_role("option").count()):
        box.press("ArrowDown")
        active = box.get_attribute("aria-activedescendant")
        if active and box.page.locator(f"#{active}").inner_text().strip() == title:
            break
    box.press("Enter")
    expect(box).to_have_value(title)


def show_lines(page: Page, lines: Locator) -> None:
    """Bring the tab holding the lines forward (Enter on its tab), where tabs are shown."""
    panel = lines.evaluate("node => node.closest('fieldset.group')?.id")
    tab = page.locator(f"#tab-{panel}")
    if panel and tab.count() and tab.is_visible():
        press(tab)
    expect(lines).to_be_visible()


class Lines:
    """One lines field of the open form, and what its rows need."""

    def __init__(self, page: Page, service, tenant: str, entity: str, line: str, record: dict):
        self.page, self.name = page, line
        self.service, self.tenant = service, tenant
        target = service.target(tenant, entity)
        self.spec = target.spec.field(line)
        self.child = target.child(self.spec)
        self.fields, self.texts = row_fields(service, tenant, entity, line)
        self.record = record
        self.box = page.locator(f'fieldset[data-lines="{line}"]')
        self.rows = self.box.locator("tbody.line")

    def control(self, row: int, field) -> Locator:
        """The control a person uses for the field of a row: a lookup's combobox, else
        its input."""
        if field.lookup:
            return self.combobox(row, field)
        return self.page.locator(f'[name="{self.name}-{row}-{field.name}"]:not([type=hidden])')

    def sent(self, row: int, field) -> Locator:
        """The input whose value the form sends for the field: a lookup's id, kept in a
        hidden input beside its combobox."""
        if field.lookup:
            return self.page.locator(f'input[type=hidden][name="{self.name}-{row}-{field.name}"]')
        return self.control(row, field)

    def combobox(self, row: int, field) -> Locator:
        """The search box of a lookup (formwork.js's combobox)."""
        name = f"{self.name}-{row}-{field.name}"
        return self.page.locator(f'[name="{name}"] + .lookup-combobox [role=combobox]')

    def unused_target(self, field, taken: set[str]) -> tuple[str, str]:
        """(id, title) of an active record the lookup may name that no row names yet."""
        service, tenant = self.service, self.tenant
        spec = service.target(tenant, field.lookup.entity).spec
        active = {"active": "true"} if "active" in spec.system_columns else {}
        page = service.list(tenant, field.lookup.entity, filters=active, limit=50)
        for item in page["items"]:
            title = str(item.get(field.lookup.show) or "")
            if str(item["id"]) not in taken and title:
                return str(item["id"]), title
        raise AssertionError(f"no record left for {field.name}")

    def button(self, action: str, row: int) -> Locator:
        place = f"{self.spec.label} row {row + 1}"
        names = {"copy": f"Copy {place}", "up": f"Move {place} up", "remove": f"Remove {place}"}
        return self.box.get_by_role("button", name=names[action], exact=True)

    def fill(self, row: int, tag: str, taken: set[str]) -> dict[str, str]:
        """Type a value into each text field and each required field of a row; a
        lookup gets a record not `taken` (which it joins). Answers the values."""
        typed = {}
        for field in self.fields:
            box = self.combobox(row, field)
            if field.lookup:
                expect(box).to_have_count(1)
                if not field.required:
                    continue
                value, title = self.unused_target(field, taken)
                taken.add(value)
                pick(box, title)
                expect(self.sent(row, field)).to_have_value(value)
                typed[field.name] = value
                continue
            control = self.control(row, field)
            if control.evaluate("node => node.tagName") == "SELECT":
                if not field.required:
                    continue
                options = control.locator("option").evaluate_all("os => os.map(o => o.value)")
                unused = [o for o in options if o]
                value = unused[0]
                taken.add(value)
                choose(control, value)
            elif field in self.texts or (field.required and field.type.widget == "text"):
                value = f"{tag} {field.name}"[: field.max_length or 255]
                enter_text(control, value)
            else:
                continue
            typed[field.name] = value
        return typed


def ensure_targets(service, tenant: str, lines: FieldSpec, child, count: int) -> None:
    """Enough records for each required lookup of a row (its link aside) to name a
    different one in each new row: where the demo has too few, some more, their required
    text filled."""
    for field in child.spec.fields:
        if not (field.required and field.lookup) or field.name == lines.lines.link:
            continue
        target = service.target(tenant, field.lookup.entity).spec
        have = service.list(tenant, target.name, limit=1)["total"]
        for n in range(have, count):
            values = {
                f.name: f"L{n} {f.name}"[: f.max_length or 255]
                for f in target.fields
                if f.required and f.stored and f.type.widget == "text"
            }
            service.create(tenant, target.name, values, "test")


def open_form(shipped_site, browser, request, tenant, entity, line, size, record=None):
    """The edit form of `record` (else the first demo record whose form edits `line`) in a
    window of `size`, its lines field `line` shown."""
    service = shipped_site.service
    record = record or editable_record(service, tenant, entity, line)
    target = service.target(tenant, entity)
    spec = target.spec.field(line)
    ensure_targets(service, tenant, spec, target.child(spec), len(record[line]) + 3)
    context = browser.new_context(viewport=SIZES[size])
    request.addfinalizer(context.close)
    page = context.new_page()
    shipped_site.log_in(page, tenant)
    page.goto(f"{shipped_site.url}/{tenant}/{entity}/{record['id']}/edit")
    lines = Lines(page, service, tenant, entity, line, record)
    show_lines(page, lines.box)
    return page, lines


def taken_values(lines: Lines) -> set[str]:
    """The values the stored rows hold in their required selects."""
    return {
        str(row.get(f.name)) for row in lines.record[lines.name] for f in lines.fields if f.required
    }


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("tenant", "entity", "line"), CASES)
def test_rows_are_added_edited_copied_moved_and_removed_with_the_keyboard(
    shipped_site,
    browser,
    request,
    tenant,
    entity,
    line,
    size,
):
    page, lines = open_form(shipped_site, browser, request, tenant, entity, line, size)
    label = lines.spec.label
    columns = [c.label for c in grid_columns(lines.child, lines.spec)]
    assert 1 <= len(columns) <= 6
    heads = lines.box.locator("thead th").all_text_contents()
    assert heads == ["Row", *columns, "Problems and actions"]
    served = lines.rows.count()  # the stored rows and an empty one
    stored = len(lines.record[line])
    assert served == stored + 1
    no_overflow(page)

    press(lines.box.get_by_role("button", name=f"Add row to {label}", exact=True))
    expect(lines.rows).to_have_count(served + 1)
    first = lines.rows.nth(served)
    expect(first.locator("details")).to_have_attribute("open", "")
    expect(first.locator("details :focus")).to_have_count(1)  # in the new row's editor
    taken = taken_values(lines)
    typed_a = lines.fill(served, f"A{size[0]}", taken)
    for cell in first.locator("td[data-column]").all():  # the grid shows what was typed
        name = cell.get_attribute("data-column")
        if name not in typed_a:
            continue
        field = lines.child.spec.field(name)
        control = lines.control(served, field)
        if field.lookup:  # the record picked, by its title
            expect(cell.locator(".cell-value")).to_have_text(control.input_value())
        elif control.evaluate("node => node.tagName !== 'SELECT'"):
            expect(cell.locator(".cell-value")).to_have_text(typed_a[name])
    no_overflow(page)
    screenshot(page, f"lines-editor-{tenant}-{entity}-{line}-{size}", full_page=False)

    for button in first.locator("button").all():  # targets a finger or a tremor can hit
        box = button.bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24, (button.text_content(), box)

    press(lines.button("copy", served))
    expect(lines.rows).to_have_count(served + 2)
    copy = lines.rows.nth(served + 1)
    expect(copy.locator("summary")).to_be_focused()
    page.keyboard.press("Enter")  # opens the copy's editor
    expect(copy.locator("details")).to_have_attribute("open", "")
    for name, value in typed_a.items():
        field = lines.child.spec.field(name)
        if field.copy:
            expect(lines.sent(served + 1, field)).to_have_value(value)
    typed_b = lines.fill(served + 1, f"B{size[0]}", taken)

    press(lines.button("up", served + 1))
    expect(page.locator(":focus")).to_have_accessible_name(f"Move {label} row {served + 1} up")
    moved = lines.rows.nth(served)
    some = next(iter(typed_b))
    expect(lines.sent(served, lines.child.spec.field(some))).to_have_value(typed_b[some])
    expect(moved.locator("details")).to_have_attribute("open", "")

    press(lines.box.get_by_role("button", name=f"Add row to {label}", exact=True))
    expect(lines.rows).to_have_count(served + 3)
    page.keyboard.type("to be removed")
    press(lines.button("remove", served + 2))
    expect(lines.rows).to_have_count(served + 2)
    # the focus goes to the row before, the last one now
    expect(page.locator(":focus")).to_have_accessible_name(f"Remove {label} row {served + 2}")
    no_overflow(page)

    press(page.get_by_role("button", name="Save", exact=True))
    expect(page).to_have_url(re.compile(rf"/{tenant}/{entity}/{lines.record['id']}(\?.*)?$"))
    # the stored rows as they were, then the new ones in the order seen (the rows stay:
    # some lines are never deleted, and each test reads the record as it finds it)
    saved = shipped_site.service.read(tenant, entity, lines.record["id"])[line]
    assert [row["id"] for row in saved[:stored]] == [row["id"] for row in lines.record[line]]
    assert len(saved) == stored + 2
    for row, typed in zip(saved[stored:], (typed_b, typed_a), strict=True):
        for name, value in typed.items():
            assert str(row[name]) == value, (name, row[name], value)

    # a stored row moved up stays there
    page.goto(f"{shipped_site.url}/{tenant}/{entity}/{lines.record['id']}/edit")
    show_lines(page, lines.box)
    press(lines.button("up", stored + 1))
    press(page.get_by_role("button", name="Save", exact=True))
    expect(page).to_have_url(re.compile(rf"/{tenant}/{entity}/{lines.record['id']}(\?.*)?$"))
    again = shipped_site.service.read(tenant, entity, lines.record["id"])[line]
    ids = [row["id"] for row in saved]
    assert [row["id"] for row in again] == [*ids[:stored], ids[stored + 1], ids[stored]]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("tenant", "entity", "line"), CASES)
def test_a_closed_rows_problem_shows_on_its_grid_row_and_the_summary_opens_it(
    shipped_site,
    browser,
    request,
    tenant,
    entity,
    line,
    size,
):
    page, lines = open_form(shipped_site, browser, request, tenant, entity, line, size)
    numbering = lines.child.spec.numbering.field if lines.child.spec.numbering else None
    required = next(f for f in lines.fields if f.required and f.name != numbering)
    other = next(f for f in lines.texts if f.name != required.name)
    served = lines.rows.count()
    press(lines.box.get_by_role("button", name=f"Add row to {lines.spec.label}", exact=True))
    enter_text(lines.control(served, other), "a row without its required field")
    page.keyboard.press("Escape")  # closes the editor, back on its summary
    expect(lines.rows.nth(served).locator("details")).not_to_have_attribute("open", "")
    expect(lines.rows.nth(served).locator("summary")).to_be_focused()

    press(page.get_by_role("button", name="Save", exact=True))
    summary = page.locator(".summary")
    expect(summary).to_be_visible()
    position = served - 1  # the empty row served is not sent
    grid_row = lines.rows.nth(position).locator("tr.line-cells")
    expect(grid_row).to_have_class(re.compile(r"\bhas-error\b"))
    expect(grid_row.locator(".row-errors")).to_be_visible()
    expect(grid_row.locator(".row-errors")).to_contain_text(f"{required.label} is required.")
    editor = lines.rows.nth(position).locator("details")
    expect(editor).not_to_have_attribute("open", "")
    no_overflow(page)
    grid_row.scroll_into_view_if_needed()
    screenshot(page, f"lines-error-{tenant}-{entity}-{line}-{size}", full_page=False)

    link = summary.get_by_role("link", name=f"{required.label} is required.")
    press(link)
    expect(editor).to_have_attribute("open", "")
    expect(lines.control(position, required)).to_be_focused()
    no_overflow(page)
