"""Benchmark: from saving a metadata file to the change being served, in milliseconds.

Writes the 40-field `customer` metadata of `web_pages.py` plus a one-field `probe` entity
to a temporary directory, adds a user and an API token with the `formwork` command, and
serves the app with gunicorn (`--workers 2`, sync, as deployed) for each reload mode. Each
trial, after a pause of 0.2-1.5 s (a seeded random draw, so the save falls anywhere in a
timer's period), rewrites `entities/probe.yaml` with a new label for the probe's field, then
asks `POST /api/bench/probe` with an empty body, each time on a new connection (so either
worker answers), until five answers in a row name the new label in their 422 errors. The
time from the write to the first of those five answers coming back is the trial's figure
(an answer asked for while the change is rebuilt waits for it). It prints the
median, the 90th percentile and the worst trial per mode, and the worst ÷ the 1 s goal.

    .venv/bin/python bench/reload_latency.py [--trials N] [--modes watch,poll]
    .venv/bin/python bench/reload_latency.py --code ../other-checkout   # another version

`--code DIR` serves the code of another checkout (its `engine` and `webui`), for a figure
of an older version measured the same way; a version that does not read FORMWORK_RELOAD
serves every mode alike.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import web_pages

ROOT = Path(__file__).resolve().parent.parent
HOST = web_pages.HOST  # loopback only: no other address is ever a target
TENANT = web_pages.TENANT
GROUP = web_pages.GROUPS[0][0]
GOAL_MS = 1000.0
IN_A_ROW = 5
GIVE_UP_S = 15.0
PROBE = """\
entity: probe
label: Probe
plural: Probes
fields:
  - {{name: word, sequence: 1, label: {label}, input_type: text, group: {group},
     required: true}}
"""


def formwork(code: Path, env: dict, *args: str) -> str:
    """Run the formwork command of `code`; its output."""
    command = [sys.executable, "-c", "from engine.cli import main; main()", *args]
    environment = {**os.environ, **env, "PYTHONPATH": str(code)}
    done = subprocess.run(
        command, env=environment, input="", capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def label_served(port: int, token: str) -> str:
    """The probe field's label as one answer of the server names it."""
    connection = http.client.HTTPConnection(HOST, port, timeout=GIVE_UP_S)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection.request("POST", f"/api/{TENANT}/probe", body="{}", headers=headers)
    answer = json.loads(connection.getresponse().read())
    connection.close()
    return next((e["label"] for e in answer.get("errors", ()) if e["field"] == "word"), "")


def trial(probe: Path, port: int, token: str, label: str) -> float:
    """Save a new label; milliseconds until the first of IN_A_ROW answers in a row that
    name it came back."""
    began = time.perf_counter()
    probe.write_text(PROBE.format(label=label, group=GROUP), encoding="utf-8")
    first, streak = 0.0, 0
    while streak < IN_A_ROW:
        served = label_served(port, token)
        answered = time.perf_counter()
        if served == label:
            first, streak = (first if streak else answered), streak + 1
        else:
            streak = 0
        if answered - began > GIVE_UP_S:
            raise RuntimeError(f"{label!r} was not served within {GIVE_UP_S} s")
    return (first - began) * 1000


def run_mode(mode: str, code: Path, trials: int, tmp: Path) -> list[float]:
    metadata, data = tmp / mode / "metadata", tmp / mode / "data"
    web_pages.write_metadata(metadata)
    probe = metadata / "entities" / "probe.yaml"
    probe.write_text(PROBE.format(label="Start", group=GROUP), encoding="utf-8")
    env = {
        "FORMWORK_METADATA": str(metadata),
        "FORMWORK_DATA": str(data),
        "FORMWORK_SECRET_KEY": web_pages.SECRET_KEY,
        "FORMWORK_RELOAD": mode,
    }
    formwork(code, env, "user", "add", TENANT, "ed", "--role", "editor")
    token = formwork(code, env, "token", "issue", TENANT, "ed")
    server = web_pages.start_server(f"reload-{mode}", "webui:create_app()", env, tmp, code)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if label_served(server.port, token) == "Start":
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start; see {server.log}")
            time.sleep(0.1)
        rng = random.Random(web_pages.SEED)
        figures = []
        for n in range(trials):
            time.sleep(rng.uniform(0.2, 1.5))
            figures.append(trial(probe, server.port, token, f"Probe {n}"))
        return figures
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--modes", default="watch,poll")
    parser.add_argument("--code", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    workers = web_pages.WORKERS
    print(f"code: {args.code.resolve()}; {workers} gunicorn workers; {args.trials} trials")
    rows = []
    with tempfile.TemporaryDirectory(prefix="formwork-reload-") as name:
        for mode in args.modes.split(","):
            figures = sorted(run_mode(mode, args.code.resolve(), args.trials, Path(name)))
            p90 = figures[min(len(figures) - 1, int(len(figures) * 0.9))]
            rows.append((mode, statistics.median(figures), p90, figures[-1]))
            print(f"{mode}: " + " ".join(f"{f:.0f}" for f in figures) + " ms")
    print(f"\n{'mode':<6} {'median ms':>10} {'p90 ms':>8} {'worst ms':>9} {'worst / 1 s':>12}")
    for mode, median, p90, worst in rows:
        print(f"{mode:<6} {median:>10.0f} {p90:>8.0f} {worst:>9.0f} {worst / GOAL_MS:>12.2f}")


if __name__ == "__main__":
    main()
