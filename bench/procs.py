"""Helpers of the benchmarks that start real processes: a free port, and waiting for a URL."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Sequence

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, seconds: float = 60, procs: Sequence[subprocess.Popen[bytes]] = ()) -> None:
    """Until ``url`` answers 200; fails at once if one of ``procs`` has exited."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"process exited with {p.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {seconds:g} s")
