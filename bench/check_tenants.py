"""Benchmark: `formwork check` over N tenants, in one process against one worker per core.

For each N asked for (5 and 1,000 by default), generates the metadata tree of
bench/tenants.py (the shipped base and N renamed copies of the shipped tenants), then runs
`formwork check DIR --jobs 1` and `formwork check DIR` (one worker per core) in turn,
`--repeat` times each, interleaved, in fresh processes. It prints, for each, the best
wall-clock time, the CPU time of the command and its workers together, and the largest
resident memory of any of its processes. It never passes or fails on speed; wall-clock
figures on a machine busy with other work are noise, so label them so.

    .venv/bin/python bench/check_tenants.py [--n 5 --n 1000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tenants import ROOT, generate

CHECK = [sys.executable, "-c", "from engine.cli import main; main()", "check"]


def timed(metadata: Path, jobs: str | None) -> dict:
    """One `formwork check` in a process of its own (through a child that measures it):
    wall seconds, CPU seconds and the largest RSS of it and its workers."""
    measure = (
        "import json, resource, subprocess, sys, time\n"
        "began = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - began\n"
        "used = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'wall': wall, 'cpu': used.ru_utime + used.ru_stime,\n"
        "    'rss_mb': used.ru_maxrss / 1024, 'code': done.returncode,\n"
        "    'last': (done.stdout or done.stderr).strip().splitlines()[-1]}))\n"
    )
    command = [*CHECK, str(metadata), *(["--jobs", jobs] if jobs else [])]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.run(
        [sys.executable, "-c", measure, *command], capture_output=True, text=True, env=env
    )
    return json.loads(child.stdout)


def run(count: int, repeat: int) -> None:
    """Generate N tenants, time both ways interleaved, print the best of each."""
    with tempfile.TemporaryDirectory(prefix="formwork-check-") as scratch:
        metadata = Path(scratch) / "metadata"
        (metadata / "tenants").mkdir(parents=True)
        generate(metadata, count)
        results: dict[str, list[dict]] = {"one process (--jobs 1)": [], "one worker per core": []}
        for _ in range(repeat):
            for label, jobs in zip(results, ("1", None), strict=True):
                results[label].append(timed(metadata, jobs))
        cores = len(os.sched_getaffinity(0))
        print(f"\n{count:,} tenants, {cores} core(s) for this process")
        for label, runs in results.items():
            best = min(runs, key=lambda r: r["wall"])
            print(
                f"  {label:<24} {best['wall']:7.1f} s wall  {best['cpu']:7.1f} s CPU  "
                f"{max(r['rss_mb'] for r in runs):6.0f} MB largest RSS  ({best['last']})"
            )


def main() -> None:
    """Parse the arguments and run each N."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="tenants to generate (repeat)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each way")
    options = parser.parse_args()
    print("`formwork check`: wall-clock and CPU seconds; the load average now:", os.getloadavg())
    for count in options.n or [5, 1000]:
        run(count, options.repeat)


if __name__ == "__main__":
    main()
