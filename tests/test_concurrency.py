"""Several processes writing one tenant at once, on SQLite and on PostgreSQL."""

import multiprocessing

from records_metadata import FILES

from engine.errors import Conflict
from engine.records.service import RecordService
from engine.registry import build_registry
from engine.storage.databases import Storage
from engine.storage.sync import sync_registry

PROCESSES, CREATES = 8, 100


def _service(root, data_dir, url):
    registry = build_registry(root)
    storage = Storage(data_dir, url)
    sync_registry(registry, storage)  # every process syncs at start, as servers do
    return RecordService(registry), storage


def _create_many(args):
    root, data_dir, url, worker = args
    service, _ = _service(root, data_dir, url)
    return [
        service.create("t", "account", {"name": f"w{worker}-{i}"}, f"w{worker}")["number"]
        for i in range(CREATES)
    ]


def _patch(args):
    root, data_dir, url, record_id, worker, barrier = args
    service, _ = _service(root, data_dir, url)
    barrier.wait()
    try:
        service.update("t", "account", record_id, {"note": f"w{worker}", "rev_number": 1}, "w")
    except Conflict:
        return "conflict"
    return "ok"


def _run(function, jobs):
    # fork: workers start with the modules loaded; each opens its own connections
    with multiprocessing.get_context("fork").Pool(PROCESSES) as pool:
        return pool.map(function, jobs)


def test_concurrent_creates_get_distinct_numbers(tree, storage):
    root = str(tree(FILES))
    jobs = [(root, str(storage.data_dir), storage.database_url, w) for w in range(PROCESSES)]
    numbers = [n for batch in _run(_create_many, jobs) for n in batch]
    assert len(numbers) == len(set(numbers)) == PROCESSES * CREATES
    service, opened = _service(root, str(storage.data_dir), storage.database_url)
    assert service.list("t", "account")["total"] == PROCESSES * CREATES
    opened.close()


def test_concurrent_updates_of_one_revision_give_one_success(tree, storage):
    root = str(tree(FILES))
    service, opened = _service(root, str(storage.data_dir), storage.database_url)
    record = service.create("t", "account", {"name": "Contested"}, "ann")
    opened.close()  # no connection of ours crosses the fork
    manager = multiprocessing.get_context("fork").Manager()
    barrier = manager.Barrier(PROCESSES)
    jobs = [
        (root, str(storage.data_dir), storage.database_url, record["id"], w, barrier)
        for w in range(PROCESSES)
    ]
    outcomes = _run(_patch, jobs)
    assert sorted(outcomes) == ["conflict"] * (PROCESSES - 1) + ["ok"]
    service, opened = _service(root, str(storage.data_dir), storage.database_url)
    stored = service.read("t", "account", record["id"])
    assert stored["rev_number"] == 2
    history = service.history("t", "account", record["id"])
    assert [h["action"] for h in history] == ["create", "update"]
    opened.close()


def _demo(args):
    from conftest import SHIPPED

    from engine.demo import load_demo

    data_dir, url = args
    registry = build_registry(str(SHIPPED))
    storage = Storage(data_dir, url)
    sync_registry(registry, storage)
    report = load_demo(RecordService(registry), registry)
    storage.close()
    return {t.tenant: t.records for t in report.tenants}


def test_two_demo_loads_at_once_load_the_data_once(storage):
    jobs = [(str(storage.data_dir), storage.database_url)] * 2
    with multiprocessing.get_context("fork").Pool(2) as pool:
        first, second = pool.map(_demo, jobs)
    for tenant in first:
        assert sorted([first[tenant], second[tenant]])[0] == 0, tenant  # one of them skipped
        assert max(first[tenant], second[tenant]) > 0, tenant
