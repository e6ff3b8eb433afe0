"""Webhook acknowledgement latency at a steady rate (budget: p99 under 50 ms).

Starts ``coverhub serve`` (uvicorn with uvloop and httptools) on embedded defaults with a webhook
secret, then sends signed ``installation_repositories`` deliveries, each with its own delivery id,
at a fixed rate from a separate process, and prints p50/p90/p99 of the time to the 202. In
embedded mode the jobs run in the same process as the web server, so this is the pessimistic
case; every delivery's job is checked to have finished at the end.

Also measured in the same run: a baseline of the same request to /healthz, to separate the
server's own cost from the webhook's.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.procs import free_port, wait_http

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"
RATE = float(os.environ.get("COVERHUB_BENCH_RATE", "100"))
SECONDS = float(os.environ.get("COVERHUB_BENCH_SECONDS", "10"))


def payload(n: int) -> bytes:
    doc = {
        "action": "added",
        "installation": {"id": 7, "account": {"login": "bench-org", "type": "Organization"}},
        "repositories_added": [
            {"id": 10_000 + n % 50, "name": f"repo{n % 50}", "full_name": f"bench-org/repo{n % 50}",
             "private": False}
        ],
        "repositories_removed": [],
        "sender": {"login": "octocat", "padding": "x" * 20_000},  # a realistic ~20 KB body
    }
    return json.dumps(doc).encode()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def steady(url: str, make, rate: float, seconds: float) -> list[float]:  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=64)) as client:
        start = time.perf_counter()
        tasks = []
        n = 0
        while (now := time.perf_counter()) - start < seconds:
            due = start + n / rate
            if due > now:
                await asyncio.sleep(due - now)

            async def one(i: int) -> None:
                body, headers = make(i)
                t0 = time.perf_counter()
                resp = await client.post(url, content=body, headers=headers) if body else \
                    await client.get(url)
                latencies.append(time.perf_counter() - t0)
                if resp.status_code >= 400:
                    raise RuntimeError(f"{url}: {resp.status_code} {resp.text[:200]}")

            tasks.append(asyncio.create_task(one(n)))
            n += 1
        await asyncio.gather(*tasks)
    return latencies


def main() -> None:
    from app.webhooks.signature import sign

    with tempfile.TemporaryDirectory(prefix="coverhub-bench-") as tmp:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("COVERHUB_")}
        env.update({
            "COVERHUB_DATA_DIR": tmp, "COVERHUB_GITHUB_APP_ID": "1",
            "COVERHUB_GITHUB_PRIVATE_KEY": PEM, "COVERHUB_GITHUB_WEBHOOK_SECRET": SECRET,
            "COVERHUB_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
        })
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--no-demo"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_http(base + "/healthz", 30)

            def webhook(i: int) -> tuple[bytes, dict[str, str]]:
                body = payload(i)
                return body, {
                    "X-GitHub-Event": "installation_repositories",
                    "X-GitHub-Delivery": str(uuid.uuid4()),
                    "X-Hub-Signature-256": sign(SECRET, body),
                    "Content-Type": "application/json",
                }

            asyncio.run(steady(base + "/healthz", lambda i: (b"", {}), RATE, 1))  # warm up
            health = asyncio.run(steady(base + "/healthz", lambda i: (b"", {}), RATE, SECONDS))
            hooks = asyncio.run(steady(base + "/webhooks/github", webhook, RATE, SECONDS))
            print(f"steady {RATE:g} req/s for {SECONDS:g} s, embedded mode (jobs in-process)")
            for label, lat in (("GET /healthz (baseline)", health),
                               ("POST /webhooks/github", hooks)):
                ms = [x * 1000 for x in lat]
                print(f"  {label:26} n={len(ms):5}  p50 {statistics.median(ms):6.2f} ms"
                      f"  p90 {pct(ms, 90):6.2f} ms  p99 {pct(ms, 99):6.2f} ms"
                      f"  max {max(ms):7.2f} ms")
            print("  budget: webhook p99 under 50 ms")
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
