"""Ports: small interfaces to the outside world, each with an embedded and a real implementation.

* storage: report files (local folder / S3)
* cache: bytes with a TTL (in-process / Redis)
* queue: job notifications (in-process / arq on Redis)

The same contract tests (tests/contract) run against both implementations of each.
"""
