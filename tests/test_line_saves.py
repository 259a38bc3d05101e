"""A save of a record's lines reads each line once, with the record, and writes the audit
entries of the lines it changes in one statement: on SQLite and PostgreSQL, the
statements of a save grow with the lines it changes by their UPDATEs alone, and not at
all with the lines it keeps; each line's history and the record's say what changed."""

from __future__ import annotations

from page_costs import counting
from test_search import app  # noqa: F401  (the fixture: partners with sites as lines)


def save(service, lines: int, changed: int) -> tuple[int, dict]:
    """The statements of a save that renames `changed` of a partner's `lines` lines."""
    sites = [{"city": f"City {n}"} for n in range(lines)]
    made = service.create("t", "partner", {"name": "Co", "sites": sites}, "ann")
    rows = [dict(line) for line in made["sites"]]
    for row in rows[:changed]:
        row["city"] = row["city"].replace("City", "Town")
    with counting() as counted:
        service.update("t", "partner", made["id"], {"sites": rows, "rev_number": 1}, "ann")
    return len(counted), service.read("t", "partner", made["id"])


def test_a_save_reads_no_line_again_whatever_the_lines_kept(app):  # noqa: F811
    service = app.extensions["formwork"]
    few, record = save(service, 2, 1)
    assert save(service, 7, 1)[0] == few
    assert [line["city"] for line in record["sites"]] == ["Town 0", "City 1"]
    entry = service.history("t", "partner", record["id"])[-1]
    assert [line["changes"] for line in entry["lines"]["sites"]] == [{"city": ["City 0", "Town 0"]}]


def test_the_lines_changed_cost_their_updates_and_one_audit_statement(app):  # noqa: F811
    service = app.extensions["formwork"]
    one, _ = save(service, 5, 1)
    four, record = save(service, 5, 4)
    assert four - one == 3  # an UPDATE per line more; their audit entries in one INSERT
    for number, line in enumerate(record["sites"]):
        history = service.history("t", "site", line["id"])
        expected = [{"city": [f"City {number}", f"Town {number}"]}] if number < 4 else []
        assert [e["changes"] for e in history if e["action"] == "update"] == expected
