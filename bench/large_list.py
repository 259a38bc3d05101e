"""Benchmark: the list page of a large table, its first page against its deep ones.

Builds the 40-field `customer` of `web_pages.py` in a temporary directory, seeds 1,000
records as the records service writes them, then doubles the table with SQL until it
holds `--records` rows (default 512,000; each copy gets its own number). It logs in
through Flask's test client and times, in this process, the list page
(`GET /bench/customer/…`) for the first page, a middle page, the last page, a sorted
page at the start and in the middle (both ways), a search and a filter. Each is asked
once to warm up, then `--repeat` times (default 5), keeping the fastest. It prints the
milliseconds and each one ÷ the first page measured in the same run.

    .venv/bin/python bench/large_list.py [--records N] [--repeat N]
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import web_pages

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def grow(database: Path, records: int) -> int:
    """Double the customers with SQL until there are at least `records`; how many."""
    with sqlite3.connect(database) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(customer)")]
        copied = [c for c in columns if c not in ("id", "customer_number")]
        names = ", ".join(copied)
        total, round_ = connection.execute("SELECT count(*) FROM customer").fetchone()[0], 0
        while total < records:
            connection.execute(
                f"INSERT INTO customer ({names}, customer_number) "
                f"SELECT {names}, customer_number || '-{round_}' FROM customer"
            )
            total, round_ = total * 2, round_ + 1
    connection.close()
    return total


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=512_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    from webui import create_app

    with tempfile.TemporaryDirectory(prefix="formwork-list-") as name:
        metadata, data = Path(name) / "metadata", Path(name) / "data"
        web_pages.write_metadata(metadata)
        web_pages.seed(metadata, data)
        began = time.perf_counter()
        total = grow(data / f"{web_pages.TENANT}.sqlite3", args.records)
        print(f"{total:,} customers of 40 fields (grown in {time.perf_counter() - began:.1f} s)")
        app = create_app(
            {
                "SECRET_KEY": "large-list",
                "FORMWORK_METADATA": str(metadata),
                "FORMWORK_DATA": str(data),
            }
        )
        client = app.test_client()
        login = client.get(f"/{web_pages.TENANT}/login").get_data(as_text=True)
        form = {
            "username": web_pages.USERNAME,
            "password": web_pages.PASSWORD,
            "csrf_token": web_pages._token(login),
        }
        assert client.post(f"/{web_pages.TENANT}/login", data=form).status_code == 302
        middle, last = total // 2, total - 25
        pages = [
            ("first page", ""),
            ("middle page", f"?offset={middle}"),
            ("last page", f"?offset={last}"),
            ("sorted by name, first page", "?sort=customer_name"),
            ("sorted by name, middle page", f"?sort=customer_name&offset={middle}"),
            ("sorted by name desc, middle", f"?sort=-customer_name&offset={middle}"),
            ("search (LIKE over 2 fields)", "?q=Acme"),
            ("filter on a select", "?customer_type=company"),
        ]
        base = f"/{web_pages.TENANT}/{web_pages.ENTITY}/"
        timings = {}
        for label, query in pages:
            answer = client.get(base + query)
            rows = answer.get_data(as_text=True).count("<tr>") - 1
            if answer.status_code != 200 or not re.search(
                r"<caption>[0-9]+ Customers", answer.text
            ):
                raise SystemExit(f"{label}: answered {answer.status_code}")
            best = float("inf")
            for _ in range(args.repeat):
                start = time.perf_counter()
                client.get(base + query)
                best = min(best, time.perf_counter() - start)
            timings[label] = best * 1000, rows
        first = timings["first page"][0]
        print(f"\n{'page':<30} {'ms':>8} {'rows':>5} {'÷ first page':>13}")
        for label, (ms, rows) in timings.items():
            print(f"{label:<30} {ms:8.1f} {rows:5d} {ms / first:12.1f}×")


if __name__ == "__main__":
    main()
