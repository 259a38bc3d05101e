"""The list's search, on SQLite and PostgreSQL: each word typed begins a word of a
searchable field, whatever its case and accents, and the results equal a plain Python
reading of the records; what each write does (create, update, delete, import, a write
rolled back, a line removed) is what the next search sees; any text typed is taken as
text, never as the database's search syntax; a field made searchable finds the records
stored before."""

from __future__ import annotations

import re
import unicodedata

import peewee
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_pages import make_app

from engine import users
from engine.bulk.importer import ImportOptions, import_records
from engine.bulk.tables import read_csv
from engine.records.words import search_column
from engine.storage.sync import sync_registry

PARTNER = """\
entity: partner
label: Partner
plural: Partners
title_field: name
lines:
  sites: {entity: site, link: partner, label: Sites, sequence: 4, group: MAIN}
fields:
  - {name: name, sequence: 1, label: Name, input_type: text, group: MAIN, required: true,
     searchable: true, in_list: true}
  - {name: email, sequence: 2, label: Email, input_type: email, group: MAIN, searchable: true,
     unique: true}
  - {name: note, sequence: 3, label: Note, input_type: text, group: MAIN}
"""
SITE = """\
entity: site
label: Site
plural: Sites
fields:
  - {name: partner, sequence: 1, label: Partner, input_type: lookup, group: MAIN,
     lookup: {entity: partner}}
  - {name: city, sequence: 2, label: City, input_type: text, group: MAIN, searchable: true}
"""
HOSTILE = [
    '"', "'", '""', "*", "a*", "-", "-a", "NOT", "AND", "OR", "a AND", "OR b", "NEAR",
    "NEAR(a b)", "a NEAR/2 b", "(", ")", "((a)", "name:a", "^a", "a:*", "a & b", "!a",
    "a|b", "%", "_", "\\", "\x00", "a\x00b", "🙂", "é", "\u0301", "{a}", "[a]", "'; DROP",
    "a' OR '1'='1", "   ", "\t\n", "x" * 400, "<b>", "a.b@c",
]  # fmt: skip


@pytest.fixture
def app(tree, storage):
    files = {"entities/partner.yaml": PARTNER, "entities/site.yaml": SITE}
    application = make_app(tree(files), storage)
    users.add_user(application.extensions["formwork"].registry.tenant("t"), "ann", "editor",
                   "correct horse battery")  # fmt: skip
    return application


def oracle_words(text: str) -> list[str]:
    """Words as a person reads them: letters and digits, no case, no accents."""
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c)
    )
    return re.findall(r"[^\W_]+", plain)


def oracle(records: list[dict], q: str) -> list[int]:
    """The records where each word typed begins a word of the name or the email."""
    typed = oracle_words(q)
    if not typed:
        return [] if q.strip() else [r["id"] for r in records]
    found = []
    for record in records:
        have = oracle_words(record["name"]) + oracle_words(record.get("email") or "")
        if all(any(word.startswith(w) for word in have) for w in typed):
            found.append(record["id"])
    return found


def search(app, q: str, entity: str = "partner") -> list[int]:
    page = app.extensions["formwork"].list("t", entity, q=q, sort="id", limit=500)
    return [item["id"] for item in page["items"]]


TEXT = st.text(alphabet="abcAB01 éÉüÖñçå-_.%'\"*()@", max_size=12)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    names=st.lists(TEXT.filter(lambda t: t.strip()), min_size=1, max_size=8),
    emails=st.lists(st.sampled_from([None, "ann.b{}@ex.com", "Ça{}@va.fr", "x_y{}@z.io"])),
    queries=st.lists(TEXT, min_size=1, max_size=6),
)
def test_a_search_finds_what_a_plain_reading_of_the_records_finds(app, names, emails, queries):
    service = app.extensions["formwork"]
    for item in service.list("t", "partner", limit=500)["items"]:
        service.delete("t", "partner", item["id"], "ann")
    records = []
    for number, name in enumerate(names):
        email = emails[number] if number < len(emails) else None
        email = email and email.format(number)
        made = service.create("t", "partner", {"name": name.strip(), "email": email}, "ann")
        records.append(made)
    # the words of the records themselves, and their beginnings, make searches that find
    words = [w for r in records for w in oracle_words(r["name"])]
    for q in [*queries, *words, *(w[:1] for w in words), " ".join(words[:2])]:
        assert search(app, q) == oracle(records, q), q


def test_each_write_is_seen_by_the_next_search(app):
    service = app.extensions["formwork"]
    made = service.create("t", "partner", {"name": "Müller GmbH", "note": "zebra"}, "ann")
    assert search(app, "mull") == search(app, "MÜLLER gm") == [made["id"]]
    assert search(app, "zebra") == []  # a field not searchable
    assert search(app, "gmbh müller") == [made["id"]]  # the words in any order
    assert search(app, "üller") == []  # a word's beginning, not its middle
    service.update("t", "partner", made["id"], {"name": "Schmidt AG", "rev_number": 1}, "ann")
    assert search(app, "muller") == [] and search(app, "schm") == [made["id"]]
    service.delete("t", "partner", made["id"], "ann")
    assert search(app, "schm") == []
    # an import (many rows at once, by executemany or COPY)
    rows = "".join(f"Importé {n},i{n}@ex.com\n" for n in range(80))
    result = import_records(
        service, "t", "partner", read_csv(f"Name,Email\n{rows}".encode(), "p.csv")
    )
    assert result.created == 80
    assert len(search(app, "importe")) == 80 and len(search(app, "i7")) == 11  # i7, i70…i79
    # updated through an import's key
    again = read_csv(b"Name,Email\nRenamed,i7@ex.com\n", "p.csv")
    assert import_records(
        service, "t", "partner", again, options=ImportOptions(key="email")
    ).updated
    assert len(search(app, "renamed")) == 1 and len(search(app, "importe")) == 79


def test_a_word_typed_finds_every_word_it_begins_however_many_there_are(app):
    """A typed word is looked up among the index's words: below MANY_WORDS of them it
    finds each one's records, above it the records of them all just the same."""
    from engine.storage.search_index import MANY_WORDS

    service = app.extensions["formwork"]
    names = [f"Ab{n:03d} Co" for n in range(MANY_WORDS + 6)]  # ab000, ab001, … ab069
    names += ["Abz Ltd", "Ab Works", "Abß", "Abé Co", "Ab\u0436 Co", "Ac"]
    records = [service.create("t", "partner", {"name": name}, "ann") for name in names]
    for q in ["ab", "ab0", "ab06", "ab069", "ab07", "abz", "ab co", "co ab00", "abs", "abж",
              "a", "ac", "ad"]:  # fmt: skip
        assert search(app, q) == oracle(records, q), q


def test_a_write_rolled_back_leaves_no_words(app):
    service = app.extensions["formwork"]
    database = service.registry.tenant("t").database
    with pytest.raises(RuntimeError), database.atomic():
        service.create("t", "partner", {"name": "Phantom"}, "ann")
        assert search(app, "phantom")  # seen inside its own transaction
        raise RuntimeError("the write is given up")
    assert search(app, "phantom") == []
    made = service.create("t", "partner", {"name": "Real"}, "ann")
    with pytest.raises(RuntimeError), database.atomic():
        service.update("t", "partner", made["id"], {"name": "Ghost", "rev_number": 1}, "ann")
        raise RuntimeError("the write is given up")
    assert search(app, "ghost") == [] and search(app, "real") == [made["id"]]


def test_a_line_removed_takes_its_words_with_it(app):
    service = app.extensions["formwork"]
    sites = [{"city": "Zürich"}, {"city": "Lyon"}]
    made = service.create("t", "partner", {"name": "Co", "sites": sites}, "ann")
    assert len(search(app, "zur", "site")) == 1
    kept = [s for s in made["sites"] if s["city"] == "Lyon"]
    service.update("t", "partner", made["id"], {"sites": kept, "rev_number": 1}, "ann")
    assert search(app, "zur", "site") == [] and len(search(app, "lyon", "site")) == 1
    line = {**kept[0], "city": "Bern"}
    service.update("t", "partner", made["id"], {"sites": [line], "rev_number": 2}, "ann")
    assert search(app, "lyon", "site") == [] and len(search(app, "bern", "site")) == 1


def test_any_text_typed_is_taken_as_text_through_the_api(app):
    service = app.extensions["formwork"]
    records = [
        service.create("t", "partner", {"name": name}, "ann")
        for name in ["AND Co", "Near Far", "a b", "O'Brien", 'The "Best"', "x-ray", "NOT this"]
    ]
    token = users.issue_token(service.registry.tenant("t"), "ann")
    client = app.test_client()
    for q in HOSTILE + [r["name"] for r in records]:
        answer = client.get(
            "/api/t/partner", query_string={"q": q, "sort": "id", "limit": 500},
            headers={"Authorization": f"Bearer {token}"},
        )  # fmt: skip
        assert answer.status_code == 200, (q, answer.get_json())
        assert [i["id"] for i in answer.get_json()["items"]] == oracle(records, q), q


def test_a_field_made_searchable_finds_the_records_stored_before(tree, storage):
    plain = PARTNER.replace("searchable: true", "searchable: false")
    files = {"entities/partner.yaml": plain, "entities/site.yaml": SITE}
    app = make_app(tree(files), storage)
    service = app.extensions["formwork"]
    made = [service.create("t", "partner", {"name": f"Old {n}"}, "ann") for n in range(3)]
    app = make_app(tree({**files, "entities/partner.yaml": PARTNER}), storage)
    assert search(app, "old") == [r["id"] for r in made]
    target = app.extensions["formwork"].target("t", "partner")
    query = target.live().where(target.model.id > 0)
    assert_search_uses_its_index(target, search_column(target.spec), query)
    # a search of an unchanged tenant plans nothing more
    assert all(
        not plan.steps for plan in sync_registry(app.extensions["formwork"].registry, storage)
    )


def test_a_search_index_missing_a_part_is_made_again_with_the_records_stored(tree, storage):
    """A database whose search index lacks a part (SQLite's word list, made by later
    versions; PostgreSQL's trigram index, dropped by hand) gets it back at the next
    start, and the search finds the records stored before."""
    files = {"entities/partner.yaml": PARTNER, "entities/site.yaml": SITE}
    app = make_app(tree(files), storage)
    service = app.extensions["formwork"]
    made = [service.create("t", "partner", {"name": f"Older {n}"}, "ann") for n in range(3)]
    target = service.target("t", "partner")
    table, column = target.model._meta.table_name, search_column(target.spec)
    part = f"{table}_{column}" if storage.database_url else f"{table}__search_terms"
    kind = "INDEX" if storage.database_url else "TABLE"
    target.tenant.database.execute_sql(f'DROP {kind} "{part}"')
    storage.close()
    app = make_app(tree(files), storage)
    assert search(app, "old") == [r["id"] for r in made]
    target = app.extensions["formwork"].target("t", "partner")
    assert_search_uses_its_index(target, column, target.live().where(target.model.id > 0))


def assert_search_uses_its_index(target, column, query) -> None:
    from engine.records.search import search_query

    database = target.tenant.database
    found, errors, _ = search_query(target, "old", {})
    assert not errors
    sql, params = found.sql()
    if isinstance(database.obj, peewee.PostgresqlDatabase):
        # PostgreSQL: the trigram index is in the catalog (which plan the planner
        # picks for a three-row table is not checked here)
        indexes = database.execute_sql(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname = %s",
            (target.model._meta.table_name, f"{target.model._meta.table_name}_{column}"),
        ).fetchall()
        assert len(indexes) == 1 and "gin_trgm_ops" in indexes[0][0], indexes
    else:
        plan = "\n".join(r[-1] for r in database.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "VIRTUAL TABLE INDEX" in plan, plan


@pytest.mark.parametrize("sort", [None, "-id", "id"])
@pytest.mark.parametrize("filters", [{}, {"kind": "a"}])
def test_a_search_in_id_order_reads_only_the_matches_it_needs(tree, storage, sort, filters):
    """SQLite: a search's page and its count lead with the FTS5 index, read in id order
    and stopped at the LIMIT, never a list of every match first (`id IN (…)`), nor a
    question to the index per record another condition finds. PostgreSQL: the search
    finds what SQLite's does (test_list_keyset_pages walks both)."""
    from test_list_cursor import THING

    from engine.records.keyset import after, reversed_sort
    from engine.records.search import count_query, ordering, search_query

    app = make_app(tree({"entities/thing.yaml": THING}), storage)
    service = app.extensions["formwork"]
    for name in ("alpha beta", "beta", "gamma", "beta gamma"):
        service.create("t", "thing", {"name": name, "kind": "a"}, "ann")
    target = service.target("t", "thing")
    database = target.tenant.database
    query, errors, ids = search_query(target, "bet", filters)
    assert not errors
    pages = []
    for walk in (sort, reversed_sort(sort)):
        order, _ = ordering(target, walk, ids)
        page = query.select(target.model.id).order_by(*order).limit(2)
        pages += [page, page.where(after(target, walk, (2, 2), ids))]
    listed = service.list("t", "thing", q="bet", filters=filters, sort=sort)["items"]
    assert [item["id"] for item in listed] == ([4, 2, 1] if sort == "-id" else [1, 2, 4])
    if not isinstance(database.obj, peewee.SqliteDatabase):
        return
    for statement in [*pages, count_query(target, query, 1000)]:
        sql, params = statement.sql()
        plan = [r[-1] for r in database.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params)]
        loops = [step for step in plan if step.startswith(("SCAN", "SEARCH"))]
        assert "VIRTUAL TABLE INDEX" in loops[0] and "M1=" not in loops[0], plan
        assert not any("LIST SUBQUERY" in s or "TEMP B-TREE" in s for s in plan), plan
