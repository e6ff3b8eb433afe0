"""Helpers of the collect tests: the Go service (built once per session), Python services, a
server that never answers, and ``coverhub collect`` run in-process."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.crosscheck.gocovdata.gcd_go import Go
from tests.support.servers import free_port

REPO = Path(__file__).resolve().parents[3]
COLLECTSVC = REPO / "tests" / "data" / "go" / "collectsvc"
PYSVC = REPO / "tests" / "data" / "py" / "collectsvc"


@dataclass(frozen=True)
class Binaries:
    atomic: Path
    set: Path


def build_collectsvc(go: Go, out: Path) -> Binaries:
    """``go build -cover`` the service in atomic mode (as goverage requires) and in set mode."""
    bins = Binaries(out / "collectsvc.atomic", out / "collectsvc.set")
    go.run("build", "-cover", "-covermode=atomic", "-o", str(bins.atomic), ".", cwd=COLLECTSVC)
    go.run("build", "-cover", "-covermode=set", "-o", str(bins.set), ".", cwd=COLLECTSVC)
    go.covdata("help")  # builds the covdata tool on first use; the services run it
    return bins


def _wait_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            pytest.fail(f"{what} exited ({proc.returncode}) before listening: {err}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    pytest.fail(f"{what} did not listen on port {port} within 30 s")


@dataclass
class Service:
    proc: subprocess.Popen[bytes]
    port: int
    coverdir: Path | None = None
    #: SIGINT for Python services: uvicorn then exits normally and coverage.py saves its data
    stop_signal: int = signal.SIGTERM

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> str:
        response = httpx.get(self.url + path, timeout=10)
        response.raise_for_status()
        return response.text

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr is not None:
            self.proc.stderr.close()


@contextlib.contextmanager
def go_service(go: Go, binary: Path, root: Path, *, json: bool = False) -> Iterator[Service]:
    port = free_port()
    coverdir, tmp = root / f"cov-{port}", root / f"tmp-{port}"
    coverdir.mkdir(parents=True)
    tmp.mkdir()
    env = dict(
        go.env,
        PORT=str(port),
        GOCOVERDIR=str(coverdir),
        COLLECTSVC_TMP=str(tmp),
        COLLECTSVC_GO=str(go.exe),
        COLLECTSVC_JSON="1" if json else "0",
    )
    proc = subprocess.Popen([str(binary)], env=env, stderr=subprocess.PIPE)
    service = Service(proc, port, coverdir)
    try:
        _wait_port(port, proc, f"{binary.name} on port {port}")
        yield service
    finally:
        service.stop()


@contextlib.contextmanager
def py_service(kind: str, workdir: Path, data_file: Path) -> Iterator[Service]:
    """``coverage run --branch`` one of tests/data/py/collectsvc's services in ``workdir``."""
    port = free_port()
    env = dict(os.environ, PORT=str(port), PYTHONPATH=str(REPO), COVERHUB_RUNTIME_COVERAGE="1")
    cmd = [
        sys.executable, "-m", "coverage", "run", "--branch", f"--data-file={data_file}",
        "--include=*/shop.py", f"{kind}_svc.py",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=workdir, env=env, stderr=subprocess.PIPE)
    service = Service(proc, port, stop_signal=signal.SIGINT)
    try:
        _wait_port(port, proc, f"{kind}_svc.py on port {port}")
        yield service
    finally:
        service.stop()


@contextlib.contextmanager
def silent_server() -> Iterator[str]:
    """A server that accepts connections and reads requests but never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


@contextlib.contextmanager
def goc_v2_center(profile: str) -> Iterator[str]:
    """A stand-in for goc v2's center: ``GET /v2/cover/profile`` answers ``{"profile": ...}``."""
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/v2/cover/profile":
                self.send_error(404)
                return
            body = json.dumps({"profile": profile}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v2/cover/profile"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def run_once(go: Go, binary: Path, coverdir: Path, op: str, n: int) -> None:
    """Run the service's one-shot mode; Go writes its coverage into ``coverdir`` at exit."""
    coverdir.mkdir(parents=True, exist_ok=True)
    env = dict(go.env, GOCOVERDIR=str(coverdir))
    proc = subprocess.run([str(binary), "once", op, str(n)], env=env, timeout=60, check=False)
    assert proc.returncode == 0


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def collect_cli(*argv: str) -> Outcome:
    from app.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["collect", *argv])
    return Outcome(code, out.getvalue(), err.getvalue())


def latest_counters_dir(coverdir: Path, dest: Path) -> Path:
    """A GOCOVERDIR with the meta files and, per process, only its newest counters file.

    Every goverage scrape leaves a cumulative snapshot; the newest one holds the true counts.
    """
    dest.mkdir(parents=True)
    newest: dict[tuple[str, str], tuple[int, Path]] = {}
    for f in coverdir.iterdir():
        if f.name.startswith("covmeta."):
            (dest / f.name).write_bytes(f.read_bytes())
        elif f.name.startswith("covcounters."):
            _, meta, pid, ns = f.name.split(".")
            if (meta, pid) not in newest or int(ns) > newest[meta, pid][0]:
                newest[meta, pid] = (int(ns), f)
    for _, f in newest.values():
        (dest / f.name).write_bytes(f.read_bytes())
    return dest


def counter_files(coverdir: Path) -> int:
    return sum(1 for f in coverdir.iterdir() if f.name.startswith("covcounters."))
