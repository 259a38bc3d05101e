"""Benchmark: the shipped tenants' real forms beside the synthetic 40-field form and Django
admin's change form of the same 40-field model, each served by gunicorn, 2 sync workers.

In a temporary directory it prepares three sites and serves each with gunicorn on a free
loopback port:

* **synthetic**: web_pages.py's metadata (one tenant `bench`, a 40-field `customer` in 5
  groups) with its 1,000 records; its new form and a record's edit form;
* **shipped**: a copy of this repository's `metadata/` with `formwork demo`'s data; the
  standard customer's new form and the edit form of a standard customer with 3 sites and
  2 business-unit lines (its stored rows closed), the fields of one of its sites as the
  page loads them when the row is opened, and the edit form of the distribution customer
  with the most contacts and addresses of the demo;
* **Django admin**: a Django project generated here with one model of web_pages.py's 40
  fields, registered with `ModelAdmin` in 5 fieldsets, one record and a superuser; the
  record's change form (`/admin/bench/customer/1/change/`).

Django is not a dependency of the project: the script makes its own virtual environment
once, in `$XDG_CACHE_HOME/formwork-bench/django` (else `~/.cache/...`), with
`python -m venv` and `pip install django gunicorn` from PyPI, and runs the Django site
with that environment's python. `--django-venv DIR` names another place.

It logs in to each site as a browser would and checks every page first (status 200, and
each form holds its fields and its lines' rows; exits 1 if a check fails), then drives
each page in interleaved rounds with web_pages.py's load generator (wrk when installed,
else threads), and prints req/s, latency and the gunicorn workers' CPU per request, each
as a ratio to the synthetic new form and to Django admin's change form. It never passes
or fails on speed.

    .venv/bin/python bench/real_forms.py [--quick] [--seconds S] [--rounds N]
                                         [--driver auto|wrk|python] [--django-venv DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's engine
import django_admin
import web_pages as synthetic
from web_pages import (
    FIELDS,
    WORKERS,
    Endpoint,
    Server,
)

ROOT = synthetic.ROOT
USERNAME, PASSWORD = synthetic.USERNAME, synthetic.PASSWORD
STANDARD, DISTRIBUTION = "standard", "distribution"
SITES, BUSINESS_UNITS = 3, 2  # the standard customer's lines on its edit page


# the shipped tenants with their demo data


def seed_shipped(metadata: Path, data: Path) -> dict[str, str]:
    """Copy the shipped metadata, load its demo data and an editor; the paths of the real
    forms, by endpoint key."""
    from engine import users
    from engine.demo import load_demo
    from engine.records.service import RecordService
    from engine.registry import build_registry
    from engine.storage.databases import Storage
    from engine.storage.sync import sync_registry

    shutil.copytree(ROOT / "metadata", metadata)
    registry = build_registry(str(metadata))
    storage = Storage(str(data))
    sync_registry(registry, storage)
    service = RecordService(registry)
    load_demo(service, registry)
    for tenant in (STANDARD, DISTRIBUTION):
        users.add_user(registry.tenant(tenant), USERNAME, "editor", PASSWORD)
    standard = _with_lines(service, STANDARD, "customer", {"sites": SITES, "business_units": 2})
    distribution = _fullest(service, DISTRIBUTION, "customer", ("contacts", "addresses"))
    site = service.read(STANDARD, "customer", standard)["sites"][1]["id"]
    storage.close()
    return {
        "standard_new": f"/{STANDARD}/customer/new",
        "standard_edit": f"/{STANDARD}/customer/{standard}/edit",
        "standard_row": f"/{STANDARD}/customer/{standard}/edit/sites/{site}?row=1",
        "distribution_edit": f"/{DISTRIBUTION}/customer/{distribution}/edit",
    }


def _fullest(service, tenant: str, entity: str, lines: tuple[str, ...]) -> int:
    """The id of the demo record with the most rows in `lines`."""
    records = [service.read(tenant, entity, i["id"]) for i in service.list(tenant, entity)["items"]]
    return max(records, key=lambda r: sum(len(r.get(line) or []) for line in lines))["id"]


def _with_lines(service, tenant: str, entity: str, wanted: dict[str, int]) -> int:
    """A demo record given exactly `wanted` rows in each lines field, rows copied from the
    demo's own rows of that field; its id."""
    lines = tuple(wanted)
    record = service.read(tenant, entity, _fullest(service, tenant, entity, lines))
    target = service.target(tenant, entity)
    payload: dict = {"rev_number": record["rev_number"]}
    for name, count in wanted.items():
        child = target.child(target.spec.field(name))
        link = target.spec.field(name).lines.link  # the saved record's own, set by the save
        system = ("id", *child.spec.system_columns, link)
        kept = [{"id": row["id"]} | _plain(row, system) for row in record[name][:count]]
        source = record[name] or _rows_elsewhere(service, tenant, entity, name)
        if not source:
            raise SystemExit(f"the demo data has no {entity} {name} to copy")
        while len(kept) < count:  # copies of the rows there are, made distinct
            copy = _plain(source[len(kept) % len(source)], system)
            kept.append(_distinct(service, tenant, child.spec, copy, kept))
        payload[name] = kept
    service.update(tenant, entity, record["id"], payload, USERNAME)
    saved = service.read(tenant, entity, record["id"])
    for name, count in wanted.items():
        if len(saved[name]) != count:
            raise SystemExit(f"{entity} {record['id']} has {len(saved[name])} {name}, not {count}")
    return record["id"]


def _distinct(service, tenant: str, child, row: dict, rows: list[dict]) -> dict:
    """A copied row that its entity's unique fields accept beside `rows`: a new number,
    and another linked record where a lookup is part of a unique combination."""
    if child.numbering:
        row.pop(child.numbering.field, None)
    for names in child.unique_together:
        for name in names:
            spec = child.field(name)
            if name not in row or not spec.lookup:
                continue
            used = {r.get(name) for r in rows}
            others = service.list(tenant, spec.lookup.entity, limit=50)["items"]
            row[name] = next((r["id"] for r in others if r["id"] not in used), row[name])
    return row


def _rows_elsewhere(service, tenant: str, entity: str, name: str) -> list[dict]:
    for item in service.list(tenant, entity)["items"]:
        rows = service.read(tenant, entity, item["id"])[name]
        if rows:
            return rows
    return []


def _plain(row: dict, system: tuple[str, ...]) -> dict:
    return {k: v for k, v in row.items() if k not in system}


# logging in to Formwork, per tenant


def formwork_log_in(port: int, tenant: str) -> str:
    """Log in to a tenant as a browser would; the session cookie it holds from then on."""
    status, headers, page = synthetic.fetch(port, "GET", f"/{tenant}/login")
    cookie = synthetic._cookie(headers, "")
    form = urlencode(
        {"username": USERNAME, "password": PASSWORD, "csrf_token": synthetic._token(page)}
    )
    status, headers, _ = synthetic.fetch(
        port,
        "POST",
        f"/{tenant}/login",
        {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        form,
    )
    if status != 302:
        raise SystemExit(f"log-in to {tenant} failed: {status}")
    return synthetic.settled_cookie(port, tenant, synthetic._cookie(headers, cookie))


# what each page must hold: the names of inputs (a regex each), and how many of each
EXPECTED = {
    "synthetic_new": [(rf'name="{f.name}"', 1) for f in FIELDS],
    "synthetic_edit": [(rf'name="{f.name}"', 1) for f in FIELDS],
    "standard_new": [(r'name="customer_name"', 1), (r'name="sites-0-', 1)],
    "standard_edit": [
        (r'name="customer_name"', 1),
        *[(rf'name="sites-{i}-', 1) for i in range(SITES + 1)],  # and the empty row
        *[(rf'name="business_units-{i}-', 1) for i in range(BUSINESS_UNITS + 1)],
    ],
    "standard_row": [(r'name="sites-1-customer_site_name"', 1), (r'name="sites-1-', 20)],
    "distribution_edit": [
        (r'name="customer_name"', 1),
        (r'name="contacts-0-id" value="[0-9]+"', 1),
        (r'name="addresses-0-id" value="[0-9]+"', 1),
    ],
    "django_change": [(rf'name="{f.name}"', 1) for f in FIELDS],
}


def check_pages(endpoints: list[Endpoint]) -> list[str]:
    """One request to each page before the load: its status and its fields."""
    failures = []
    for e in endpoints:
        status, _, page = synthetic.fetch(e.server.port, "GET", e.path, e.headers)
        if status != 200:
            failures.append(f"{e.label}: status {status}: {page[:300]}")
            continue
        for pattern, least in EXPECTED[e.key]:
            if len(re.findall(pattern, page)) < least:
                failures.append(f"{e.label}: no {pattern} on the page")
    return failures


# the run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 3 s per page")
    parser.add_argument("--seconds", type=float, help="seconds per measurement (default 8)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds, best kept (default 3)")
    parser.add_argument("--driver", choices=("auto", "wrk", "python"), default="auto")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    parser.add_argument(
        "--django-venv",
        type=Path,
        default=cache / "formwork-bench" / "django",
        help="the virtual environment with Django and gunicorn (made if missing)",
    )
    args = parser.parse_args(argv)
    seconds = args.seconds or (3.0 if args.quick else 8.0)
    rounds = args.rounds or (1 if args.quick else 3)
    driver = args.driver
    if driver == "auto":
        driver = "wrk" if shutil.which("wrk") else "python"
    python = django_admin.django_python(args.django_venv)

    with tempfile.TemporaryDirectory(prefix="formwork-forms-") as name:
        tmp = Path(name)
        synthetic.write_metadata(tmp / "metadata")
        synthetic.seed(tmp / "metadata", tmp / "data")
        paths = seed_shipped(tmp / "shipped", tmp / "shipped-data")
        django_admin.write_django(tmp / "django")
        django_admin.seed_django(python, tmp / "django")
        print(
            f"synthetic: {len(FIELDS)} fields, {synthetic.RECORDS:,} records; shipped: "
            f"metadata/ with its demo data; Django admin: the same {len(FIELDS)} fields "
            f"({python})"
        )
        servers: list[Server] = []
        try:
            formwork = synthetic.start_server(
                "synthetic",
                "webui:create_app()",
                {
                    "FORMWORK_METADATA": str(tmp / "metadata"),
                    "FORMWORK_DATA": str(tmp / "data"),
                    "FORMWORK_SECRET_KEY": synthetic.SECRET_KEY,
                },
                tmp,
                ROOT,
            )
            servers.append(formwork)
            shipped = synthetic.start_server(
                "shipped",
                "webui:create_app()",
                {
                    "FORMWORK_METADATA": str(tmp / "shipped"),
                    "FORMWORK_DATA": str(tmp / "shipped-data"),
                    "FORMWORK_SECRET_KEY": synthetic.SECRET_KEY,
                    "FORMWORK_RELOAD": "off",
                },
                tmp,
                ROOT,
            )
            servers.append(shipped)
            django = django_admin.start_django(python, tmp / "django", tmp)
            servers.append(django)
            synthetic.wait_ready(formwork, f"/{synthetic.TENANT}/login")
            synthetic.wait_ready(shipped, f"/{STANDARD}/login")
            synthetic.wait_ready(django, "/admin/login/")
            endpoints = _endpoints(formwork, shipped, django, paths)
            failures = check_pages(endpoints)
            if not failures:
                failures = run(endpoints, seconds, rounds, driver, tmp)
        finally:
            for server in servers:
                server.stop()
    if failures:
        print("\ncorrectness checks FAILED:")
        for failure in failures:
            print(f"  {failure}")
        sys.exit(1)
    print("\nall correctness checks passed")


def _endpoints(formwork: Server, shipped: Server, django: Server, paths: dict) -> list[Endpoint]:
    bench = {"Cookie": formwork_log_in(formwork.port, synthetic.TENANT)}
    standard = {"Cookie": formwork_log_in(shipped.port, STANDARD)}
    distribution = {"Cookie": formwork_log_in(shipped.port, DISTRIBUTION)}
    admin = {"Cookie": django_admin.django_log_in(django.port)}
    entity = f"/{synthetic.TENANT}/{synthetic.ENTITY}"
    lines = f"{SITES}+{BUSINESS_UNITS} lines"
    pages = [
        ("synthetic_new", "synthetic new form", formwork, f"{entity}/new", bench),
        ("synthetic_edit", "synthetic edit form", formwork, f"{entity}/1/edit", bench),
        ("standard_new", "standard customer new", shipped, paths["standard_new"], standard),
        ("standard_edit", f"standard customer edit ({lines})", shipped, paths["standard_edit"],
         standard),
        ("standard_row", "standard customer: a site opened", shipped, paths["standard_row"],
         standard),
        ("distribution_edit", "distribution customer edit", shipped, paths["distribution_edit"],
         distribution),
        ("django_change", "Django admin change form", django, "/admin/bench/customer/1/change/",
         admin),
    ]  # fmt: skip
    return [Endpoint(key, label, server, "GET", path, h) for key, label, server, path, h in pages]


def run(endpoints: list[Endpoint], seconds: float, rounds: int, driver: str, tmp: Path) -> list:
    """Interleaved rounds of each page; the best of each, as ratios."""
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"driver: {driver}; {WORKERS} sync workers per site; {rounds} round(s) of {seconds:g} s "
        f"per page; {os.cpu_count()} cores; load average {load}"
    )
    failures: list[str] = []
    for e in endpoints:  # warm-up
        synthetic.measure(e, min(seconds, 2.0), driver, "warm", tmp)
    found = synthetic.interleaved_rounds(endpoints, rounds, seconds, driver, tmp)
    best, cpu = found.best, found.cpu
    failures += found.failures
    print(
        f"\n{'page':<40} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/req':>10} "
        f"{'CPU × synthetic':>15} {'per round':>9} {'req/s × Django':>14}"
    )
    print("-" * 116)
    for e in endpoints:
        r = best[e.key]
        print(
            f"{e.label:<40} {r.rate:>7,.0f} {r.p50:>7.1f} {r.p99:>7.1f} {cpu[e.key]:>10.2f} "
            f"{_ratio(cpu[e.key], cpu['synthetic_new']):>15} "
            f"{_round_ratio(found.cpu_by_round, e.key):>9} "
            f"{_ratio(r.rate, best['django_change'].rate):>14}"
        )
    print(
        "\nCPU ms/req: the gunicorn master's and workers' CPU per request, the lowest of the "
        "rounds;\nCPU × synthetic: that ÷ the synthetic form's; per round: the median, over "
        "the rounds, of\nthe page's CPU ÷ the synthetic form's in the same round (steadier "
        "where the machine's speed drifts);\nproject goal: a real edit page within 2× the "
        "synthetic form's CPU per request"
    )
    return failures


def _round_ratio(by_round: dict[str, list[float]], key: str) -> str:
    """The median over the rounds of the page's CPU per request ÷ the synthetic form's in
    that round, or a dash where a round served none of either."""
    pairs = zip(by_round[key], by_round["synthetic_new"], strict=True)
    ratios = [page / base for page, base in pairs if page and base]
    return f"{statistics.median(ratios):.2f}×" if ratios else "–"


def _ratio(value: float, base: float) -> str:
    """value ÷ base as a ratio, or a dash where a run too short served no request."""
    return f"{value / base:.2f}×" if base else "–"


if __name__ == "__main__":
    main()
