"""Benchmark: the full metadata pipeline against merely parsing the same YAML.

Generates a synthetic metadata project (by default 200 entities × 100 fields, plus
groups.yaml and one tenant `bench` with only a tenant.yaml, so that the base entities
are compiled once) into a temporary directory, then measures, best of a few runs:

* parsing every file with ``yaml.load(text, Loader=yaml.CSafeLoader)`` (the reference
  the project's goal is stated against) and with pure-Python ``yaml.safe_load``;
* ``engine.registry.build_registry(root)``: load → check → resolve → compile;
* the same pipeline stage by stage, so we know where the time goes.

Prints ratios measured in this run; it never passes or fails on a threshold.

    .venv/bin/python bench/compile_metadata.py [--quick] [--repeat N] [--wall]
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from engine import check, loader, resolve
from engine.compile.layout import build_layout
from engine.compile.models import build_model
from engine.compile.validator import RecordValidator, record_schema
from engine.errors import MetadataError
from engine.registry import build_registry, compile_tenant

# CPU time of this process by default: the measured work is single-threaded, and other
# processes on a shared machine then disturb it far less than they disturb wall time
now = time.process_time
CLOCKS = {time.process_time: "CPU time of this process", time.perf_counter: "wall time"}

SCHEMA_COMMENT = "# yaml-language-server: $schema=../../engine/schema/metadata.schema.json\n"
GROUPS = {
    "ENTITY": ("Entity", 10, "section"),
    "DATA": ("Data", 20, "section"),
    "FINANCE": ("Finance", 30, "section"),
    "PLANNING": ("Planning", 40, "section"),
    "CONTROL": ("Control", 50, "section"),
    "NOTES": ("Notes", 90, "tab"),
}
KINDS = (
    "text",
    "integer",
    "decimal",
    "currency",
    "date",
    "switch",
    "select",
    "lookup",
    "email",
)
WORDS = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike "
    "november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu"
).split()


# generating the project


def _flow(pairs: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"


def _field(rng: random.Random, index: int, entity: int, entities: int) -> str:
    """One field declaration: a flow mapping on one line, or a block mapping for some."""
    if index == 0:
        kind, name = "text", "name"
    else:
        kind = KINDS[(index + entity) % len(KINDS)] if rng.random() < 0.7 else rng.choice(KINDS)
        name = f"{kind}_{index:03d}"
    label = " ".join(w.capitalize() for w in name.split("_"))
    pairs = [
        ("name", name),
        ("sequence", str(index * 10)),
        ("label", label),
        ("input_type", kind if rng.random() < 0.9 or kind != "text" else "InputType.textField"),
        ("group", rng.choice(list(GROUPS))),
    ]
    if index == 0:
        pairs += [("required", "true"), ("searchable", "true"), ("max_length", "120")]
    else:
        if rng.random() < 0.15:
            pairs.append(("required", "true"))
        if rng.random() < 0.10 and kind in ("text", "email", "integer", "select"):
            pairs.append(("searchable", "true"))
        if kind == "text" and rng.random() < 0.5:
            pairs.append(("max_length", str(rng.choice((20, 40, 80, 120, 200)))))
        if kind == "integer" and rng.random() < 0.4:
            low = rng.randint(0, 10)
            pairs += [("min", str(low)), ("max", str(low + rng.randint(10, 10_000)))]
        if kind in ("decimal", "currency") and rng.random() < 0.4:
            pairs.append(("precision", str(rng.randint(0, 6))))
        if kind == "currency" and rng.random() < 0.3:
            pairs.append(("min", "0"))
        if kind == "select":
            words = rng.sample(WORDS, rng.randint(2, 6))
            if rng.random() < 0.5:
                options = "[" + ", ".join(words) + "]"
            else:
                options = "[" + ", ".join(
                    _flow([("value", w), ("label", w.title())]) for w in words
                )
                options += "]"
            pairs.append(("options", options))
        if kind == "lookup":
            target = (entity + 1 + rng.randrange(entities - 1)) % entities if entities > 1 else 0
            pairs.append(("lookup", _flow([("entity", f"e{target:03d}")])))
    if rng.random() < 0.2:
        help_text = f"Help for {label.lower()}, written once and shown under the input."
        pairs.append(("help", f'"{help_text}"'))
    if rng.random() < 0.25:
        # block style for some fields, as people also write
        lines = [f"  - {pairs[0][0]}: {pairs[0][1]}"]
        lines += [f"    {k}: {v}" for k, v in pairs[1:]]
        return "\n".join(lines) + "\n"
    return f"  - {_flow(pairs)}\n"


def generate(root: Path, entities: int, fields: int, seed: int = 20240601) -> list[Path]:
    """Write the project under root; return every YAML file written."""
    rng = random.Random(seed)
    (root / "entities").mkdir(parents=True)
    (root / "tenants" / "bench").mkdir(parents=True)
    written = []
    groups = root / "groups.yaml"
    groups.write_text(
        SCHEMA_COMMENT.replace("../../", "../")
        + "groups:\n"
        + "".join(
            f"  {code}: {_flow([('label', label), ('order', str(order)), ('layout', layout)])}\n"
            for code, (label, order, layout) in GROUPS.items()
        ),
        encoding="utf-8",
    )
    written.append(groups)
    tenant = root / "tenants" / "bench" / "tenant.yaml"
    tenant.write_text(
        SCHEMA_COMMENT.replace("../../", "../../../") + "tenant: bench\nlabel: Bench\n",
        encoding="utf-8",
    )
    written.append(tenant)
    for number in range(entities):
        name = f"e{number:03d}"
        text = SCHEMA_COMMENT + f"# Generated entity {number} of {entities}.\n"
        text += f"entity: {name}\nlabel: Entity {number}\nplural: Entities {number}\n"
        text += "title_field: name\n"
        if number % 10 == 0:
            text += "groups:\n  EXTRA: {label: Extra, order: 70, layout: section}\n"
        text += "fields:\n"
        text += "".join(_field(rng, index, number, entities) for index in range(fields))
        path = root / "entities" / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# measuring


class GcClock:
    """Time spent in the cyclic garbage collector while it is installed."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = now()
        else:
            self.seconds += now() - self._started
            self.collections += info["generation"] == 2


def timed(action: Callable[[], object]) -> tuple[float, GcClock]:
    """Time (`now`) of one run, and the collector's share; the result is dropped untimed."""
    gc.collect()
    clock = GcClock()
    gc.callbacks.append(clock)
    try:
        start = now()
        result = action()
        elapsed = now() - start
    finally:
        gc.callbacks.remove(clock)
    del result
    return elapsed, clock


def without_gc(action: Callable[[], object]) -> object:
    """Run with the cyclic garbage collector off (a what-if: the engine does not do this)."""
    gc.disable()
    try:
        return action()
    finally:
        gc.enable()


def parse_all(files: list[Path], parse: Callable[[str], object]) -> list:
    return [parse(path.read_text(encoding="utf-8")) for path in files]


def staged(root: str) -> dict[str, float]:
    """One run of the pipeline, timed stage by stage.

    The sum can differ from build_registry's time: the collector runs at other moments.
    """
    times: dict[str, float] = {}

    start = now()
    project, problems = loader.load_project(root)
    times["load_project"] = now() - start
    assert not problems, problems[:5]

    # resolve() runs check_project itself; timing it here alone shows its share
    start = now()
    check.check_project(project)
    times["  of which check_project"] = now() - start

    start = now()
    tenants = resolve.resolve(project)
    times["resolve"] = now() - start

    start = now()
    compiled = {name: compile_tenant(spec) for name, spec in tenants.items()}
    times["compile_tenant"] = now() - start
    assert set(compiled) == {"bench"}, set(compiled)

    # the three artifacts of compile_tenant, each on its own
    spec = tenants["bench"]
    entities = list(spec.entities.values())
    database = compiled["bench"].database
    parts = {
        "  of which record_schema": lambda e: record_schema(spec, e),
        "  of which RecordValidator (with schema)": lambda e: RecordValidator(spec, e),
        "  of which build_model": lambda e: build_model(e, database),
        "  of which build_layout": build_layout,
    }
    for label, build in parts.items():
        start = now()
        for entity in entities:
            build(entity)
        times[label] = now() - start
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="40 entities × 50 fields")
    parser.add_argument("--entities", type=int, help="entities to generate (default 200)")
    parser.add_argument("--fields", type=int, help="fields per entity (default 100)")
    parser.add_argument("--repeat", type=int, help="runs of each measurement (best is kept)")
    parser.add_argument("--wall", action="store_true", help="time wall clock, not CPU time")
    args = parser.parse_args(argv)
    global now
    now = time.perf_counter if args.wall else time.process_time
    entities = args.entities or (40 if args.quick else 200)
    fields = args.fields or (50 if args.quick else 100)
    repeat = args.repeat or (5 if args.quick else 4)
    safe_load_runs = 2 if args.quick else 1

    with tempfile.TemporaryDirectory(prefix="formwork-bench-") as tmp:
        root = Path(tmp) / "metadata"
        files = generate(root, entities, fields)
        size = sum(path.stat().st_size for path in files)
        print(
            f"project: {entities} entities × {fields} fields, {len(files)} files, "
            f"{size / 1e6:.1f} MB of YAML; best of {repeat} interleaved runs "
            f"(safe_load: {min(repeat, safe_load_runs)}, stages: {min(repeat, 3)})"
        )
        print(
            f"python {sys.version.split()[0]}, PyYAML {yaml.__version__} (libyaml: "
            f"{yaml.__with_libyaml__}); clock: {CLOCKS[now]}"
        )

        # the project must be valid, and compile to one tenant with every entity
        try:
            registry = build_registry(str(root))
        except MetadataError as error:
            sys.exit(
                "the generated project is invalid:\n" + "\n".join(map(str, error.problems[:10]))
            )
        tenant = registry.tenant("bench")
        assert len(tenant.entities) == entities, len(tenant.entities)
        fields_compiled = sum(len(e.spec.fields) for e in tenant.entities.values())
        assert fields_compiled == entities * fields, fields_compiled
        del registry, tenant

        c_load = lambda text: yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: E731
        # the node graph is dropped after each file, as engine.loader does
        c_compose = lambda text: len(yaml.compose(text, Loader=yaml.CSafeLoader).value)  # noqa: E731
        measures: dict[str, Callable[[], object]] = {
            "parse_c": lambda: parse_all(files, c_load),
            "compose_c": lambda: parse_all(files, c_compose),
            "parse_py": lambda: parse_all(files, yaml.safe_load),
            "full": lambda: build_registry(str(root)),
            "full_nogc": lambda: without_gc(lambda: build_registry(str(root))),
        }
        # rounds interleave the measurements, so that a busy moment of the machine does not
        # favour one of them; the best time of each is kept
        best: dict[str, float] = {}
        in_gc: dict[str, GcClock] = {}  # the collector's share of each best run
        stages: dict[str, float] = {}
        for number in range(repeat):
            for name, action in measures.items():
                if name == "parse_py" and number >= safe_load_runs:
                    continue  # slow and steady, and only a second reference
                seconds, clock = timed(action)
                if seconds < best.get(name, float("inf")):
                    best[name], in_gc[name] = seconds, clock
            if number >= 3:
                continue  # three runs of the breakdown are enough
            gc.collect()
            for stage, seconds in staged(str(root)).items():
                stages[stage] = min(stages.get(stage, float("inf")), seconds)
        t_parse_c, t_compose_c, t_parse_py = best["parse_c"], best["compose_c"], best["parse_py"]
        t_full, t_full_nogc = best["full"], best["full_nogc"]

    width = 44
    print()
    print(f"{'measurement':<{width}} {'best s':>8} {'× CSafeLoader':>14}")
    print("-" * (width + 24))

    def row(label: str, seconds: float) -> None:
        print(f"{label:<{width}} {seconds:>8.3f} {seconds / t_parse_c:>13.2f}×")

    row("parse: yaml.load(CSafeLoader), every file", t_parse_c)
    row("  of which in the garbage collector", in_gc["parse_c"].seconds)
    row("parse: yaml.compose(CSafeLoader) only", t_compose_c)
    row("parse: yaml.safe_load (pure Python)", t_parse_py)
    row("full: build_registry(root)", t_full)
    clock = in_gc["full"]
    row(f"  of which in the garbage collector, {clock.collections} full", clock.seconds)
    row("  what-if: the same with gc disabled", t_full_nogc)
    print("-" * (width + 24))
    print("stages of the pipeline (best run of each):")
    for stage, seconds in stages.items():
        row(f"  {stage}", seconds)
    print()
    print("final table")
    print(f"  full / parse(CSafeLoader)   = {t_full / t_parse_c:6.2f}×   (project goal: ≤ 3×)")
    print(f"  full / parse(safe_load)     = {t_full / t_parse_py:6.2f}×")
    print(f"  full / parse(CSafeLoader), gc disabled during build = {t_full_nogc / t_parse_c:.2f}×")
    print(f"  throughput: {entities * fields / t_full:,.0f} fields/s through the full pipeline")


if __name__ == "__main__":
    main()
