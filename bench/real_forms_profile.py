"""Where a worker's CPU goes on the real forms of real_forms.py, in this process.

Seeds what real_forms.py serves (the synthetic 40-field form with its records, the shipped
metadata with `formwork demo`'s data and a standard customer with 3 sites and 2
business-unit lines), logs in through Flask's test client, then runs each page's request
many times straight through the WSGI app (web_profile.py): CPU ms per request, split by
phase, and the functions with the most time of their own. `--statements` also counts the
SQL statements of one request of each page, and `--calls` its function calls. No server,
no load generator: a look at where the time goes, not a throughput figure.

    .venv/bin/python bench/real_forms_profile.py [--requests N] [--statements] [--calls]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's engine
import real_forms
import web_pages as synthetic
import web_profile


def _logged_in(app, tenant: str) -> str:
    """Log in to `tenant` through the test client; the session cookie header."""
    client = app.test_client()
    if not synthetic.log_in_client(client, tenant):
        raise SystemExit(f"log-in to {tenant} failed")
    return f"session={client.get_cookie('session').value}"


def endpoints(tmp: Path) -> list[web_profile.Endpoint]:
    """The pages real_forms.py serves but Django's, each an app of this process."""
    from webui import create_app

    synthetic.write_metadata(tmp / "metadata")
    synthetic.seed(tmp / "metadata", tmp / "data")
    paths = real_forms.seed_shipped(tmp / "shipped", tmp / "shipped-data")
    key = synthetic.SECRET_KEY
    bench = create_app(
        {"SECRET_KEY": key, "FORMWORK_METADATA": str(tmp / "metadata"),
         "FORMWORK_DATA": str(tmp / "data")}
    )  # fmt: skip
    shipped = create_app(
        {"SECRET_KEY": key, "FORMWORK_METADATA": str(tmp / "shipped"),
         "FORMWORK_DATA": str(tmp / "shipped-data"), "FORMWORK_RELOAD": "off"}
    )  # fmt: skip
    cookies = {
        synthetic.TENANT: _logged_in(bench, synthetic.TENANT),
        real_forms.STANDARD: _logged_in(shipped, real_forms.STANDARD),
        real_forms.DISTRIBUTION: _logged_in(shipped, real_forms.DISTRIBUTION),
    }
    entity = f"/{synthetic.TENANT}/{synthetic.ENTITY}"
    pages = [
        ("synthetic new", bench, synthetic.TENANT, f"{entity}/new"),
        ("synthetic edit", bench, synthetic.TENANT, f"{entity}/1/edit"),
        ("standard new", shipped, real_forms.STANDARD, paths["standard_new"]),
        ("standard edit", shipped, real_forms.STANDARD, paths["standard_edit"]),
        ("standard row opened", shipped, real_forms.STANDARD, paths["standard_row"]),
        ("distribution edit", shipped, real_forms.DISTRIBUTION, paths["distribution_edit"]),
    ]
    return [
        web_profile.Endpoint(
            label, app, lambda p=path, t=tenant: web_profile.environ("GET", p, cookies[t]), "200"
        )
        for label, app, tenant, path in pages
    ]


def count_statements(found: list[web_profile.Endpoint]) -> None:
    """Print the SQL statements one request of each page runs (after a first one)."""
    import peewee

    executed: list[str] = []
    plain = peewee.Database.execute_sql

    def counted(self, sql, params=None, *args, **kwargs):
        executed.append(sql)
        return plain(self, sql, params, *args, **kwargs)

    print("\nSQL statements per request")
    for endpoint in found:
        web_profile.call(endpoint.app, endpoint.environ())  # warm: caches filled
        executed.clear()
        peewee.Database.execute_sql = counted
        try:
            web_profile.call(endpoint.app, endpoint.environ())
        finally:
            peewee.Database.execute_sql = plain
        print(f"  {endpoint.label:<24} {len(executed):>3}")


def count_calls(found: list[web_profile.Endpoint], requests: int) -> None:
    """Print the function calls (Python and C, as cProfile counts them) of a request of
    each page, over `requests` of them: a measure a busy machine does not skew."""
    import cProfile
    import pstats

    print("\nfunction calls per request (cProfile)")
    for endpoint in found:
        web_profile.call(endpoint.app, endpoint.environ())  # warm: caches filled
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            web_profile.call(endpoint.app, endpoint.environ())
        profiler.disable()
        calls = pstats.Stats(profiler).total_calls / requests
        print(f"  {endpoint.label:<24} {calls:>7.0f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per run")
    parser.add_argument("--statements", action="store_true", help="count SQL statements too")
    parser.add_argument("--calls", action="store_true", help="count function calls too")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="formwork-forms-profile-") as name:
        found = endpoints(Path(name))
        if args.statements:
            count_statements(found)
        if args.calls:
            count_calls(found, 20)
        web_profile.profile(found, args.requests)


if __name__ == "__main__":
    main()
