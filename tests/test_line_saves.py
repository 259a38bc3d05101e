"""A save of a record's lines reads each line once, with the record: the statements of a
save that changes one line do not grow with the lines kept as they were, on SQLite and
PostgreSQL, and the line changed is what the record then holds."""

from __future__ import annotations

from page_costs import counting
from test_search import app  # noqa: F401  (the fixture: partners with sites as lines)


def save_changing_one_line(service, kept: int) -> tuple[int, dict]:
    """The statements of a save that renames one line of a partner with `kept` more."""
    sites = [{"city": f"City {n}"} for n in range(kept + 1)]
    made = service.create("t", "partner", {"name": "Co", "sites": sites}, "ann")
    lines = [dict(line) for line in made["sites"]]
    lines[0]["city"] = "Bern"
    with counting() as counted:
        service.update("t", "partner", made["id"], {"sites": lines, "rev_number": 1}, "ann")
    return len(counted), service.read("t", "partner", made["id"])


def test_a_save_reads_no_line_again_whatever_the_lines_kept(app):  # noqa: F811
    service = app.extensions["formwork"]
    few, record = save_changing_one_line(service, 1)
    many, _ = save_changing_one_line(service, 6)
    assert few == many
    assert [line["city"] for line in record["sites"]] == ["Bern", "City 1"]
    entry = service.history("t", "partner", record["id"])[-1]
    assert [line["changes"] for line in entry["lines"]["sites"]] == [{"city": ["City 0", "Bern"]}]
