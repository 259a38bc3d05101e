"""Where a worker's CPU goes, per request and phase, for the endpoints of web_pages.py.

Runs each endpoint's request many times in this process, straight through the WSGI app
(the work of one gunicorn worker without the server around it): first plainly, for the
CPU time per request, then under cProfile. Every function's own time goes to a phase by
where its code lives; time in the standard library and in C builtins goes to the phases
of its callers, in proportion. The split is cProfile's: it weighs Python calls more than
C code, so read it as shares of the plain CPU time, not as exact milliseconds.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# the phase of a function whose file path (or C builtin's name) holds one of the marks;
# the first phase that matches wins
PHASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("SQL", ("/peewee.py", "sqlite3", "/engine/records/page_sql.py", "/statements.py")),
    ("validation", ("jsonschema_rs", "/engine/compile/validator.py")),
    ("records", ("/engine/",)),
    (
        "HTML",
        (
            "/templates/",
            "/jinja2/",
            "/markupsafe/",
            "/webui/prerender.py",
            "/webui/form_fields.py",
            "/webui/widget_entries.py",
            "/webui/list_view.py",
            "/webui/display.py",
            "/webui/urls.py",
        ),
    ),
    (
        "session+CSRF",
        (
            "/webui/sessions.py",
            "/webui/speedups/sessions.py",
            "/webui/speedups/csrf.py",
            "/flask/sessions.py",
            "/flask/json/tag.py",
            "/itsdangerous/",
            "/flask_wtf/",
        ),
    ),
    ("form parsing", ("/webui/forms.py", "/werkzeug/formparser.py", "/urllib/parse.py")),
    ("views", ("/webui/",)),
    ("Flask+Werkzeug", ("/flask/", "/werkzeug/", "/blinker/")),
)
COLUMNS = [name for name, _ in PHASES] + ["other"]


@dataclass
class Endpoint:
    label: str
    app: Callable
    environ: Callable[[], dict]  # a fresh WSGI environ for each request
    expect: str  # the status line's start, "200" or "302"


def environ(method: str, path: str, cookie: str = "", body: bytes = b"") -> dict:
    """A WSGI environ as gunicorn hands it to the app, for 127.0.0.1 (`path` may carry a
    query string)."""
    path, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_COOKIE": cookie,
        "CONTENT_TYPE": "application/x-www-form-urlencoded" if body else "",
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def call(app: Callable, env: dict) -> str:
    """One request; its status line."""
    answer: list[str] = []
    body = app(env, lambda status, headers, exc_info=None: answer.append(status))
    b"".join(body)
    getattr(body, "close", lambda: None)()
    return answer[0]


def profile(endpoints: Iterable[Endpoint], requests: int) -> None:
    """Print, per endpoint, its CPU ms per request and their split by phase, then the
    functions that take the most time of their own."""
    print(
        f"\nprofile: {requests} requests of each endpoint in this process, straight "
        "through the WSGI app; CPU ms per request, the lowest of 3 runs, split by phase"
    )
    header = " ".join(f"{name:>{_width(name)}}" for name in COLUMNS)
    print(f"  {'endpoint':<24} {'CPU ms':>7} {header}")
    tops = []
    for endpoint in endpoints:
        plain = cpu_per_request(endpoint, requests)
        stats = profiled(endpoint, requests)
        split = phase_split(stats)
        total = sum(split.values()) or 1.0
        cells = " ".join(
            f"{1000 * plain * split[name] / total:>{_width(name)}.3f}" for name in COLUMNS
        )
        print(f"  {endpoint.label:<24} {1000 * plain:>7.3f} {cells}")
        tops.append((endpoint.label, stats))
    print_io(endpoints, requests)
    for label, stats in tops:
        print(f"\n  {label}: the functions with the most time of their own (share of it)")
        total = sum(value[2] for value in stats.values()) or 1.0
        for key, value in sorted(stats.items(), key=lambda item: -item[1][2])[:8]:
            print(f"    {value[2] / total:6.1%}  {value[1] / requests:6.1f}/req  {_where(key)}")


def cpu_per_request(endpoint: Endpoint, requests: int) -> float:
    for _ in range(max(requests // 10, 20)):  # warm: templates compiled, caches filled
        status = call(endpoint.app, endpoint.environ())
        if not status.startswith(endpoint.expect):
            raise SystemExit(f"profile: {endpoint.label} answered {status}")
    best = float("inf")
    for _ in range(3):
        began = time.process_time()
        for _ in range(requests):
            call(endpoint.app, endpoint.environ())
        best = min(best, (time.process_time() - began) / requests)
    return best


def print_io(endpoints: Iterable[Endpoint], requests: int) -> None:
    """Per endpoint, the system calls of a request that read and write (a save's SQLite
    pages go to its log by two writes each): counts, which a busy machine does not skew."""
    if not Path(IO_FILE).exists():
        return
    print("\n  system calls per request (this process, /proc/self/io)")
    print(f"  {'endpoint':<24} {'reads':>7} {'writes':>7} {'KB written':>10}")
    for endpoint in endpoints:
        before = io_counters()
        for _ in range(requests):
            call(endpoint.app, endpoint.environ())
        after = io_counters()
        reads, writes, written = ((after[k] - before[k]) / requests for k in IO_KEYS)
        print(f"  {endpoint.label:<24} {reads:>7.1f} {writes:>7.1f} {written / 1024:>10.1f}")


IO_FILE = "/proc/self/io"
IO_KEYS = ("syscr", "syscw", "wchar")


def io_counters() -> dict[str, int]:
    """This process's read and write system calls and bytes written so far (Linux)."""
    with open(IO_FILE, encoding="ascii") as lines:
        pairs = (line.split(":") for line in lines if ":" in line)
        return {key: int(value) for key, value in pairs if key in IO_KEYS}


def profiled(endpoint: Endpoint, requests: int) -> dict:
    """cProfile's stats of `requests` requests: (file, line, name) → (cc, nc, tt, ct, callers)."""
    environs = [endpoint.environ() for _ in range(requests)]
    profiler = cProfile.Profile()
    profiler.enable()
    for env in environs:
        call(endpoint.app, env)
    profiler.disable()
    return pstats.Stats(profiler).stats


def phase_split(stats: dict) -> dict[str, float]:
    """Seconds of own time per phase; what has no phase of its own goes to its callers'."""
    shares: dict[Any, dict[str, float]] = {}
    split: dict[str, float] = defaultdict(float)
    for key, value in stats.items():
        for phase, share in _shares(key, stats, shares).items():
            split[phase] += value[2] * share
    return {name: split.get(name, 0.0) for name in COLUMNS}


def _shares(key: Any, stats: dict, known: dict) -> dict[str, float]:
    if key in known:
        return known[key]
    phase = _phase(key)
    if phase:
        known[key] = {phase: 1.0}
        return known[key]
    known[key] = {"other": 1.0}  # until the callers say otherwise; also ends a cycle
    callers = stats.get(key, (0, 0, 0, 0, {}))[4]
    weights = {caller: value[2] or value[3] for caller, value in callers.items()}
    total = sum(weights.values())
    if total:
        mixed: dict[str, float] = defaultdict(float)
        for caller, weight in weights.items():
            for name, share in _shares(caller, stats, known).items():
                mixed[name] += share * weight / total
        known[key] = dict(mixed)
    return known[key]


def _phase(key: Any) -> str | None:
    path, _, name = key
    where = f"{path} {name}" if path == "~" else path
    for phase, marks in PHASES:
        if any(mark in where for mark in marks):
            return phase
    return None


def _width(name: str) -> int:
    return max(len(name), 6)


def _where(key: Any) -> str:
    path, line, function = key
    if path == "~":
        return function
    path = re.sub(r".*/(site-packages|lib/python3\.[0-9]+)/", "", path)
    path = re.sub(rf"^{re.escape(str(Path(__file__).resolve().parent.parent))}/", "", path)
    return f"{function} ({path}:{line})"
