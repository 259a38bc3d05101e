"""Benchmark: the list page of a large table, on SQLite and PostgreSQL.

Builds the 40-field `customer` of `web_pages.py` and seeds `--records` of them (default
1,000,000; `--quick`, 20,000) by the bulk writer imports use (executemany, or COPY on
PostgreSQL), each record's values following from its number. It logs in through Flask's
test client and times, in this process, the list page (`GET /bench/customer/…`) for the
first page, the last numbered page, the page after it and the last page and the one
before it (each reached by its link, which names a record: no records are skipped), a
search (its first and last page) and each filter the page offers. Each
is asked once to warm up, then `--repeat` times (default 5), keeping the fastest. It
prints the milliseconds and each one ÷ the first page measured in the same run.

Every page is checked against what the seeding put there (the ids of the page, the number
that match): a page with the wrong records ends the run with exit status 1.

    .venv/bin/python bench/large_list.py [--records N | --quick] [--repeat N]
        [--backend sqlite|postgresql|both] [--postgres URL]
"""

from __future__ import annotations

import argparse
import html
import itertools
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import web_pages

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGE = 25  # records on a list page, as it opens
CHUNK = 20_000  # records written per transaction while seeding
POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
SWITCH_EVERY = {"on_hold": 3, "tax_exempt": 4, "newsletter": 5, "vip": 7}


def record(number: int) -> dict:
    """The values of the customer seeded as `number` (from 1): each follows from it, so a
    page's records can be told without reading them."""
    words, count = web_pages.WORDS, len(web_pages.WORDS)
    name = f"{words[number % count]} {words[number // count % count]} {number}".title()
    values: dict = {}
    for f in web_pages.FIELDS:
        if f.kind == "text":
            values[f.name] = name[: f.max_length]
        elif f.kind == "email":
            values[f.name] = f"c{number}@example.com"
        elif f.kind == "select":
            options = web_pages.OPTIONS[f.name]
            values[f.name] = options[number % len(options)][0]
        elif f.kind == "currency":
            values[f.name] = number % 20_000 * 5
        elif f.kind == "integer":
            values[f.name] = max(f.min or 0, min(f.max or 1_000, number % 100))
        elif f.kind == "date":
            values[f.name] = f"20{number % 25:02d}-{number % 12 + 1:02d}-{number % 28 + 1:02d}"
        elif f.kind == "switch":
            values[f.name] = number % SWITCH_EVERY.get(f.name, 2) == 0
    values["customer_number"] = f"C{number:07d}"
    return values


def seed(metadata: Path, data: Path, url: str | None, records: int) -> None:
    """Create the tables and the user, then write the records in bulk."""
    from engine import users
    from engine.records.service import RecordService
    from engine.records.writing import roomy_cache, write_new
    from engine.registry import build_registry
    from engine.storage.databases import Storage
    from engine.storage.sync import sync_registry

    registry = build_registry(str(metadata))
    storage = Storage(str(data), database_url=url)
    sync_registry(registry, storage)
    tenant = registry.tenant(web_pages.TENANT)
    target = RecordService(registry).target(web_pages.TENANT, web_pages.ENTITY)
    with roomy_cache(target):
        for start in range(1, records + 1, CHUNK):
            batch = [record(n) for n in range(start, min(start + CHUNK, records + 1))]
            with tenant.database.atomic():
                write_new(target, batch, web_pages.USERNAME)
    users.add_user(tenant, web_pages.USERNAME, "editor", web_pages.PASSWORD)
    if url:  # what autovacuum does after a load: the planner's statistics, and the map of
        # pages whose rows every transaction sees, which lets a count read an index alone
        tenant.database.execute_sql(f'VACUUM ANALYZE "{web_pages.ENTITY}"')
    storage.close()


def expected(
    records: int, keep: Callable[[int], bool], part: slice, up_to: int
) -> tuple[str, list[int]]:
    """How many records `keep` keeps, as the page says it (counted up to `up_to`), and the
    ids of the page `part` of them (ids follow the numbers: the table was empty before)."""
    kept = [n for n in range(1, records + 1) if keep(n)]
    said = f"More than {up_to}" if len(kept) > up_to else str(len(kept))
    return said, kept[part]


Reach = Callable[[Callable[[str], str]], str]  # the page's URL, from pages got before


def link(start: str, *names: str) -> Reach:
    """The URL reached from `start` by following the pager's links `names` in turn."""

    def reach(get: Callable[[str], str]) -> str:
        path = start
        for name in names:
            found = re.search(rf'<a href="([^"]+)">{name}</a>', get(path))
            path = html.unescape(found.group(1)) if found else f"{path} (no {name} link)"
        return path

    return reach


def pages(records: int, filters: dict[str, str]) -> Iterator[tuple[str, Reach, Callable, slice]]:
    """(label, how its URL is reached, which records match, which of them it shows) of each
    page timed. Past the numbered pages a page is reached by its link, which names the
    record it follows or precedes, as a person reaches it."""
    from webui.pager import FIRST_PAGES

    base = f"/{web_pages.TENANT}/{web_pages.ENTITY}/"
    everything = lambda n: True  # noqa: E731
    numbered = (FIRST_PAGES - 1) * PAGE
    yield "first page", link(base), everything, slice(0, PAGE)
    yield f"page {FIRST_PAGES} (offset)", link(f"{base}?offset={numbered}"), everything, \
        slice(numbered, numbered + PAGE)  # fmt: skip
    yield f"page {FIRST_PAGES + 1} (Next: after a record)", \
        link(f"{base}?offset={numbered}", "Next"), everything, \
        slice(numbered + PAGE, numbered + 2 * PAGE)  # fmt: skip
    yield "last page (Last: from the end)", link(base, "Last"), everything, slice(-PAGE, None)
    yield "page before the last (Previous)", link(base, "Last", "Previous"), everything, \
        slice(-2 * PAGE, -PAGE)  # fmt: skip
    words, count = web_pages.WORDS, len(web_pages.WORDS)
    word = words[5]  # begins no other word of the list
    found = lambda n: word in (words[n % count], words[n // count % count])  # noqa: E731
    searched = f"{base}?q={word[:4]}"
    yield f"search {word[:4]!r}", link(searched), found, slice(0, PAGE)
    yield f"search {word[:4]!r}, its last page", link(searched, "Last"), found, slice(-PAGE, None)
    options = web_pages.OPTIONS
    for name, value in filters.items():
        if name in options:
            values = [v for v, _ in options[name]]
            size, place = len(values), values.index(value)
            keep = lambda n, k=size, p=place: n % k == p  # noqa: E731
        else:
            every = SWITCH_EVERY.get(name, 2)
            keep = lambda n, e=every, v=value: (n % e == 0) == (v == "true")  # noqa: E731
        yield f"filter {name}={value}", link(f"{base}?{name}={value}"), keep, slice(0, PAGE)


def shown(html: str) -> tuple[str, list[int]]:
    """The total a list page states and the ids of its rows."""
    total = re.search(r"<caption>((?:More than )?[0-9]+) Customers", html)
    ids = [
        int(i) for i in re.findall(rf'href="/{web_pages.TENANT}/{web_pages.ENTITY}/([0-9]+)"', html)
    ]
    return (total.group(1) if total else ""), list(dict.fromkeys(ids))


@contextmanager
def database(backend: str, url: str) -> Iterator[str | None]:
    """None for SQLite; for PostgreSQL, the URL of a database made for the run."""
    if backend == "sqlite":
        yield None
        return
    import psycopg2

    name = f"formwork_bench_{os.getpid()}"
    admin = psycopg2.connect(url)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


def run(backend: str, args: argparse.Namespace) -> list[str]:
    """Seed and time one backend; the problems found (pages with the wrong records)."""
    from webui import create_app

    problems = []
    with (
        tempfile.TemporaryDirectory(prefix="formwork-list-") as name,
        database(backend, args.postgres) as url,
    ):
        metadata, data = Path(name) / "metadata", Path(name) / "data"
        web_pages.write_metadata(metadata)
        began = time.perf_counter()
        seed(metadata, data, url, args.records)
        seconds = time.perf_counter() - began
        print(f"\n{backend}: {args.records:,} customers of 40 fields (seeded in {seconds:.1f} s)")
        app = create_app(
            {
                "SECRET_KEY": "large-list",
                "FORMWORK_METADATA": str(metadata),
                "FORMWORK_DATA": str(data),
                "FORMWORK_DATABASE": url,
                # nothing edits the metadata: no watcher, and no warning when the run's
                # temporary directory goes
                "FORMWORK_RELOAD": "off",
            }
        )
        client = app.test_client()
        assert web_pages.log_in_client(client)
        from engine.records.search import COUNT_UP_TO, SEARCH_COUNT_UP_TO

        first = client.get(f"/{web_pages.TENANT}/{web_pages.ENTITY}/").get_data(as_text=True)
        offered = dict(re.findall(r'<select id="filter-([a-z_]+)" name="[^"]+"[^>]*>\s*'
                                  r'<option value="">Any</option>\s*<option value="([^"]*)"',
                                  first))  # fmt: skip
        timings = {}
        for label, reach, keep, part in pages(args.records, offered):
            path = reach(lambda p: client.get(p).get_data(as_text=True))
            answer = client.get(path)
            if answer.status_code != 200:
                problems.append(f"{backend} {label}: answered {answer.status_code}")
                continue
            up_to = SEARCH_COUNT_UP_TO if "q=" in path else COUNT_UP_TO
            if shown(answer.get_data(as_text=True)) != expected(args.records, keep, part, up_to):
                problems.append(f"{backend} {label}: the page shows other records than seeded")
            best = float("inf")
            for _ in range(args.repeat):
                start = time.perf_counter()
                client.get(path)
                best = min(best, time.perf_counter() - start)
            timings[label] = best * 1000
        baseline = timings.get("first page") or 1.0
        print(f"{'page':<36} {'ms':>8} {'÷ first page':>13}")
        for label, ms in timings.items():
            print(f"{label:<36} {ms:8.1f} {ms / baseline:12.1f}×")
    return problems


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 records")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default=POSTGRES, help="a database to create the run's in")
    args = parser.parse_args(argv)
    if args.quick:
        args.records = 20_000
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    problems = list(itertools.chain.from_iterable(run(b, args) for b in backends))
    for problem in problems:
        print(problem, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
