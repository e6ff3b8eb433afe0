"""goverage's accumulation across retried requests, with a stand-in that answers like goverage
(each POST adds one cumulative snapshot and answers the sum of all of them) and fails on demand."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from app.collect.client import FetchOptions
from app.collect.collector import collect

# the true cumulative counts never change here: a start-up block ran once, a handler 4 times
SNAPSHOT = {"example.com/m/main.go:3.13,5.2 2": 1, "example.com/m/w.go:7.2,8.10 1": 4}


@contextlib.contextmanager
def fake_goverage(fail_requests: set[int]) -> Iterator[tuple[str, list[int]]]:
    """``fail_requests``: request numbers (1-based) that add their snapshot, then answer 503."""
    requests: list[int] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                requests.append(len(requests) + 1)
                number = scrapes = len(requests)
            if number in fail_requests:
                self.send_error(503)
                return
            lines = ["mode: atomic"] + [f"{k} {v * scrapes}" for k, v in SNAPSHOT.items()]
            body = "\n".join(lines).encode()  # no trailing newline, as goverage
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def counts(fail: set[int], single: bool = False) -> tuple[dict[str, int], int]:
    with fake_goverage(fail) as (base, requests):
        result = collect(
            [base], options=FetchOptions(retries=2, backoff=0.01), single_scrape=single
        )
        asked = len(requests)
    assert result.merged is not None, result.failed
    got = {
        f"{path}:{b.start_line}.{b.start_col},{b.end_line}.{b.end_col} {b.statements}": b.count
        for path, f in result.merged.files.items()
        for b in f.blocks or ()
    }
    return got, asked


def test_true_counts_from_a_clean_pair() -> None:
    assert counts(set()) == (SNAPSHOT, 2)


def test_a_retried_second_request_starts_a_new_pair() -> None:
    # request 2 fails after adding its snapshot, request 3 (its retry) answers 3 x S, and only
    # request 4, answered at the first attempt, is paired with it: 4S - 3S = S
    assert counts({2}) == (SNAPSHOT, 4)


def test_single_scrape_keeps_goverage_inflation() -> None:
    # request 1 fails (its snapshot is still added); request 2 answers 2 x S as is
    got, asked = counts({1}, single=True)
    assert asked == 2
    assert got == {k: 2 * v for k, v in SNAPSHOT.items()}
