"""Benchmark of the member API (P5): a member's invoice list, 20 per page, through gunicorn.

Data (not timed): a bench cooperative whose member has N invoices; a read-only API token.
Server: gunicorn on 127.0.0.1 with 2×cores+1 sync workers, as in production, with the bare
view switched on (`SMARTCOOP_BENCH_VIEWS`).
Floor: `/bench/bare/`, a plain Django view answering 20 fixed invoice-like rows as JSON, in the
same server. Application path: `GET /api/v1/invoices/?limit=20` with the member's token —
authentication, tenant scope with row-level security, role policy, query, serializer.
Load: 8 keep-alive connections for a few seconds per path (the client shares the two cores,
hence ratios). Ratio = app requests per second / floor requests per second (goal ≥ 0.25);
p99 of the app path (goal ≤ 50 ms). Queries per request are counted in-process for N and 2N
invoices: they must be equal."""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.db import connection, connections
from django.test import Client as TestClient
from django.test.utils import CaptureQueriesContext

from tenancy import services as tenancy_services

CONNECTIONS = 8
SECONDS = 4.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz", headers={"X-Forwarded-Proto": "https"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not come up")


def _load(port: int, path: str, headers: dict, seconds: float) -> tuple[int, list[float], int]:
    """Requests done, their latencies, and how many were not 200."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        bad = 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                bad += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies), latencies, errors[0]


def _queries_per_request(token: str, slug: str) -> int:
    client = TestClient()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(
            "/api/v1/invoices/?limit=20",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_X_COOPERATIVE=slug,
            HTTP_HOST="127.0.0.1",
        )
    if response.status_code != 200 or len(response.json()["results"]) != 20:
        raise RuntimeError(f"the invoice list answered {response.status_code}")
    return len(captured)


def api(*, scale: int) -> dict:
    from invoicing.bench import _cooperative, _prepare

    if connection.vendor != "postgresql":
        raise RuntimeError("bench api needs PostgreSQL (DATABASE_URL)")
    cooperative, user = _cooperative()
    _prepare(cooperative, user, scale)
    _analyze()
    _token, raw = tenancy_services.api_token_create(user=user, name="bench", valid_days=1)
    _queries_per_request(raw, cooperative.slug)  # the first use also stamps the token
    before = _queries_per_request(raw, cooperative.slug)
    # The same member gets as many invoices again: the queries per request must not move.
    from tenancy.scope import tenant_scope

    with tenant_scope(cooperative):
        from invoicing.models import Invoice

        member_invoices = Invoice.objects.count()
    _prepare_more_for_member(cooperative, member_invoices)
    _analyze()
    after = _queries_per_request(raw, cooperative.slug)
    if before != after:
        raise RuntimeError(f"queries per request grew with the data: {before} → {after}")

    port = _free_port()
    workers = 2 * (os.cpu_count() or 1) + 1
    # Production settings: DEBUG off (no query log, no debug toolbar of errors), behind a TLS
    # proxy that says so in X-Forwarded-Proto.
    env = dict(
        os.environ,
        SMARTCOOP_BENCH_VIEWS="true",
        DJANGO_SETTINGS_MODULE="smartcoop.settings",
        DJANGO_DEBUG="false",
        DJANGO_BEHIND_PROXY="true",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
    )
    connections.close_all()
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "smartcoop.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=settings.BASE_DIR,
    )
    try:
        _wait_until_up(port)
        headers = {
            "Authorization": f"Bearer {raw}",
            "X-Cooperative": cooperative.slug,
            "Host": "127.0.0.1",
            "X-Forwarded-Proto": "https",
        }
        bare_path, app_path = "/bench/bare/", "/api/v1/invoices/?limit=20"
        _load(port, bare_path, headers, 1.0)  # warm-up: imports, connections, caches
        _load(port, app_path, headers, 1.0)
        rounds = []
        for _ in range(2):
            bare_n, _bare_lat, bare_errors = _load(port, bare_path, headers, SECONDS)
            app_n, app_lat, app_errors = _load(port, app_path, headers, SECONDS)
            if bare_errors or app_errors:
                raise RuntimeError(f"non-200 answers: bare {bare_errors}, app {app_errors}")
            rounds.append((bare_n / SECONDS, app_n / SECONDS, app_lat))
    finally:
        server.terminate()
        server.wait(timeout=30)
    bare_rps = statistics.median(r[0] for r in rounds)
    app_rps = statistics.median(r[1] for r in rounds)
    latencies = sorted(lat for r in rounds for lat in r[2])
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    return {
        "bare_rps": bare_rps,
        "app_rps": app_rps,
        "p99_ms": p99,
        "workers": workers,
        "floor_s": 1 / bare_rps,
        "app_s": 1 / app_rps,
        "ratio": app_rps / bare_rps,
        "queries": after,
    }


def _analyze() -> None:
    # As autovacuum would after a day's work: the planner needs to know the new rows, and the
    # visibility map lets the page count read the member's index alone.
    with connections["owner"].cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) invoicing_invoice, invoicing_invoiceline")


def _prepare_more_for_member(cooperative, count: int) -> None:
    """`count` more invoices for the same member, copied in bulk from one of theirs."""
    from invoicing.bench import copies
    from invoicing.models import Invoice
    from tenancy.scope import tenant_scope

    with tenant_scope(cooperative):
        copies(Invoice.objects.order_by("pk").first(), count)
