"""Badge over HTTP: coverhub's warm badge beside a bare Starlette endpoint returning a constant
SVG, same uvicorn settings (uvloop, httptools, access log off), same run, loaded by `wrk` on
loopback at 64 connections. Prints medians of several rounds; asserts nothing.

Figures: throughput ratio (budget >= 0.85) and p99 (budget < 5 ms) with the in-process tier
warm; the same with only the Redis tier warm; and the time from an invalidation (written by this
process, as the ingestion pipeline would) to the new badge served by the uvicorn process.

Run from the repository root: .venv/bin/python -m bench bench_badge_http
or: .venv/bin/python bench/bench_badge_http.py [seconds per run] [rounds]
Needs `wrk` (apt-get install -y wrk) and `redis-server`.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import badges  # noqa: E402

CONNECTIONS = 64
OWNER, REPO = "demo", "encoding-csv"
BADGE_PATH = f"/{OWNER}/{REPO}/badge.svg"
SVG = badges.render("coverage", "93.1%", "brightgreen").encode()


# ------------------------------------------------------------------ the apps uvicorn imports


def _bare() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def badge(request: Request) -> Response:
        return Response(SVG, media_type="image/svg+xml")

    return Starlette(routes=[Route(BADGE_PATH, badge)])


def bare_app() -> Any:
    """uvicorn --factory: a bare Starlette endpoint returning a constant SVG."""
    return _bare()


def coverhub_app() -> Any:
    """uvicorn --factory: coverhub (SQLite + local folder, Redis as the shared cache tier),
    seeded with the demo repository. BENCH_LOCAL_TIER=0 turns the in-process tier off."""
    from app import demo
    from app.logging import configure
    from app.ports.cache import RedisCache
    from app.ports.queue import InProcessQueue
    from app.services.badges import badge_service_for
    from app.settings import from_environ
    from app.web.app import create_app

    settings = from_environ({"COVERHUB_DATA_DIR": os.environ["BENCH_DATA_DIR"]})
    configure(settings.log_level, settings.log_format)
    local_tier = os.environ.get("BENCH_LOCAL_TIER", "1") == "1"

    async def ready(services: Any) -> None:
        if os.environ.get("BENCH_SEED") == "1":
            await demo.seed(services)
        if not local_tier:
            badge_service_for(services).max_entries = 0

    cache = RedisCache(os.environ["BENCH_REDIS_URL"], os.environ["BENCH_NAMESPACE"])
    return create_app(settings, cache=cache, queue=InProcessQueue(), on_ready=ready)


# ------------------------------------------------------------------ processes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


class Server:
    def __init__(self, factory: str, env: dict[str, str]) -> None:
        self.port = _free_port()
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            f"bench.bench_badge_http:{factory}",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env})

    def wait(self, expect: bytes, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                status, body = _get(self.port, BADGE_PATH)
                if status == 200 and expect in body:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not serve the badge in time")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _redis() -> tuple[str, subprocess.Popen[bytes] | None]:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return "redis://127.0.0.1:6379/0", None
    except OSError:
        pass
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install -y redis-server)")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return f"redis://127.0.0.1:{port}/0", proc
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


# ------------------------------------------------------------------ wrk


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(port: int, seconds: float) -> tuple[float, float, int]:
    """(requests/s, p99 in ms, non-2xx responses) of one wrk run."""
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{seconds:g}s",
            "--latency",
            f"http://127.0.0.1:{port}{BADGE_PATH}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    assert p99 is not None, out
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, float(p99.group(1)) * _UNITS[p99.group(2)], int(bad.group(1)) if bad else 0


# ------------------------------------------------------------------ invalidation


def invalidation_times(
    port: int, data_dir: str, redis_url: str, namespace: str, trials: int
) -> list[float]:
    """Seconds from an invalidation written by this process to the new badge on the server."""
    from app.db.engine import create_engine
    from app.ports.cache import RedisCache
    from app.services.badges import BadgeService
    from app.services.repo_settings import repository_id_of, set_badge_config

    engine = create_engine(f"sqlite:///{Path(data_dir) / 'coverhub.sqlite3'}")
    colours = [((0.0, "blue"),), ((0.0, "orange"),)]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    results = []

    def body() -> bytes:
        conn.request("GET", BADGE_PATH)
        return conn.getresponse().read()

    async def invalidate() -> None:
        cache = RedisCache(redis_url, namespace)
        try:
            await BadgeService(cache, engine, "").invalidate(OWNER, REPO)
        finally:
            await cache.close()

    try:
        for trial in range(trials):
            before = body()
            with engine.begin() as c:
                set_badge_config(c, repository_id_of(c, OWNER, REPO), thresholds=colours[trial % 2])
            time.sleep(0.2)  # the server still shows the old badge: nothing told it yet
            assert body() == before
            started = time.perf_counter()
            asyncio.run(invalidate())
            while body() == before:
                time.sleep(0.002)
            results.append(time.perf_counter() - started)
            time.sleep(random.uniform(0.0, 0.6))  # sample every phase of the version check
    finally:
        conn.close()
        engine.dispose()
    return results


# ------------------------------------------------------------------ in-process attribution


def _asgi_cpu_us(app: Any, state: dict[str, Any] | None, blocks: int = 20) -> float:
    """Thread CPU time per request of ``app`` driven in-process (min over blocks of 1,000):
    robust to other processes on the machine, and it splits the cost by layer."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": BADGE_PATH,
        "raw_path": BADGE_PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "headers": [(b"host", b"127.0.0.1")],
    }
    if state is not None:
        scope["state"] = state

    async def run() -> float:
        best = float("inf")
        for _ in range(blocks):
            started = time.thread_time()
            for _ in range(1000):
                await app(dict(scope), receive, send)
            best = min(best, (time.thread_time() - started) / 1000)
        return best * 1e6

    return asyncio.run(run())


def in_process_attribution() -> None:
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from app import demo
    from app.settings import from_environ
    from app.web.app import create_app, routes

    tmp = tempfile.mkdtemp(prefix="coverhub-bench-")

    async def seed(services: Any) -> None:
        await demo.seed(services)

    try:
        app = create_app(from_environ({"COVERHUB_DATA_DIR": tmp}), on_ready=seed)
        with TestClient(app) as client:
            assert b"93.1%" in client.get(BADGE_PATH).content
            state = {"services": app.state.services}
            bare = _asgi_cpu_us(_bare(), None)
            endpoint = _asgi_cpu_us(Starlette(routes=routes()), state)
            full = _asgi_cpu_us(app, state)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("  in-process CPU per request (ASGI app only, no server; min of 20 x 1,000):")
    print(f"    bare Starlette endpoint                    {bare:6.1f} us")
    print(f"    coverhub badge routes, warm, no middleware {endpoint:6.1f} us")
    print(
        f"    coverhub app as served (RequestContext)    {full:6.1f} us"
        f"  (the middleware: {full - endpoint:+.1f} us)"
    )


# ------------------------------------------------------------------ main


def main(seconds: float = 3.0, rounds: int = 3) -> None:
    in_process_attribution()
    if shutil.which("wrk") is None:
        print("  wrk is not installed: apt-get install -y wrk")
        return
    redis_url, redis_proc = _redis()
    namespace = f"bench:{os.getpid()}:"
    tmp = tempfile.mkdtemp(prefix="coverhub-bench-")
    base_env = {"BENCH_DATA_DIR": tmp, "BENCH_REDIS_URL": redis_url, "BENCH_NAMESPACE": namespace}
    servers: list[Server] = []
    try:
        seeded = Server("coverhub_app", {**base_env, "BENCH_SEED": "1"})
        servers.append(seeded)
        seeded.wait(b"93.1%")
        redis_only = Server("coverhub_app", {**base_env, "BENCH_LOCAL_TIER": "0"})
        bare = Server("bare_app", {})
        servers += [redis_only, bare]
        redis_only.wait(b"93.1%")
        bare.wait(b"93.1%")
        runs = {"bare": bare, "coverhub": seeded, "redis-only": redis_only}
        figures: dict[str, list[tuple[float, float, int]]] = {name: [] for name in runs}
        for server in runs.values():
            wrk(server.port, 1)  # warm-up (and JIT-free Python: caches, connections)
        print(
            f"  wrk -t1 -c{CONNECTIONS}, {seconds:g} s per run, {rounds} rounds "
            f"(medians); {os.cpu_count()} cores shared by wrk and the server"
        )
        for _ in range(rounds):
            for name, server in runs.items():
                figures[name].append(wrk(server.port, seconds))
        med = {
            name: (
                statistics.median(r for r, _, _ in f),
                statistics.median(p for _, p, _ in f),
                sum(b for _, _, b in f),
            )
            for name, f in figures.items()
        }
        for name, (rps, p99, bad) in med.items():
            extra = f"  NON-2xx: {bad}" if bad else ""
            print(f"  {name:11} {rps:10,.0f} req/s   p99 {p99:6.2f} ms{extra}")
        bare_rps = med["bare"][0]
        print(
            f"  ratio coverhub/bare (in-process tier warm): {med['coverhub'][0] / bare_rps:.2f}"
            f"   (budget >= 0.85; p99 budget < 5 ms: {med['coverhub'][1]:.2f} ms)"
        )
        print(
            f"  ratio redis-only/bare (only the Redis tier warm): "
            f"{med['redis-only'][0] / bare_rps:.2f}"
        )
        times = invalidation_times(seeded.port, tmp, redis_url, namespace, 7)
        print(
            f"  invalidation -> new badge on the serving process: median "
            f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
            f"over {len(times)} trials (budget < 1 s)"
        )
    finally:
        for server in servers:
            server.stop()
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(float(args[0]) if args else 3.0, int(args[1]) if len(args) > 1 else 3)
