"""A runtime coverage endpoint for Python services: ``POST /v1/cover/profile``, like goverage.

Mount it in a service that runs under coverage.py (``coverage run``, or
``coverage.process_startup()`` with ``COVERAGE_PROCESS_START``), then ``coverhub collect`` pulls
and merges it exactly like Go services::

    from app.pycover import asgi_app, wsgi_app
    app.mount("/v1/cover/profile", asgi_app())        # Starlette / FastAPI
    # or wrap a WSGI callable: wsgi_app(fallback=your_wsgi_app)

The answer is a **coverage.py JSON report** (the ``coverage json`` document, made by coverage.py's
own JSON reporter from the live data of ``coverage.Coverage.current()``), which coverhub's
engine detects and parses; files whose reported path matches a ``skipFile`` pattern of the
request body ``{"skipFile": [...]}`` are left out before the report is made, so the totals stay
coverage.py's own. Patterns run in linear time (:mod:`app.collect.skip`); a pattern refused there
makes the answer HTTP 400.

**Off unless enabled.** The endpoint hands out which code a process ran and costs a full
coverage.py report per request: it must be off in production builds. :func:`asgi_app` and
:func:`wsgi_app` refuse to build (raise :class:`EndpointDisabled`) unless the environment
variable ``COVERHUB_RUNTIME_COVERAGE`` is exactly ``1`` (or ``enable=True`` is passed), and the
endpoint answers 503 while coverage.py is not measuring the process. This package imports
neither the coverhub web app nor any framework.
"""

from __future__ import annotations

from app.pycover.endpoint import (
    ENABLE_ENV,
    EndpointDisabled,
    asgi_app,
    live_report,
    wsgi_app,
)

__all__ = ["ENABLE_ENV", "EndpointDisabled", "asgi_app", "live_report", "wsgi_app"]
