"""``coverhub collect``'s work: scrape every service once, in parallel, and merge.

* URLs are normalised (:func:`target_of`) and duplicates dropped: one service is never scraped
  into the merge twice, so its counts are never summed with themselves.
* A Go ``count``/``atomic`` answer is asked a second time right away and the pair handed to
  :func:`deinflate` (goverage's per-scrape inflation, see :mod:`app.collect.profiles`), unless
  ``single_scrape`` is set. The two answers must be back to back: when the second request needed a
  retry (a failed attempt may have been served, adding a snapshot), its answer becomes the first
  of a new pair. If no clean pair can be had, the service counts as not answered: the first
  answer alone may be inflated. Another client scraping the same goverage service between the
  two requests cannot be detected and inflates the difference: scrape a service from one place.
* coverage.py JSON answers (Python services) are merged at the arc level (:mod:`.pyjson`).
* A service that gives no usable answer (unreachable, timed out, HTTP error, not a profile)
  becomes a :class:`ServiceResult` with an ``error``; the others are merged. The caller decides
  what a partial result means (the CLI: exit code 3 and a message).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from app.collect.client import (
    FetchOptions,
    Target,
    Unreachable,
    fetch,
    fetch_counted,
    make_client,
    target_of,
)
from app.collect.profiles import deinflate, merge_services, needs_second_scrape, read_answer
from app.collect.pyjson import merge_documents
from app.collect.skip import SkipPattern
from app.coverage.errors import CoverageError
from app.coverage.model import CoverageReport
from app.coverage.parsers import parse_bytes

MAX_PARALLEL = 8
#: How many times the second answer of a pair is asked for when its request had to be retried.
PAIR_TRIES = 3


@dataclass(frozen=True)
class ServiceResult:
    target: Target
    report: CoverageReport | None = None
    error: str | None = None
    #: the answers were goverage's accumulated ones and the difference of two was taken
    deinflated: bool = False
    #: a coverage.py JSON answer, kept to be merged at the arc level
    document: dict[str, Any] | None = None


@dataclass(frozen=True)
class Collected:
    results: tuple[ServiceResult, ...]
    merged: CoverageReport | None
    duplicates: tuple[str, ...] = field(default=())

    @property
    def failed(self) -> tuple[ServiceResult, ...]:
        return tuple(r for r in self.results if r.error is not None)

    @property
    def answered(self) -> tuple[ServiceResult, ...]:
        return tuple(r for r in self.results if r.report is not None)


def targets_of(urls: Sequence[str]) -> tuple[list[Target], list[str]]:
    """Distinct targets in command-line order, and the URLs dropped as duplicates."""
    seen: set[str] = set()
    targets: list[Target] = []
    duplicates: list[str] = []
    for url in urls:
        target = target_of(url)
        if target.url in seen:
            duplicates.append(url)
            continue
        seen.add(target.url)
        targets.append(target)
    return targets, duplicates


def _one(
    target: Target,
    skips: Sequence[SkipPattern],
    options: FetchOptions,
    single_scrape: bool,
) -> ServiceResult:
    raw = [p.pattern for p in skips]
    try:
        with make_client(options) as client:
            first, document = read_answer(fetch(client, target, raw, options), target.url, skips)
            if single_scrape or not needs_second_scrape(first):
                return ServiceResult(target, first, document=document)
            # Two answers with nothing between them: a retried request may have been served
            # anyway (goverage then added a snapshot), so after a retry the pair starts again.
            for _ in range(PAIR_TRIES):
                second_body, attempts = fetch_counted(client, target, raw, options)
                second, _ = read_answer(second_body, target.url, skips)
                if attempts == 1:
                    break
                first = second
            else:
                raise Unreachable(
                    f"no two back-to-back answers in {PAIR_TRIES} tries (requests kept failing)"
                )
        result = deinflate(first, second, target.url)
        return ServiceResult(target, result.report, deinflated=result.accumulating)
    except Unreachable as exc:
        return ServiceResult(target, error=str(exc))
    except CoverageError as exc:
        return ServiceResult(target, error=f"not a usable coverage answer: {exc}")


def collect(
    urls: Sequence[str],
    skips: Sequence[SkipPattern] = (),
    options: FetchOptions | None = None,
    single_scrape: bool = False,
) -> Collected:
    """Scrape every distinct service and merge what answered (see the module docstring)."""
    options = options or FetchOptions()
    targets, duplicates = targets_of(urls)
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, max(1, len(targets)))) as pool:
        results = tuple(pool.map(lambda t: _one(t, skips, options, single_scrape), targets))
    reports = [r.report for r in results if r.report is not None and r.document is None]
    documents = [r.document for r in results if r.document is not None]
    if len(documents) == 1:
        reports.extend(r.report for r in results if r.document is not None and r.report)
    elif documents:
        reports.append(parse_bytes(merge_documents(documents), "collect"))
    merged = merge_services(reports) if reports else None
    return Collected(results, merged, tuple(duplicates))
