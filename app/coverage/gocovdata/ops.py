"""The ``go tool covdata`` operations as pure functions over input directories (a facade).

Every function takes the input directories (:class:`~app.coverage.gocovdata.pods.CovDir`, built
from bytes or a SourceTree by the caller) and returns a :class:`Result`: what go prints on
standard output, the text profile (``textfmt``), the files to write (``merge``, ``subtract``,
``intersect``) and the warnings go would print on standard error. Nothing here touches the file
system.

The semantics follow cmd/covdata (go1.27.3): ``percent``, ``func`` and ``pkglist`` merge counter
modes relaxed (the highest mode wins), ``textfmt`` refuses a mode clash; counters of one program
(pod) are merged per function first (set: OR, count/atomic: saturating uint32 add), then units
are merged across programs by (package, file, function, literal flag, unit).

This module only gathers the public names; the work lives in

* :mod:`.inputs` - :class:`Result`, reading and checking pods (meta and counter files);
* :mod:`.cmerge` - counter merging (:class:`Merger`);
* :mod:`.cformat` - :class:`Formatter` and :func:`tabwrite`: go's text outputs;
* :mod:`.dump` - ``percent``, ``func``, ``pkglist``, ``textfmt`` and :func:`formatter_for`;
* :mod:`.metamerge` - ``merge``, ``subtract``, ``intersect``.
"""

from __future__ import annotations

from app.coverage.gocovdata.cformat import Formatter, tabwrite
from app.coverage.gocovdata.cmerge import Merger
from app.coverage.gocovdata.dump import formatter_for, func, percent, pkglist, textfmt
from app.coverage.gocovdata.inputs import LoadedPod, Matcher, Result
from app.coverage.gocovdata.metamerge import intersect, merge, subtract

__all__ = [
    "Formatter",
    "LoadedPod",
    "Matcher",
    "Merger",
    "Result",
    "formatter_for",
    "func",
    "intersect",
    "merge",
    "percent",
    "pkglist",
    "subtract",
    "tabwrite",
    "textfmt",
]
