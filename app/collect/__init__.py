"""Runtime coverage collection (``coverhub collect``).

* :mod:`.skip` — ``--skip`` patterns, validated and matched in linear time;
* :mod:`.profiles` — decoding, parsing, goverage de-inflation and merging of answers (pure);
* :mod:`.client` — one bounded, retried HTTP request (httpx);
* :mod:`.collector` — every service once, in parallel, merged; partial results reported.

This package imports nothing at import time, so :mod:`app.pycover` can use :mod:`.skip` without
pulling in the HTTP client.
"""
