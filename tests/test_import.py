"""Importing records from tables: the rules of a save, for thousands of rows at once."""

from __future__ import annotations

import decimal
import textwrap

import pytest
from conftest import _drop_tenant_schemas
from records_metadata import FILES

from engine.bulk.importer import ImportOptions, ImportRefused, import_records
from engine.bulk.tables import read_csv
from engine.records.service import RecordService
from engine.records.writing import RowWriter, reserve_ids
from engine.registry import build_registry
from engine.storage.databases import Storage
from engine.storage.sync import sync_registry

T, ACCOUNT, BRANCH = "t", "account", "branch"


def table(text: str, name: str = "accounts.csv"):
    return read_csv(textwrap.dedent(text).lstrip().encode(), name)


def accounts(service):
    return service.list(T, ACCOUNT, sort="number", limit=500)["items"]


def errors_by_row(result):
    return {(row.table.name, row.number): row.errors for row in result.rejected}


def test_rows_become_records_with_numbers_defaults_and_an_audit_entry(service):
    result = import_records(
        service,
        T,
        ACCOUNT,
        table("""
            Name,Credit Limit,Opened,Currency
            Acme,500.5,2024-01-02,EUR
            Bolt,,,usd
        """),
        options=ImportOptions(user="loader"),
    )
    assert (result.created, result.committed, result.rejected) == (2, True, [])
    acme, bolt = accounts(service)
    assert acme["number"] == "3897-0001" and bolt["number"] == "3897-0002"
    assert acme["credit_limit"] == 500.5 and acme["opened"] == "2024-01-02"
    assert bolt["currency"] == "USD"  # an option by its value, whatever its case
    assert bolt["kind"] == "company"  # the field's default
    assert acme["status"] == "draft" and acme["rev_number"] == 1
    assert acme["created_by"] == "loader"
    (entry,) = service.history(T, ACCOUNT, acme["id"])
    assert entry["action"] == "create" and entry["user"] == "loader"
    assert entry["changes"]["name"] == [None, "Acme"]
    # the numbering goes on after the import
    made = service.create(T, ACCOUNT, {"name": "Next"}, "me")
    assert made["number"] == "3897-0003"


def test_an_imported_record_reads_back_as_one_saved_through_the_service(service):
    values = {
        "name": "Same",
        "credit_limit": 1234.56,
        "opened": "2023-12-31",
        "currency": "EUR",
        "kind": "company",
        "tax_id": "TX-1",
        "note": "line one\nline two",
    }
    saved = service.create(T, ACCOUNT, {**values, "number": "S-1"}, "me")
    import_records(
        service,
        T,
        ACCOUNT,
        table("""
            number,name,credit_limit,opened,currency,kind,tax_id,note
            S-2,Same x,1234.56,2023-12-31,EUR,company,TX-1,"line one
            line two"
        """),
        options=ImportOptions(user="me"),
    )
    imported = next(a for a in accounts(service) if a["number"] == "S-2")
    ignore = {"id", "number", "name", "creation_date", "last_update_date"}
    assert {k: v for k, v in imported.items() if k not in ignore} == {
        k: v
        for k, v in service.read(T, ACCOUNT, saved["id"]).items()
        if k not in ignore | {"branches"}
    }
    # the history page shows the same creation, though an import's entry is stored compactly
    (made,) = service.history(T, ACCOUNT, saved["id"])
    (loaded,) = service.history(T, ACCOUNT, imported["id"])
    assert {k: v for k, v in loaded["changes"].items() if k not in ignore} == {
        k: v for k, v in made["changes"].items() if k not in ignore
    }
    assert loaded["changes"]["number"] == [None, "S-2"] and loaded["action"] == "create"


def test_every_bad_row_is_reported_and_nothing_is_written(service):
    rows = ["Name,Credit Limit,Opened,Kind,Nickname"]
    for i in range(40):
        rows.append(f"Good {i},{i},2024-01-{1 + i % 28:02d},company,")
    rows[7] = "Bad one,-1,2024-13-01,company,"  # below the minimum, and no such month
    rows[20] = "Bad two,lots,,person,"  # not a number, and a person needs a nickname
    result = import_records(service, T, ACCOUNT, table("\n".join(rows)))
    assert not result.committed
    assert accounts(service) == []
    found = errors_by_row(result)
    assert found[("accounts.csv", 8)] == [
        "Credit Limit must be at least 0.",
        "Opened must be a date (YYYY-MM-DD).",
    ]
    assert found[("accounts.csv", 21)] == [
        "Credit Limit must be an amount; the file has 'lots'.",
        "Nickname is required.",
    ]
    assert result.failed_rows == 2
    # the sequence gave nothing away: the next number is still the first
    assert service.create(T, ACCOUNT, {"name": "After"}, "me")["number"] == "3897-0001"


def test_fields_unique_together_are_checked_in_the_file_and_against_the_records(service):
    service.create(T, ACCOUNT, {"name": "Acme", "opened": "2024-01-02"}, "me")
    result = import_records(
        service,
        T,
        ACCOUNT,
        table("""
            Name,Opened
            Acme,2024-01-02
            Bolt,2024-01-02
            Bolt,2024-01-02
            Bolt,2024-01-03
            Acme,
        """),
        options=ImportOptions(keep_valid=True),
    )
    assert errors_by_row(result) == {
        ("accounts.csv", 2): ["Another Account has the same Name and Opened."],
        ("accounts.csv", 4): ["Another Account has the same Name and Opened as row 3."],
    }
    assert result.created == 3 and result.committed  # the rest, not a crash
    assert [a["name"] for a in accounts(service)] == ["Acme", "Bolt", "Bolt", "Acme"]


def test_keep_valid_commits_the_good_rows_and_hands_back_the_bad(service):
    text = "Name,Credit Limit\n" + "\n".join(
        f"Row {i},{'oops' if i % 20 == 0 else i}" for i in range(100)
    )
    result = import_records(
        service, T, ACCOUNT, table(text), options=ImportOptions(keep_valid=True)
    )
    assert result.committed and result.created == 95
    assert len(accounts(service)) == 95
    assert sorted(row.number for row in result.rejected) == [2, 22, 42, 62, 82]
    assert result.rejected[0].cells == ["Row 0", "oops"]  # as read, to fix and send again


def test_dry_run_checks_everything_and_writes_nothing(service):
    result = import_records(
        service, T, ACCOUNT, table("Name\nA\nB\n"), options=ImportOptions(dry_run=True)
    )
    assert (result.created, result.committed) == (2, False)
    assert accounts(service) == []
    assert result.notices[-1] == "dry run: every row is valid; nothing was written"


def test_unique_values_are_checked_in_the_file_and_in_the_database(service):
    service.create(T, ACCOUNT, {"name": "Old", "number": "N-1"}, "me")
    result = import_records(service, T, ACCOUNT, table("Number,Name\nN-1,A\nN-2,B\nN-2,C\n"))
    assert errors_by_row(result) == {
        ("accounts.csv", 2): ["Number 'N-1' is already used by another Account."],
        ("accounts.csv", 4): ["Number 'N-2' is also on row 3."],
    }


def test_columns_match_names_and_labels_whatever_their_case_and_spacing(service):
    result = import_records(
        service, T, ACCOUNT, table("NAME ,credit limit,OPENED\nA,1,2024-01-01\n")
    )
    assert result.created == 1
    (record,) = accounts(service)
    assert (record["name"], record["credit_limit"], record["opened"]) == ("A", 1, "2024-01-01")
    with pytest.raises(ImportRefused, match="both fill Credit Limit"):
        import_records(service, T, ACCOUNT, table("Name,credit limit,Credit_Limit\nA,1,2\n"))


def test_unknown_columns_stop_the_import_unless_skipped(service):
    text = "Name,Colour,Credit Limt\nA,red,5\n"
    with pytest.raises(ImportRefused) as refused:
        import_records(service, T, ACCOUNT, table(text))
    assert refused.value.problems == [
        "accounts.csv: column 'Colour' is not a field; remove it or pass --skip-unknown-columns",
        "accounts.csv: column 'Credit Limt' is not a field (did you mean 'Credit Limit'?); "
        "remove it or pass --skip-unknown-columns",
    ]
    assert accounts(service) == []
    result = import_records(
        service, T, ACCOUNT, table(text), options=ImportOptions(skip_unknown_columns=True)
    )
    assert result.created == 1
    assert result.notices == [
        "accounts.csv: column 'Colour' is not a field: skipped",
        "accounts.csv: column 'Credit Limt' is not a field: skipped",
    ]


def test_columns_the_system_fills_are_skipped_with_a_notice(service):
    result = import_records(service, T, ACCOUNT, table("Name,Region Code,created_by\nA,XX,me\n"))
    assert result.created == 1
    assert result.notices == [
        "accounts.csv: column 'Region Code' is filled in by the system: skipped",
        "accounts.csv: column 'created_by' is filled in by the system: skipped",
    ]
    assert accounts(service)[0]["region_code"] is None


def test_lookups_resolve_by_number_by_title_and_by_id(service):
    acme = service.create(T, ACCOUNT, {"name": "Acme", "currency": "EUR"}, "me")
    service.create(T, ACCOUNT, {"name": "Twin"}, "me")
    service.create(T, ACCOUNT, {"name": "Twin"}, "me")
    result = import_records(
        service,
        T,
        BRANCH,
        table(
            f"""
            Account,City
            {acme["number"]},By number
            acme,By title
            #{acme["id"]},By id
            Twin,Ambiguous
            Nobody,Unknown
            #999,No such id
            """,
            "branches.csv",
        ),
        options=ImportOptions(keep_valid=True),
    )
    assert result.created == 3
    branches = service.list(T, BRANCH)["items"]
    assert {b["account"] for b in branches} == {acme["id"]}
    assert {b["currency"] for b in branches} == {"EUR"}  # fetched from the account
    assert errors_by_row(result) == {
        ("branches.csv", 5): [
            "Account: 2 Accounts have the Name 'Twin'; name one by a unique key or as #id."
        ],
        ("branches.csv", 6): ["Account: no Account has the Number or Name 'Nobody'."],
        ("branches.csv", 7): ["Account: Account #999 does not exist."],
    }


def test_lines_come_from_a_second_table_keyed_by_the_parents_number(service):
    main = table("Number,Name,Currency\nA-1,Acme,EUR\nA-2,Bolt,USD\nA-3,Lone,\n")
    lines = table(
        """
        Number,City,Staff
        A-1,Paris,3
        a-1,Lyon,
        A-2,Boston,12
        """,
        "branches.csv",
    )
    result = import_records(service, T, ACCOUNT, main, {"branches": lines})
    assert (result.created, result.rejected) == (3, [])
    acme, bolt, lone = accounts(service)
    acme = service.read(T, ACCOUNT, acme["id"])
    assert [(b["city"], b["staff"], b["currency"]) for b in acme["branches"]] == [
        ("Paris", 3, "EUR"),  # a line inherits the parent's currency
        ("Lyon", None, "EUR"),
    ]
    assert [b["city"] for b in service.read(T, ACCOUNT, bolt["id"])["branches"]] == ["Boston"]
    assert service.read(T, ACCOUNT, lone["id"])["branches"] == []
    (entry,) = service.history(T, BRANCH, acme["branches"][0]["id"])
    assert entry["action"] == "create"


def test_a_bad_line_rejects_its_parent_and_an_orphan_line_is_reported(service):
    main = table("Number,Name\nA-1,Acme\nA-2,Bolt\n")
    lines = table("Account,City,Staff\nA-1,Paris,-3\nA-9,Nowhere,1\nA-2,Rome,1\n", "branches.csv")
    result = import_records(
        service, T, ACCOUNT, main, {"branches": lines}, ImportOptions(keep_valid=True)
    )
    assert result.created == 1
    assert [a["name"] for a in accounts(service)] == ["Bolt"]
    assert errors_by_row(result) == {
        ("branches.csv", 3): ["no Account of the file has the Number 'A-9'"],
        ("accounts.csv", 2): [],  # rejected with its bad line
        ("branches.csv", 2): ["Staff must be at least 0."],
    }


def test_lines_need_a_key_and_a_parent_column(service):
    lines = table("City\nParis\n", "branches.csv")
    with pytest.raises(ImportRefused, match="no column names the Account of each line"):
        import_records(service, T, ACCOUNT, table("Number,Name\nA-1,Acme\n"), {"branches": lines})
    with pytest.raises(ImportRefused, match="no column holds Number, the key"):
        import_records(service, T, ACCOUNT, table("Name\nAcme\n"), {"branches": lines})
    with pytest.raises(ImportRefused, match="has no lines 'sites'; its lines: branches"):
        import_records(service, T, ACCOUNT, table("Number,Name\nA-1,Acme\n"), {"sites": lines})


def test_upsert_updates_by_key_with_audit_and_creates_the_rest(service):
    old = service.create(T, ACCOUNT, {"name": "Old name", "number": "K-1"}, "me")
    result = import_records(
        service,
        T,
        ACCOUNT,
        table("Number,Name,Credit Limit\nK-1,New name,10\n,Fresh,20\n"),
        options=ImportOptions(key="number", user="loader"),
    )
    assert (result.created, result.updated, result.rejected) == (1, 1, [])
    updated = service.read(T, ACCOUNT, old["id"])
    assert (updated["name"], updated["credit_limit"], updated["rev_number"]) == ("New name", 10, 2)
    change = service.history(T, ACCOUNT, old["id"])[-1]
    assert change["user"] == "loader"
    assert change["changes"] == {"name": ["Old name", "New name"], "credit_limit": [None, 10]}
    fresh = next(a for a in accounts(service) if a["name"] == "Fresh")
    assert fresh["number"] == "3897-0001"  # numbering applies to a new record


def test_upsert_refuses_a_row_whose_record_changed_since_the_export(service):
    old = service.create(T, ACCOUNT, {"name": "A", "number": "K-1"}, "me")
    service.update(T, ACCOUNT, old["id"], {"name": "B", "rev_number": 1}, "someone")
    result = import_records(
        service,
        T,
        ACCOUNT,
        table("Number,Name,Revision\nK-1,C,1\n"),
        options=ImportOptions(key="number"),
    )
    assert not result.committed
    (message,) = result.rejected[0].errors
    assert "was changed by someone" in message and "(revision 2, you sent 1)" in message
    assert service.read(T, ACCOUNT, old["id"])["name"] == "B"


def test_upsert_keeps_the_rules_of_an_update(service):
    old = service.create(T, ACCOUNT, {"name": "A", "number": "K-1", "currency": "EUR"}, "me")
    result = import_records(
        service,
        T,
        ACCOUNT,
        table("Number,Currency\nK-1,USD\n"),
        options=ImportOptions(key="number"),
    )
    assert result.rejected[0].errors == ["Currency cannot be changed once saved."]
    assert service.read(T, ACCOUNT, old["id"])["currency"] == "EUR"


def test_a_key_must_be_a_unique_field(service):
    with pytest.raises(ImportRefused, match="Name is not unique"):
        import_records(service, T, ACCOUNT, table("Name\nA\n"), options=ImportOptions(key="name"))
    with pytest.raises(ImportRefused, match="--key colour: Account has no such field"):
        import_records(service, T, ACCOUNT, table("Name\nA\n"), options=ImportOptions(key="colour"))


def test_a_repeated_key_is_refused(service):
    result = import_records(
        service,
        T,
        ACCOUNT,
        table("Number,Name\nK-1,A\nk-1,B\n"),
        options=ImportOptions(key="number"),
    )
    assert errors_by_row(result)[("accounts.csv", 3)] == [
        "Number 'k-1' is also on row 2; a key names one record"
    ]


def test_hostile_text_is_stored_as_text(service):
    import_records(service, T, ACCOUNT, table("Name,Note\n<script>alert(1)</script>,'=1+1\n"))
    (record,) = accounts(service)
    assert record["name"] == "<script>alert(1)</script>"
    assert service.read(T, ACCOUNT, record["id"])["note"] == "=1+1"  # the export's guard is undone


def test_a_row_longer_than_the_headers_is_refused(service):
    result = import_records(service, T, ACCOUNT, table("Name\nA,extra\nB,\n"))
    assert errors_by_row(result) == {
        ("accounts.csv", 2): ["the row has 2 cells but the headers only 1"]
    }


def test_progress_counts_each_row_checked_and_then_written_or_set_aside(service):
    steps = []
    text = "Name,Credit Limit\n" + "\n".join(f"R{i},{'x' if i == 3 else i}" for i in range(12))
    import_records(
        service,
        T,
        ACCOUNT,
        table(text),
        options=ImportOptions(keep_valid=True),
        progress=steps.append,
    )
    assert sum(steps) == 2 * 12


def test_an_id_column_is_skipped_with_a_notice(service):
    result = import_records(service, T, ACCOUNT, table("id,Name\n7,A\n"))
    assert [a["id"] for a in accounts(service)] == [1]  # the system's id, not the file's
    assert result.notices == ["accounts.csv: column 'id' is filled in by the system: skipped"]


TEAM = """\
entity: team
label: Team
plural: Teams
title_field: name
numbering: {field: code, pattern: "T-{seq:03d}"}
fields:
  - {name: code, sequence: 1, label: Code, input_type: text, group: MAIN, unique: true}
  - {name: name, sequence: 2, label: Name, input_type: text, group: MAIN, required: true}
  - {name: parent, sequence: 3, label: Parent Team, input_type: lookup, group: MAIN,
     lookup: {entity: team, fetch: {region: region}}}
  - {name: region, sequence: 4, label: Region, input_type: text, group: MAIN}
"""


@pytest.fixture
def teams(tree, storage):
    """A records service whose `team` entity names its parent team by a lookup to itself."""
    registry = build_registry(str(tree({**FILES, "entities/team.yaml": TEAM})))
    sync_registry(registry, storage)
    return RecordService(registry)


def team_rows(service):
    rows = service.list(T, "team", sort="id", limit=50)["items"]
    names = {row["id"]: row["name"] for row in rows}
    return {row["name"]: (row["code"], names.get(row["parent"]), row["region"]) for row in rows}


def test_a_row_may_name_a_record_that_a_row_above_it_creates(teams):
    teams.create(T, "team", {"name": "Head office", "region": "West"}, "me")
    text = """
        Code,Name,Parent Team,Region
        S-1,Sales,Head office,North
        S-2,Sales East,Sales,
        ,Sales East A,S-2,
        S-4,Support,T-001,
    """
    checked = import_records(teams, T, "team", table(text), options=ImportOptions(dry_run=True))
    assert (checked.created, checked.rejected, checked.committed) == (4, [], False)
    assert list(team_rows(teams)) == ["Head office"]

    result = import_records(teams, T, "team", table(text))
    assert (result.created, result.rejected, result.committed) == (4, [], True)
    assert team_rows(teams) == {
        "Head office": ("T-001", None, "West"),
        "Sales": ("S-1", "Head office", "North"),
        "Sales East": ("S-2", "Sales", "North"),  # by title; the region fetched from row 2
        "Sales East A": ("T-002", "Sales East", "North"),  # by code, through two rows
        "Support": ("S-4", "Head office", "West"),  # by the number of a record of the database
    }


def test_a_row_naming_a_rejected_row_or_one_below_it_is_rejected(teams):
    text = """
        Code,Name,Parent Team
        S-1,,
        S-2,Child,S-1
        S-3,Grandchild,Child
        S-4,Early,S-5
        S-5,Late,
    """
    result = import_records(teams, T, "team", table(text), options=ImportOptions(keep_valid=True))
    assert (result.created, result.committed) == (1, True)
    assert team_rows(teams) == {"Late": ("S-5", None, None)}
    assert errors_by_row(result) == {
        ("accounts.csv", 2): ["Name is required."],
        ("accounts.csv", 3): ["Parent Team: row 2, which it names, is rejected."],
        ("accounts.csv", 4): ["Parent Team: row 3, which it names, is rejected."],
        ("accounts.csv", 5): [
            "Parent Team: the Team 'S-5' is created by row 6, below this one; "
            "a row can name only those above it."
        ],
    }
    assert result.rejected[1].cells == ["S-2", "Child", "S-1"]  # as read, to fix and send again

    # all or nothing: only the rows that are wrong themselves are listed
    again = import_records(teams, T, "team", table(text.replace("S-", "R-")))
    assert not again.committed and list(team_rows(teams)) == ["Late"]
    assert sorted(number for _, number in errors_by_row(again)) == [2, 5]


SAMPLE = """\
entity: sample
label: Sample
plural: Samples
fields:
  - {name: title, sequence: 1, label: Title, input_type: text, group: MAIN}
  - {name: body, sequence: 2, label: Body, input_type: textarea, group: MAIN}
  - {name: amount, sequence: 3, label: Amount, input_type: decimal, group: MAIN, precision: 4}
  - {name: price, sequence: 4, label: Price, input_type: currency, group: MAIN}
  - {name: count, sequence: 5, label: Count, input_type: integer, group: MAIN}
  - {name: day, sequence: 6, label: Day, input_type: date, group: MAIN}
  - {name: moment, sequence: 7, label: Moment, input_type: datetime, group: MAIN}
  - {name: at, sequence: 8, label: At, input_type: time, group: MAIN}
  - {name: flag, sequence: 9, label: Flag, input_type: switch, group: MAIN}
  - {name: choice, sequence: 10, label: Choice, input_type: select, group: MAIN,
     options: ['a\\b', 'say "hi"', "tab\\there"]}
  - {name: tags, sequence: 11, label: Tags, input_type: multiselect, group: MAIN,
     options: ['back\\slash', 'quo"te', 'ünï']}
  - {name: fallback, sequence: 12, label: Fallback, input_type: text, group: MAIN,
     default: "x\\ty"}
"""
# every text a COPY line could mistake for its own syntax, and text around it
HOSTILE = [
    "tab\there",
    "two\nlines",
    "carriage\rreturn",
    "back\\slash",
    "\\N",
    "\\.",
    "\\",
    "say \"hi\", then 'bye'",
    "comma, comma,",
    "  inner  spaces  ",
    "Grüße 漢字 עברית 🦆",
    "\\t not a tab",
]


def _cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def hostile_csv() -> bytes:
    head = "Title,Body,Amount,Price,Count,Day,Moment,At,Flag,Choice,Tags"
    lines = [head]
    for index, text in enumerate(HOSTILE):
        lines.append(
            ",".join([
                _cell(text), _cell(f"{text}|{text}"), "12345678.1234", "0.1", "-9007199254740993",
                "0001-01-01", "2024-02-29T23:59:59.999999+02:00", "23:59:59", "yes",
                _cell('say "hi"'), _cell("back\\slash, quo\"te, ünï"),
            ])
        )  # fmt: skip
        if index == 0:  # empty cells: no values, and the default where there is one
            lines.append(",,,,,,,,no,,")
    lines.append(",".join(["x", "", "-0.0001", "", "0", "", "", "", "no", _cell("tab\there"), ""]))
    return ("\r\n".join(lines) + "\r\n").encode()


def imported_samples(tree, storage):
    """The hostile file imported on `storage`: each record as read back, and its history."""
    registry = build_registry(str(tree({**FILES, "entities/sample.yaml": SAMPLE})))
    sync_registry(registry, storage)
    service = RecordService(registry)
    result = import_records(service, T, "sample", read_csv(hostile_csv(), "hostile.csv"))
    assert (result.created, result.committed, result.rejected) == (len(HOSTILE) + 2, True, [])
    stamps = {"creation_date", "last_update_date"}
    records = []
    for item in service.list(T, "sample", sort="id", limit=50)["items"]:
        record = service.read(T, "sample", item["id"])
        (entry,) = service.history(T, "sample", item["id"])
        entry.pop("at")
        records.append(({k: v for k, v in record.items() if k not in stamps}, entry))
    model = service.target(T, "sample").model
    raw = list(model.select(model.amount, model.price).order_by(model.id).tuples())
    storage.close()
    return records, raw


def test_hostile_text_decimals_and_empty_cells_read_back_alike_on_both_backends(
    tree, tmp_path, postgres_url
):
    on_sqlite, _ = imported_samples(tree, Storage(data_dir=str(tmp_path / "lite")))
    try:
        on_postgres, raw = imported_samples(
            tree, Storage(data_dir=str(tmp_path / "pg"), database_url=postgres_url)
        )
    finally:
        _drop_tenant_schemas(postgres_url)
    assert on_postgres == on_sqlite
    records = [record for record, _ in on_postgres]
    assert [r["title"] for r in records[:1] + records[2:-1]] == [t.strip() for t in HOSTILE]
    assert records[0]["body"] == "tab\there|tab\there"
    assert records[0]["tags"] == ["back\\slash", 'quo"te', "ünï"]
    assert records[0]["moment"] == "2024-02-29T21:59:59.999999+00:00"
    assert (records[0]["count"], records[0]["day"], records[0]["flag"]) == (
        -9007199254740993, "0001-01-01", True
    )  # fmt: skip
    empty = records[1]
    assert empty["title"] is None and empty["tags"] is None and empty["flag"] is False
    assert empty["fallback"] == "x\ty"
    assert raw[0] == (decimal.Decimal("12345678.1234"), decimal.Decimal("0.10"))
    assert raw[1] == (None, None) and raw[-1][0] == decimal.Decimal("-0.0001")


def test_empty_text_and_no_value_stay_apart_on_postgresql(tree, tmp_path, postgres_url):
    registry = build_registry(str(tree({**FILES, "entities/sample.yaml": SAMPLE})))
    storage = Storage(data_dir=str(tmp_path / "pg"), database_url=postgres_url)
    try:
        sync_registry(registry, storage)
        target = RecordService(registry).target(T, "sample")
        with target.tenant.database.atomic():
            records = [{"title": "", "body": None}, {"title": None, "body": ""}]
            RowWriter(target, "me").write(reserve_ids(target, 2), records)
        model = target.model
        stored = list(model.select(model.title, model.body).order_by(model.id).tuples())
        assert stored == [("", None), (None, "")]
    finally:
        storage.close()
        _drop_tenant_schemas(postgres_url)


def test_a_nul_character_rejects_its_row_before_anything_is_written(service):
    result = import_records(service, T, ACCOUNT, table("Name,Note\nGood,fine\nBad,a\x00b\n"))
    assert errors_by_row(result) == {
        ("accounts.csv", 3): ["Note holds a NUL character, which cannot be stored"]
    }
    assert accounts(service) == []
