"""Prometheus metrics, in one registry per process (so tests can build several apps)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "coverhub_http_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "coverhub_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.jobs = Counter(
            "coverhub_jobs",
            "Job executions by kind and outcome (done, retry, dead, lost, skipped).",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.job_seconds = Histogram(
            "coverhub_job_duration_seconds",
            "Job execution time by kind and outcome.",
            ["kind", "outcome"],
            buckets=JOB_BUCKETS,
            registry=self.registry,
        )
        self.swept = Counter(
            "coverhub_jobs_swept",
            "Jobs re-enqueued by the sweeper because they were not finished in time.",
            registry=self.registry,
        )
