"""Benchmark: what a web process costs with many tenants, each compiled on first use.

For each N asked for (10 and 1,000 by default; 10,000 takes long to generate and sync),
generates in a temporary directory a metadata tree with the shipped base files and N
tenants, copies of the shipped ones under distinct names (`retail_00042`), then in a
fresh Python process of its own, on SQLite in that directory:

* start: `create_app` (reads the base files and lists the tenant folders);
* cold: the first request to a tenant (`GET /TENANT/login`: compiled, its database made
  and synced);
* warm: the same request again (the median of 20), right after the first, while the
  watching thread adds its watches and looks at every tenant's files; then again once
  it has (the steady state);
* resident memory (VmRSS) after touching 1, 100 and 1,000 tenants (as many as there are),
  with the tenant cache at FORMWORK_TENANT_CACHE (500 unless --cache);
* edit: from saving one tenant's tenant.yaml with a new label to the page showing it,
  noticed by the file watcher (FORMWORK_RELOAD=watch);
* check: `formwork check` of the whole tree, one worker per core (check_tenants.py
  times it both ways).

It prints what it measured; it never passes or fails on speed. Timings are wall-clock:
on a machine busy with other work they are noise, so label them so.

    .venv/bin/python bench/tenants.py [--n 10 --n 1000] [--cache 500]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "metadata"
TOUCHED = (1, 100, 1000)
WARM_REQUESTS = 20
EDIT_WAIT = 30.0  # seconds: give up on an edit never served


def generate(target: Path, count: int) -> list[str]:
    """A metadata tree at `target`: the shipped base and `count` copies of the shipped
    tenants, each renamed; their names."""
    shutil.copy(SHIPPED / "groups.yaml", target / "groups.yaml")
    shutil.copytree(SHIPPED / "entities", target / "entities")
    shipped = sorted(p.name for p in (SHIPPED / "tenants").iterdir() if p.is_dir())
    names = []
    for number in range(count):
        model = shipped[number % len(shipped)]
        name = f"{model}_{number:05d}"
        folder = target / "tenants" / name
        shutil.copytree(SHIPPED / "tenants" / model, folder)
        tenant_file = folder / "tenant.yaml"
        text = tenant_file.read_text(encoding="utf-8")
        tenant_file.write_text(
            re.sub(r"^tenant: .*$", f"tenant: {name}", text, count=1, flags=re.M), "utf-8"
        )
        names.append(name)
    return names


def resident_mb() -> float:
    """This process's resident memory, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(metadata: str, data: str, cache: int) -> dict:
    """Run in a process of its own: every figure of one N."""
    from webui import create_app

    names = sorted(p.name for p in (Path(metadata) / "tenants").iterdir())
    began = time.perf_counter()
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "FORMWORK_METADATA": metadata,
            "FORMWORK_DATA": data,
            "FORMWORK_TENANT_CACHE": cache,
            "FORMWORK_RELOAD": "watch",
        }
    )
    result = {"start_s": time.perf_counter() - began, "rss_start_mb": resident_mb()}
    client = app.test_client()
    first = names[0]
    began = time.perf_counter()
    assert client.get(f"/{first}/login").status_code == 200
    result["cold_ms"] = (time.perf_counter() - began) * 1000
    # right after the first request the watching thread adds its watches and looks at
    # every tenant's files, sharing the interpreter with these requests
    result["warm_ms"] = statistics.median(_timed(client, first) for _ in range(WARM_REQUESTS))
    assert app.extensions["formwork_watcher"].wait_started(), "the watcher never started"
    result["warm_started_ms"] = statistics.median(
        _timed(client, first) for _ in range(WARM_REQUESTS)
    )
    touched = 1
    for target in TOUCHED:
        for name in names[touched : min(target, len(names))]:
            assert client.get(f"/{name}/login").status_code == 200
        touched = min(target, len(names))
        result[f"rss_after_{touched}_mb"] = resident_mb()
    result["edit_s"] = _edit_served(client, Path(metadata), first)
    result["compiled"] = app.extensions["formwork"].registry.compiles
    return result


def _timed(client, tenant: str) -> float:
    began = time.perf_counter()
    assert client.get(f"/{tenant}/login").status_code == 200
    return (time.perf_counter() - began) * 1000


def _edit_served(client, metadata: Path, tenant: str) -> float:
    """Seconds from saving a new label in the tenant's tenant.yaml to a page showing it."""
    tenant_file = metadata / "tenants" / tenant / "tenant.yaml"
    label = f"Edited {time.time_ns()}"
    text = re.sub(r"^label: .*$", f"label: {label}", tenant_file.read_text("utf-8"), flags=re.M)
    began = time.perf_counter()
    tenant_file.write_text(text, encoding="utf-8")
    while label not in client.get(f"/{tenant}/login").get_data(as_text=True):
        if time.perf_counter() - began > EDIT_WAIT:
            return float("nan")
        time.sleep(0.005)
    return time.perf_counter() - began


def run(count: int, cache: int) -> dict:
    """Generate N tenants and measure them in a fresh process."""
    with tempfile.TemporaryDirectory(prefix="formwork-tenants-") as scratch:
        metadata, data = Path(scratch) / "metadata", Path(scratch) / "data"
        (metadata / "tenants").mkdir(parents=True)
        began = time.perf_counter()
        generate(metadata, count)
        generated = time.perf_counter() - began
        child = subprocess.run(
            [sys.executable, __file__, "--child", str(metadata), str(data), str(cache)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        )
        if child.returncode != 0:
            raise SystemExit(f"the measuring process failed:\n{child.stderr}")
        result = json.loads(child.stdout.strip().splitlines()[-1])
        import check_tenants  # here: it imports this module

        checked = check_tenants.timed(metadata, None)  # one worker per core
        return {"tenants": count, "generate_s": generated, **result, "check": checked}


def report(result: dict) -> None:
    """Print one N's figures."""
    print(f"\n{result['tenants']:,} tenants (generated in {result['generate_s']:.1f} s)")
    print(f"  create_app                 {result['start_s'] * 1000:9.1f} ms")
    print(f"  first request, cold tenant {result['cold_ms']:9.1f} ms")
    print(f"  request, warm tenant       {result['warm_ms']:9.2f} ms (median, watcher starting)")
    print(
        f"  request, warm tenant       {result['warm_started_ms']:9.2f} ms (median, watcher ready)"
    )
    print(f"  RSS after create_app       {result['rss_start_mb']:9.1f} MB")
    for key in sorted((k for k in result if k.startswith("rss_after_")), key=_count):
        print(f"  RSS after {_count(key):>5,} tenants     {result[key]:9.1f} MB")
    print(f"  one tenant edited → served {result['edit_s'] * 1000:9.1f} ms")
    print(f"  tenants compiled           {result['compiled']:9,}")
    check = result["check"]
    print(
        f"  formwork check             {check['wall']:9.1f} s (a worker per core; largest RSS "
        f"{check['rss_mb']:.0f} MB; {check['last']})"
    )


def _count(key: str) -> int:
    return int(key.split("_")[2])


def main() -> None:
    """Parse the arguments and run, or measure as the child process."""
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        print(json.dumps(measure(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="tenants to generate (repeat)")
    parser.add_argument("--cache", type=int, default=500, help="FORMWORK_TENANT_CACHE")
    options = parser.parse_args()
    print(f"Tenant cache: {options.cache} compiled tenants per process; wall-clock figures.")
    for count in options.n or [10, 1000]:
        report(run(count, options.cache))


if __name__ == "__main__":
    main()
