"""Benchmark: Formwork's generated pages under gunicorn against a hand-written Flask page.

Generates in a temporary directory a metadata tree with one tenant (`bench`) and a
40-field `customer` entity in 5 groups (text, email, integer, currency, date, switch and
select, five required, one unique), seeds 1,000 records and an editor, and writes a
hand-written Jinja template of the same 40 fields in 5 fieldsets. Then it starts two
gunicorn servers on free loopback ports, each with 2 sync workers:

* Formwork: ``webui:create_app()`` (SQLite, the records of the temporary directory);
* the reference: ``web_pages:reference_app()``, a tiny Flask app of this file that
  renders the hand-written template with a dict of default values.

It logs in once (session cookie and CSRF token) and drives a bounded load of 16
concurrent connections, only to 127.0.0.1, measuring requests per second and p50/p99
latency for

* ``GET /bench/customer/new``: the generated form page;
* ``GET /bench/customer/``: the list page (25 of the records);
* ``POST /bench/customer/new``: a form submit; every POST creates a record, with
  unique values, and gets its 302;
* ``GET /customer/new`` of the reference app.

Each measurement runs for a fixed time; the rounds interleave the four endpoints and
the best round of each is kept. It also reads the CPU time the gunicorn workers spend
per request and the CPU time of the load generator. The load generator is ``wrk`` when
it is installed (Debian: ``apt-get install -y wrk``), with a Lua script for the POST;
otherwise 16 threads of this process with ``http.client``, which on 2 cores reach only
about half of wrk's rate on the hand-written page (the output measures both).

Prints ratios measured in this run; it never passes or fails on a speed threshold (it
exits 1 only when a correctness check fails: a wrong status, a missing record).

    .venv/bin/python bench/web_pages.py [--quick] [--seconds S] [--rounds N]
                                        [--driver auto|wrk|python] [--profile]
                                        [--profile-only] [--without-indexes]

`--without-indexes` (with `--profile-only`) drops, once the app has synced the tenant's
tables, what each save keeps up besides the record: the search index's triggers and the
fields' filter and sort indexes (the unique index stays). The submit's profile then shows
what those cost a save (the records saved after are not found by a search, and filters
read every record): a measurement, not a way to run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only: no other address is ever a target
TENANT, ENTITY = "bench", "customer"
USERNAME, PASSWORD = "bench", "bench password 20240601"
SECRET_KEY = "web-pages-benchmark"
SEED = 20240601
RECORDS = 1_000
CONNECTIONS = 16
WORKERS = 2
SEQ = "SEQSEQ"  # replaced by a unique text in every submitted form
MAX_RATE = 20_000  # the Python driver's request cap per second of a run: bounded either way

GROUPS = (
    ("MAIN", "Main"),
    ("CONTACT", "Contact"),
    ("FINANCE", "Finance"),
    ("DATES", "Dates"),
    ("OTHER", "Other"),
)
OPTIONS = {
    "customer_type": [("company", "Company"), ("person", "Person"), ("government", "Government")],
    "country": [
        ("US", "United States"),
        ("DE", "Germany"),
        ("FR", "France"),
        ("GB", "United Kingdom"),
        ("JP", "Japan"),
        ("BR", "Brazil"),
        ("IN", "India"),
    ],
    "price_level": [("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")],
    "currency_code": [(c, c) for c in ("USD", "EUR", "GBP", "JPY", "BRL", "INR")],
    "industry": [
        (v, v.title()) for v in ("retail", "wholesale", "manufacturing", "services", "public")
    ],
    "language": [
        ("en", "English"),
        ("de", "German"),
        ("fr", "French"),
        ("ja", "Japanese"),
        ("pt", "Portuguese"),
    ],
}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # the input type
    group: str
    required: bool = False
    max_length: int | None = None
    min: int | None = None
    max: int | None = None
    extra: dict = field(default_factory=dict)  # other metadata keys

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").title()


# 8 fields in each of the 5 groups: 12 text, 3 email, 6 select, 4 currency, 5 integer,
# 6 date, 4 switch; 5 required, customer_number unique, 6 shown in the list
FIELDS: list[Field] = [
    Field("customer_name", "text", "MAIN", True, 120, extra={"searchable": True, "in_list": True}),
    Field(
        "customer_number",
        "text",
        "MAIN",
        True,
        30,
        extra={"unique": True, "searchable": True, "in_list": True},
    ),
    Field("customer_type", "select", "MAIN", True, extra={"in_list": True}),
    Field("email", "email", "MAIN", True, extra={"in_list": True}),
    Field("opening_date", "date", "MAIN", True, extra={"in_list": True}),
    Field("legal_name", "text", "MAIN", max_length=200),
    Field("alias", "text", "MAIN", max_length=60),
    Field("website_label", "text", "MAIN", max_length=100),
    Field("contact_name", "text", "CONTACT", max_length=80),
    Field("billing_email", "email", "CONTACT"),
    Field("support_email", "email", "CONTACT"),
    Field("address_line_1", "text", "CONTACT", max_length=120),
    Field("address_line_2", "text", "CONTACT", max_length=120),
    Field("city", "text", "CONTACT", max_length=80, extra={"in_list": True}),
    Field("postal_code", "text", "CONTACT", max_length=12),
    Field("country", "select", "CONTACT"),
    Field("credit_limit", "currency", "FINANCE", min=0),
    Field("balance", "currency", "FINANCE"),
    Field("annual_revenue", "currency", "FINANCE", min=0),
    Field("deposit", "currency", "FINANCE", min=0),
    Field("price_level", "select", "FINANCE"),
    Field("currency_code", "select", "FINANCE"),
    Field("payment_days", "integer", "FINANCE", min=0, max=365),
    Field("discount_percent", "integer", "FINANCE", min=0, max=100),
    Field("first_order_date", "date", "DATES"),
    Field("last_order_date", "date", "DATES"),
    Field("next_review_date", "date", "DATES"),
    Field("contract_start", "date", "DATES"),
    Field("contract_end", "date", "DATES"),
    Field("on_hold", "switch", "DATES"),
    Field("tax_exempt", "switch", "DATES"),
    Field("newsletter", "switch", "DATES"),
    Field("employees", "integer", "OTHER", min=0, max=1_000_000),
    Field("priority", "integer", "OTHER", min=1, max=5),
    Field("rating", "integer", "OTHER", min=0, max=10),
    Field("industry", "select", "OTHER"),
    Field("language", "select", "OTHER"),
    Field("sales_rep", "text", "OTHER", max_length=60),
    Field("notes", "text", "OTHER", max_length=500),
    Field("vip", "switch", "OTHER"),
]
WORDS = (
    "acme global north south river stone bakery trading supply works union harbor "
    "summit pioneer atlas delta crown maple cedar orchid falcon lotus copper silver"
).split()


# the metadata, the records and the user


def write_metadata(root: Path) -> None:
    (root / "entities").mkdir(parents=True)
    (root / "tenants" / TENANT).mkdir(parents=True)
    groups = "".join(
        f"  {code}: {{label: {label}, order: {10 * (i + 1)}, layout: section}}\n"
        for i, (code, label) in enumerate(GROUPS)
    )
    (root / "groups.yaml").write_text("groups:\n" + groups, encoding="utf-8")
    (root / "tenants" / TENANT / "tenant.yaml").write_text(
        f"tenant: {TENANT}\nlabel: Bench\n", encoding="utf-8"
    )
    lines = [
        f"entity: {ENTITY}\nlabel: Customer\nplural: Customers\ntitle_field: customer_name\n",
        "fields:\n",
    ]
    for index, f in enumerate(FIELDS):
        keys: dict = {
            "name": f.name,
            "sequence": 10 * (index + 1),
            "label": f.label,
            "input_type": f.kind,
            "group": f.group,
        }
        if f.required:
            keys["required"] = True
        for key in ("max_length", "min", "max"):
            if getattr(f, key) is not None:
                keys[key] = getattr(f, key)
        if f.name in OPTIONS:
            keys["options"] = [{"value": v, "label": label} for v, label in OPTIONS[f.name]]
        keys.update(f.extra)
        lines.append(f"  - {json.dumps(keys)}\n")  # JSON is YAML flow syntax
    (root / "entities" / f"{ENTITY}.yaml").write_text("".join(lines), encoding="utf-8")


def _date(rng: random.Random) -> str:
    return f"{rng.randint(1990, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def record_values(rng: random.Random, unique: str) -> dict:
    """A valid customer as typed values; `unique` makes the number and e-mail unique."""
    words = lambda n: " ".join(rng.choice(WORDS) for _ in range(n)).title()  # noqa: E731
    values: dict = {}
    for f in FIELDS:
        if f.kind == "text":
            values[f.name] = words(2)[: f.max_length]
        elif f.kind == "email":
            values[f.name] = f"{rng.choice(WORDS)}.{unique}@example.com"
        elif f.kind == "select":
            values[f.name] = rng.choice(OPTIONS[f.name])[0]
        elif f.kind == "currency":
            values[f.name] = rng.randint(0, 20_000) * 5
        elif f.kind == "integer":
            values[f.name] = rng.randint(f.min or 0, f.max or 1_000)
        elif f.kind == "date":
            values[f.name] = _date(rng)
        elif f.kind == "switch":
            values[f.name] = rng.random() < 0.3
    values["customer_number"] = f"C-{unique}"
    values["postal_code"] = f"{rng.randint(10000, 99999)}"
    return values


def seed(metadata: Path, data: Path) -> None:
    """Create the tables, the records and the user, as `formwork migrate` and the API would."""
    from engine import users
    from engine.records.service import RecordService
    from engine.registry import build_registry
    from engine.storage.databases import Storage
    from engine.storage.sync import sync_registry

    registry = build_registry(str(metadata))
    storage = Storage(str(data))
    sync_registry(registry, storage)
    service = RecordService(registry)
    tenant = registry.tenant(TENANT)
    rng = random.Random(SEED)
    with tenant.database.atomic():
        for index in range(RECORDS):
            service.create(TENANT, ENTITY, record_values(rng, f"seed{index}"), USERNAME)
    users.add_user(tenant, USERNAME, "editor", PASSWORD)
    storage.close()


def form_body(token: str) -> str:
    """The urlencoded form a person would submit, with SEQ where a unique text goes."""
    values = record_values(random.Random(SEED + 1), SEQ)
    pairs = [("csrf_token", token)]
    for f in FIELDS:
        if f.kind == "switch":
            pairs.append(("_shown", f.name))  # as the page's hidden input says
            if values[f.name]:
                pairs.append((f.name, "on"))
        else:
            pairs.append((f.name, str(values[f.name])))
    return urlencode(pairs)


# the hand-written reference page


def _attrs(f: Field) -> str:
    attrs = " required" if f.required and f.kind != "switch" else ""
    if f.max_length is not None:
        attrs += f' maxlength="{f.max_length}"'
    if f.min is not None:
        attrs += f' min="{f.min}"'
    if f.max is not None:
        attrs += f' max="{f.max}"'
    if f.kind == "currency":
        attrs += ' step="0.01"'
    elif f.kind == "integer":
        attrs += ' step="1"'
    return attrs


def reference_template() -> str:
    """A page a person would write by hand: every field spelled out, values from a dict.

    Written once by this function into the temporary directory; Jinja sees 40 literal
    field blocks, not a loop over metadata.
    """
    types = {"text": "text", "email": "email", "currency": "number", "integer": "number"}
    types["date"] = "date"
    parts = [
        '<!doctype html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n'
        "  <title>New Customer · Reference</title>\n"
        '  <link rel="stylesheet" href="/static/site.css">\n</head>\n<body>\n'
        '<header class="bar"><a class="brand" href="/">Reference</a></header>\n'
        '<main id="main">\n<h1>New Customer</h1>\n<form method="post" novalidate>\n'
        '  <input type="hidden" name="csrf_token" value="{{ token }}">\n'
    ]
    for code, label in GROUPS:
        parts.append(f'  <fieldset class="group section" id="group-{code}">\n')
        parts.append(f"    <legend>{label}</legend>\n")
        for f in (f for f in FIELDS if f.group == code):
            star = ' <span class="required" aria-hidden="true">*</span>' if f.required else ""
            parts.append(
                f'    <div class="field">\n      <label for="field-{f.name}">{f.label}'
                f"{star}</label>\n      "
            )
            attrs, n = _attrs(f), f.name
            if f.kind == "switch":
                parts.append(
                    f'<input type="hidden" name="_shown" value="{n}"><input type="checkbox" '
                    f'id="field-{n}" name="{n}" value="on"'
                    f"{{% if values.{n} %}} checked{{% endif %}}{attrs}>\n"
                )
            elif f.kind == "select":
                parts.append(f'<select id="field-{n}" name="{n}"{attrs}>\n        ')
                parts.append('<option value="">—</option>')
                for value, text in OPTIONS[n]:
                    parts.append(
                        f'<option value="{value}"{{% if values.{n} == "{value}" %}} selected'
                        f"{{% endif %}}>{text}</option>"
                    )
                parts.append("\n      </select>\n")
            else:
                parts.append(
                    f'<input type="{types[f.kind]}" id="field-{n}" name="{n}" '
                    f'value="{{{{ values.{n} }}}}"{attrs}>\n'
                )
            parts.append("    </div>\n")
        parts.append("  </fieldset>\n")
    parts.append(
        '  <p class="buttons"><button type="submit">Save</button></p>\n</form>\n'
        "</main>\n</body>\n</html>\n"
    )
    return "".join(parts)


def reference_app():
    """The reference app for gunicorn: ``web_pages:reference_app()``."""
    from flask import Flask, redirect, render_template, request

    app = Flask("reference", template_folder=os.environ["BENCH_REFERENCE_TEMPLATES"])
    values = {"country": "US", "currency_code": "USD", "newsletter": True}
    token = "x" * 91  # as long as a Flask-WTF token; no session, no CSRF check

    @app.get("/customer/new")
    def customer_form() -> str:
        return render_template("customer.html", values=values, token=token)

    @app.post("/customer/new")
    def customer_save() -> Any:
        """A save written by hand: each field read and typed, the required ones checked,
        one INSERT; no CSRF, session, rules, audit or form shown again with its errors."""
        row = [_reference_value(f, request.form.get(f.name, "")) for f in FIELDS]
        if any(f.required and value is None for f, value in zip(FIELDS, row, strict=True)):
            return "a required field is empty", 422
        database = _reference_database()
        with _writers_take_turns():
            record_id = database.execute(REFERENCE_INSERT, row).lastrowid
            database.commit()
        return redirect(f"/customer/{record_id}")

    return app


REFERENCE_COLUMNS = {"integer": "INTEGER", "currency": "DECIMAL(15, 2)", "switch": "INTEGER"}
REFERENCE_INSERT = (
    f"INSERT INTO customer ({', '.join(f.name for f in FIELDS)}) "
    f"VALUES ({', '.join('?' for _ in FIELDS)})"
)
_reference_connection: list = []  # one per worker process, opened on its first save
_reference_lock: list[int] = []  # the lock file's descriptor, one per worker process


@contextmanager
def _writers_take_turns() -> Iterator[None]:
    """The reference's two workers write one at a time through a lock file beside the
    database, as Formwork's writers queue: otherwise the one that finds the other writing
    sleeps in SQLite's busy handler (1, 2, 5 ms…), and the reference's rate follows how
    the two happen to meet (1,389 to 2,249 req/s for the same code, minutes apart), not
    what its code costs."""
    import fcntl

    if not _reference_lock:
        path = os.environ["BENCH_REFERENCE_DATABASE"] + "-writer"
        _reference_lock.append(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644))
    fcntl.flock(_reference_lock[0], fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(_reference_lock[0], fcntl.LOCK_UN)


def reference_database(path: Path) -> None:
    """The hand-written app's table: a column per field, the same unique and search index."""
    import sqlite3

    columns = ", ".join(f"{f.name} {REFERENCE_COLUMNS.get(f.kind, 'TEXT')}" for f in FIELDS)
    with sqlite3.connect(path) as database:
        database.execute("PRAGMA journal_mode = wal")
        database.execute(f"CREATE TABLE customer (id INTEGER PRIMARY KEY, {columns})")
        database.execute("CREATE UNIQUE INDEX customer_number ON customer (customer_number)")
        database.execute("CREATE INDEX customer_name ON customer (customer_name)")
    database.close()


def _reference_database() -> Any:
    import sqlite3

    if not _reference_connection:
        database = sqlite3.connect(os.environ["BENCH_REFERENCE_DATABASE"], timeout=30)
        database.execute("PRAGMA synchronous = normal")
        _reference_connection.append(database)
    return _reference_connection[0]


def _reference_value(f: Field, text: str) -> Any:
    text = text.strip()
    if f.kind == "switch":
        return text == "on"
    if not text:
        return None
    if f.kind == "integer":
        return int(text)
    if f.kind == "currency":
        return float(text)
    return text


# the servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path

    def workers(self) -> list[int]:
        pid = self.process.pid
        try:
            text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        except OSError:
            return []
        return [int(child) for child in text.split()]

    def cpu_ticks(self) -> dict[int, int]:
        """user + system clock ticks of the master and of each worker, by pid."""
        ticks = {}
        for pid in [self.process.pid, *self.workers()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks[pid] = int(fields[11]) + int(fields[12])  # utime, stime
        return ticks

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(name: str, app: str, env: dict, tmp: Path, pythonpath: Path) -> Server:
    port = free_port()
    log = tmp / f"{name}.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--bind",
        f"{HOST}:{port}",
        "--pythonpath",
        str(pythonpath),
        "--log-level",
        "warning",
        "--timeout",
        "60",
        app,
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    return Server(name, process, port, log)


def wait_ready(server: Server, path: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        if len(server.workers()) == WORKERS:
            try:
                status, _, _ = fetch(server.port, "GET", path)
                if status < 500:
                    return
            except OSError:
                pass
        time.sleep(0.2)
    raise SystemExit(f"{server.name} did not start; its log:\n{server.log.read_text()[-3000:]}")


def fetch(
    port: int, method: str, path: str, headers: dict | None = None, body: str | None = None
) -> tuple[int, dict, str]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text
    finally:
        connection.close()


def _cookie(headers: dict, old: str) -> str:
    found = re.match(r"session=([^;]*)", headers.get("set-cookie", ""))
    return f"session={found.group(1)}" if found else old


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def log_in_client(client: Any, tenant: str = TENANT) -> bool:
    """Log a Flask test client in to `tenant` as the bench user, through the log-in form;
    whether the log-in was accepted."""
    page = client.get(f"/{tenant}/login").get_data(as_text=True)
    form = {"username": USERNAME, "password": PASSWORD, "csrf_token": _token(page)}
    if client.post(f"/{tenant}/login", data=form).status_code != 302:
        return False
    # the log-in cleared the session: the first page puts a new CSRF secret in it, as a
    # browser keeps it; a request with the cookie of before would make one every time
    client.get(f"/{tenant}/")
    return not client.get(f"/{tenant}/").headers.get("Set-Cookie")


def settled_cookie(port: int, tenant: str, cookie: str) -> str:
    """The session cookie a browser holds after its first page since logging in, which
    puts a new CSRF secret in the session; checked to be the one later pages keep."""
    status, headers, _ = fetch(port, "GET", f"/{tenant}/", {"Cookie": cookie})
    cookie = _cookie(headers, cookie)
    status, headers, _ = fetch(port, "GET", f"/{tenant}/", {"Cookie": cookie})
    if status != 200 or "set-cookie" in headers:
        raise SystemExit(f"the session of {tenant} does not settle ({status})")
    return cookie


def log_in(port: int) -> tuple[str, str]:
    """Log in as a browser would; the session cookie and the form's CSRF token."""
    status, headers, page = fetch(port, "GET", f"/{TENANT}/login")
    cookie = _cookie(headers, "")
    form = urlencode({"username": USERNAME, "password": PASSWORD, "csrf_token": _token(page)})
    status, headers, _ = fetch(
        port,
        "POST",
        f"/{TENANT}/login",
        {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        form,
    )
    if status != 302:
        raise SystemExit(f"log-in failed: {status}")
    cookie = settled_cookie(port, TENANT, _cookie(headers, cookie))
    status, headers, page = fetch(port, "GET", f"/{TENANT}/{ENTITY}/new", {"Cookie": cookie})
    return cookie, _token(page)


# the load


@dataclass
class Endpoint:
    key: str
    label: str
    server: Server
    method: str
    path: str
    headers: dict
    body: str | None = None  # with SEQ to replace, for a POST
    expect: int = 200


@dataclass
class Result:
    requests: int
    seconds: float
    p50: float  # ms
    p99: float  # ms
    errors: int
    client_cpu: float  # seconds of the load generator
    server_cpu: float  # seconds of the gunicorn master and workers

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_per_request(self) -> float:  # ms of server CPU per request
        return 1000 * self.server_cpu / max(self.requests, 1)


def _percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def drive_python(endpoint: Endpoint, seconds: float, nonce: str) -> tuple:
    """16 threads, each with its own keep-alive http.client connection (gunicorn's sync
    workers close every connection after one response; http.client opens a new one)."""
    latencies: list[list[float]] = [[] for _ in range(CONNECTIONS)]
    errors = [0] * CONNECTIONS
    start_line = threading.Barrier(CONNECTIONS + 1)
    cap = int(MAX_RATE * seconds / CONNECTIONS) + 1
    times: dict[str, float] = {}

    def run(index: int) -> None:
        connection = http.client.HTTPConnection(HOST, endpoint.server.port, timeout=30)
        mine, clock = latencies[index], time.perf_counter
        start_line.wait()
        deadline = times["deadline"]
        number = 0
        while number < cap and clock() < deadline:
            body = None
            if endpoint.body is not None:
                body = endpoint.body.replace(SEQ, f"{nonce}p{index}-{number}")
            began = clock()
            try:
                connection.request(endpoint.method, endpoint.path, body, endpoint.headers)
                response = connection.getresponse()
                response.read()
                if response.status != endpoint.expect:
                    errors[index] += 1
            except OSError:
                errors[index] += 1
                connection.close()
            mine.append(clock() - began)
            number += 1
        connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    cpu = time.process_time()
    times["deadline"] = time.perf_counter() + seconds
    began = time.perf_counter()
    start_line.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    cpu = time.process_time() - cpu
    ordered = sorted(x for mine in latencies for x in mine)
    return len(ordered), elapsed, ordered, sum(errors), cpu


WRK_DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT %d %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""
WRK_POST = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local template, nonce, counter = [[%BODY%]], "%NONCE%", 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function request()
  counter = counter + 1
  local body = string.gsub(template, "%SEQ%", nonce .. "w" .. tid .. "-" .. counter)
  return wrk.format(nil, nil, nil, body)
end
"""


def drive_wrk(endpoint: Endpoint, seconds: float, nonce: str, tmp: Path) -> tuple:
    """wrk, 1 thread and 16 connections for a fixed time; a Lua script counts and reports."""
    script = WRK_DONE
    if endpoint.body is not None:
        post = WRK_POST.replace("%BODY%", endpoint.body).replace("%NONCE%", nonce)
        script = post.replace("%SEQ%", SEQ) + WRK_DONE
    path = tmp / f"wrk-{endpoint.key}.lua"
    path.write_text(script, encoding="utf-8")
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:g}s", "--timeout", "30s"]
    command += ["-s", str(path)]
    for name, value in endpoint.headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://{HOST}:{endpoint.server.port}{endpoint.path}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    found = re.search(r"^RESULT (.*)$", done.stdout, re.MULTILINE)
    if done.returncode or not found:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    requests, duration, p50, p99, *errors = (int(x) for x in found.group(1).split())
    return requests, duration / 1e6, (p50 / 1e3, p99 / 1e3), sum(errors), cpu


@dataclass
class Rounds:
    """What interleaved rounds of measurements found, per endpoint key."""

    best: dict[str, Result] = field(default_factory=dict)  # the round of highest req/s
    # the server CPU per request of each round, in the order of the rounds
    cpu_by_round: dict[str, list[float]] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)  # answered, all rounds together
    failures: list[str] = field(default_factory=list)

    @property
    def cpu(self) -> dict[str, float]:
        """The lowest server CPU per request of each endpoint over the rounds."""
        return {key: min(figures) for key, figures in self.cpu_by_round.items()}


def interleaved_rounds(
    endpoints: list[Endpoint], rounds: int, seconds: float, driver: str, tmp: Path
) -> Rounds:
    """Measure every endpoint `rounds` times, each round starting one endpoint further on,
    so that a busy moment of the machine does not fall on the same endpoint each time."""
    found = Rounds()
    for number in range(rounds):
        shift = number % len(endpoints)
        for e in endpoints[shift:] + endpoints[:shift]:
            result = measure(e, seconds, driver, f"r{number}", tmp)
            if result.errors:
                found.failures.append(f"{e.label}, round {number + 1}: {result.errors} errors")
            found.requests[e.key] = found.requests.get(e.key, 0) + result.requests
            if e.key not in found.best or result.rate > found.best[e.key].rate:
                found.best[e.key] = result
            found.cpu_by_round.setdefault(e.key, []).append(result.cpu_per_request)
    return found


def measure(endpoint: Endpoint, seconds: float, driver: str, nonce: str, tmp: Path) -> Result:
    # the pages the last round's saves left to the kernel are written out now, not during
    # this round, where their writeback would slow whichever endpoint came next
    os.sync()
    server_before = endpoint.server.cpu_ticks()
    if driver == "wrk":
        requests, elapsed, (p50, p99), errors, cpu = drive_wrk(endpoint, seconds, nonce, tmp)
    else:
        requests, elapsed, ordered, errors, cpu = drive_python(endpoint, seconds, nonce)
        p50, p99 = 1000 * _percentile(ordered, 0.50), 1000 * _percentile(ordered, 0.99)
    server_after = endpoint.server.cpu_ticks()
    ticks = sum(server_after[p] - server_before[p] for p in server_after if p in server_before)
    server_cpu = ticks / os.sysconf("SC_CLK_TCK")
    return Result(requests, elapsed, p50, p99, errors, cpu, server_cpu)


# checks


def stored_records(tmp: Path) -> int:
    """The customers in the tenant's database: the list page counts only up to 10,000."""
    import sqlite3

    with sqlite3.connect(tmp / "data" / f"{TENANT}.sqlite3") as database:
        (rows,) = database.execute(f"SELECT count(*) FROM {ENTITY}").fetchone()
    database.close()
    return rows


# where each submit sends the browser: the new record's page
SAVED_AT = {
    "submit": rf"/{TENANT}/{ENTITY}/[0-9]+\?notice=saved$",
    "reference_submit": r"/customer/[0-9]+$",
}


def check_endpoints(endpoints: list[Endpoint], cookie: str) -> list[str]:
    """One request to each endpoint, before the load: the answer is the page expected."""
    failures = []
    for e in endpoints:
        body = e.body.replace(SEQ, "check") if e.body else None
        status, headers, page = fetch(e.server.port, e.method, e.path, e.headers, body)
        if status != e.expect:
            failures.append(f"{e.label}: status {status}, expected {e.expect}: {page[:300]}")
        elif e.key in SAVED_AT and not re.search(SAVED_AT[e.key], headers.get("location", "")):
            failures.append(f"{e.label}: redirected to {headers.get('location')!r}")
        elif e.method == "GET" and e.key != "list":
            fields = len(set(re.findall(r'<(?:input|select)[^>]* id="field-([a-z_0-9]+)"', page)))
            if fields != len(FIELDS) or page.count("<fieldset") != len(GROUPS):
                failures.append(f"{e.label}: {fields} fields, {page.count('<fieldset')} fieldsets")
        elif e.key == "list" and page.count("<tr>") != 26:
            failures.append(f"{e.label}: {page.count('<tr>') - 1} rows, expected 25")
    return failures


# profiling, in this process: the work of one worker without gunicorn around it


def drop_indexes(data: Path) -> list[str]:
    """Drop the search index's triggers and the non-unique indexes of the entity's fields
    (filters and sorting); the names dropped. A process syncs a tenant's tables when it
    first serves the tenant: dropped after that, they stay dropped while it serves."""
    import sqlite3

    connection = sqlite3.connect(data / f"{TENANT}.sqlite3")
    try:
        triggers = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                (ENTITY,),
            )
        ]
        fields = {f.name for f in FIELDS}
        indexes = [
            name
            for _, name, unique, *_ in connection.execute(f"PRAGMA index_list('{ENTITY}')")
            if not unique and name.removeprefix(f"{ENTITY}_") in fields
        ]
        for name in triggers:
            connection.execute(f'DROP TRIGGER "{name}"')
        for name in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        connection.commit()
    finally:
        connection.close()
    return triggers + indexes


def profile(
    metadata: Path, data: Path, templates: Path, requests: int, without_indexes: bool = False
) -> None:
    """Each endpoint's CPU per request in this process, split by phase (web_profile.py);
    `without_indexes`: once the tenant is synced, with drop_indexes's dropped."""
    import itertools

    import web_profile

    from webui import create_app

    app = create_app(
        {"SECRET_KEY": SECRET_KEY, "FORMWORK_METADATA": str(metadata), "FORMWORK_DATA": str(data)}
    )
    client = app.test_client()
    page = client.get(f"/{TENANT}/login").get_data(as_text=True)
    form = {"username": USERNAME, "password": PASSWORD, "csrf_token": _token(page)}
    assert client.post(f"/{TENANT}/login", data=form).status_code == 302
    token = _token(client.get(f"/{TENANT}/{ENTITY}/new").get_data(as_text=True))
    cookie = f"session={client.get_cookie('session').value}"
    if without_indexes:  # the pages above synced the tenant's tables, indexes included
        print(f"dropped, as --without-indexes asks: {', '.join(drop_indexes(data))}")
    os.environ["BENCH_REFERENCE_TEMPLATES"] = str(templates)
    os.environ["BENCH_REFERENCE_DATABASE"] = str(templates.parent / "reference.sqlite3")
    body, numbers = form_body(token), itertools.count()

    def get(path: str, who: str = cookie) -> Callable[[], dict]:
        return lambda: web_profile.environ("GET", path, who)

    def submit(path: str = f"/{TENANT}/{ENTITY}/new") -> dict:
        unique = body.replace(SEQ, f"profile{next(numbers)}").encode()
        return web_profile.environ("POST", path, cookie, unique)

    web_profile.profile(
        [
            web_profile.Endpoint(
                "hand-written Flask page", reference_app(), get("/customer/new", ""), "200"
            ),
            web_profile.Endpoint("form page", app, get(f"/{TENANT}/{ENTITY}/new"), "200"),
            web_profile.Endpoint("list page", app, get(f"/{TENANT}/{ENTITY}/"), "200"),
            web_profile.Endpoint("form submit (POST, 302)", app, submit, "302"),
            web_profile.Endpoint(
                "hand-written submit", reference_app(), lambda: submit("/customer/new"), "302"
            ),
        ],
        requests,
    )


# the run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 3 s per endpoint")
    parser.add_argument("--seconds", type=float, help="seconds per measurement (default 8)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds, best kept (default 3)")
    parser.add_argument("--driver", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="then each endpoint's CPU per request in this process, split by phase",
    )
    parser.add_argument(
        "--profile-only", action="store_true", help="no servers and no load: only --profile"
    )
    parser.add_argument(
        "--without-indexes",
        action="store_true",
        help="with --profile-only: drop the search triggers and the non-unique field indexes",
    )
    args = parser.parse_args(argv)
    if args.without_indexes and not args.profile_only:
        parser.error("--without-indexes goes with --profile-only")
    seconds = args.seconds or (3.0 if args.quick else 8.0)
    rounds = args.rounds or (1 if args.quick else 3)
    warm = min(seconds, 2.0)
    driver = args.driver
    if driver == "auto":
        driver = "wrk" if shutil.which("wrk") else "python"
    if driver == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk)")

    with tempfile.TemporaryDirectory(prefix="formwork-web-") as name:
        tmp = Path(name)
        metadata, data, templates = tmp / "metadata", tmp / "data", tmp / "reference"
        write_metadata(metadata)
        templates.mkdir()
        (templates / "customer.html").write_text(reference_template(), encoding="utf-8")
        reference_database(tmp / "reference.sqlite3")
        began = time.perf_counter()
        seed(metadata, data)
        print(
            f"entity: {ENTITY}, {len(FIELDS)} fields in {len(GROUPS)} groups; {RECORDS:,} "
            f"records and a user seeded in {time.perf_counter() - began:.1f} s (SQLite)"
        )
        environment = {
            "FORMWORK_METADATA": str(metadata),
            "FORMWORK_DATA": str(data),
            "FORMWORK_SECRET_KEY": SECRET_KEY,
            "BENCH_REFERENCE_TEMPLATES": str(templates),
            "BENCH_REFERENCE_DATABASE": str(tmp / "reference.sqlite3"),
        }
        if args.profile_only:
            profile(metadata, data, templates, 500, args.without_indexes)
            return
        servers = []
        try:
            formwork = start_server("formwork", "webui:create_app()", environment, tmp, ROOT)
            servers.append(formwork)
            reference = start_server(
                "reference", "web_pages:reference_app()", environment, tmp, ROOT / "bench"
            )
            servers.append(reference)
            wait_ready(formwork, f"/{TENANT}/login")
            wait_ready(reference, "/customer/new")
            failures = run(formwork, reference, seconds, rounds, warm, driver, tmp)
        finally:
            for server in servers:
                server.stop()
        if args.profile:
            profile(metadata, data, templates, 500)
    if failures:
        print("\ncorrectness checks FAILED:")
        for failure in failures:
            print(f"  {failure}")
        sys.exit(1)
    print("\nall correctness checks passed")


def run(
    formwork: Server,
    reference: Server,
    seconds: float,
    rounds: int,
    warm: float,
    driver: str,
    tmp: Path,
) -> list[str]:
    from importlib.metadata import version

    cookie, token = log_in(formwork.port)
    form_headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    endpoints = [
        Endpoint("reference", "hand-written Flask page", reference, "GET", "/customer/new", {}),
        Endpoint(
            "form", "form page", formwork, "GET", f"/{TENANT}/{ENTITY}/new", {"Cookie": cookie}
        ),
        Endpoint("list", "list page", formwork, "GET", f"/{TENANT}/{ENTITY}/", {"Cookie": cookie}),
        Endpoint(
            "submit",
            "form submit (POST, 302)",
            formwork,
            "POST",
            f"/{TENANT}/{ENTITY}/new",
            form_headers,
            form_body(token),
            302,
        ),
        Endpoint(
            "reference_submit",
            "hand-written submit",
            reference,
            "POST",
            "/customer/new",
            {"Content-Type": "application/x-www-form-urlencoded"},
            form_body("x" * 91),
            302,
        ),
    ]
    print(
        f"python {sys.version.split()[0]}, gunicorn {version('gunicorn')}, flask "
        f"{version('flask')}; each server: {WORKERS} sync workers on {HOST}; "
        f"{CONNECTIONS} concurrent connections; {os.cpu_count()} cores; load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    failures = check_endpoints(endpoints, cookie)
    if failures:
        return failures
    total_before = stored_records(tmp)

    # the load generator's own cost, on the hand-written page: the one it is most likely
    # to hold back, since it is the fastest
    reference_endpoint = endpoints[0]
    probe = min(seconds, 4.0)
    python_probe = measure(reference_endpoint, probe, "python", "calib", tmp)
    python_share = python_probe.client_cpu / python_probe.seconds
    print(
        f"load generator check, hand-written page, {probe:g} s each: python threads "
        f"{python_probe.rate:,.0f} req/s using {python_share:.2f} of a core",
        end="",
    )
    if shutil.which("wrk"):
        wrk_probe = measure(reference_endpoint, probe, "wrk", "calib", tmp)
        print(
            f"; wrk {wrk_probe.rate:,.0f} req/s using "
            f"{wrk_probe.client_cpu / wrk_probe.seconds:.2f} of a core"
        )
        verdict = "cannot" if python_probe.rate < 0.9 * wrk_probe.rate else "can"
        print(
            f"  → python threads reach {python_probe.rate / wrk_probe.rate:.0%} of wrk's rate: "
            f"they {verdict} saturate the workers on {os.cpu_count()} cores"
        )
    else:
        print()
    if driver == "python":
        print(
            f"note: driving the load with python threads, which take {python_share:.2f} of a "
            f"core of the {os.cpu_count()} the workers share: the rates are understated, the "
            "fastest page's most. Install wrk (apt-get install -y wrk) for the figures to go by."
        )
    print(
        f"driver: {driver}; warm-up {warm:g} s per endpoint, then {rounds} interleaved "
        f"round(s) of {seconds:g} s per endpoint"
    )

    posts = dict.fromkeys(("submit", "reference_submit"), 0)
    for e in endpoints:
        result = measure(e, warm, driver, "warm", tmp)
        if e.key in posts:
            posts[e.key] += result.requests
    rounds_run = interleaved_rounds(endpoints, rounds, seconds, driver, tmp)
    best, cpu = rounds_run.best, rounds_run.cpu
    failures += rounds_run.failures
    for key in posts:
        posts[key] += rounds_run.requests[key]

    created = stored_records(tmp) - total_before
    # wrk counts only the responses it read before its time was up: the last POSTs in
    # flight at the end of each run (one per connection at most) are created, not counted
    slack = CONNECTIONS * (rounds + 1) if driver == "wrk" else 0
    print(
        f"check: {posts['submit']:,} POSTs answered 302, {created:,} records created "
        f"(stored {total_before:,} → {total_before + created:,})"
    )
    saved = reference_rows(tmp) - 1  # less the check's
    print(f"check: hand-written submit, {posts['reference_submit']:,} answered, {saved:,} rows")
    for key, rows in (("submit", created), ("reference_submit", saved)):
        if not posts[key] <= rows <= posts[key] + slack:
            failures.append(f"{key}: {posts[key]} POSTs answered but {rows} rows created")
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")

    ref = best["reference"]
    print(
        "\nbest round of each endpoint (highest req/s); server cores: CPU of the gunicorn "
        "master and workers ÷ wall time;\nCPU ms/req: their CPU per request, the lowest of "
        "the rounds; load gen: cores used by the load generator"
    )
    print(
        f"{'endpoint':<25} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'requests':>9} "
        f"{'server cores':>12} {'CPU ms/req':>10} {'load gen':>8} {'× ref':>6}"
    )
    print("-" * 99)
    for e in endpoints:
        r = best[e.key]
        print(
            f"{e.label:<25} {r.rate:>7,.0f} {r.p50:>7.1f} {r.p99:>7.1f} {r.requests:>9,} "
            f"{r.server_cpu / r.seconds:>12.2f} {cpu[e.key]:>10.2f} "
            f"{r.client_cpu / r.seconds:>8.2f} {r.rate / ref.rate:>5.2f}×"
        )
    print("\nfinal table (Formwork ÷ the hand-written page; project goal: req/s ≥ 0.7×)")
    for e in endpoints[1:4]:
        r = best[e.key]
        print(
            f"  {e.label:<25} req/s {r.rate / ref.rate:5.2f}×   "
            f"server CPU per request {cpu[e.key] / cpu['reference']:5.1f}× the reference's"
        )
    submit, by_hand = best["submit"], best["reference_submit"]
    print(
        f"  {'form submit ÷ hand-written submit':<33} req/s {submit.rate / by_hand.rate:5.2f}×   "
        f"server CPU per request {cpu['submit'] / cpu['reference_submit']:5.1f}× its"
    )
    return failures


def reference_rows(tmp: Path) -> int:
    import sqlite3

    with sqlite3.connect(tmp / "reference.sqlite3") as database:
        (rows,) = database.execute("SELECT count(*) FROM customer").fetchone()
    database.close()
    return rows


if __name__ == "__main__":
    main()
