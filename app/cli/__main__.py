"""`python -m app.cli` is the same as the `coverhub` command."""

import sys

from app.cli import main

sys.exit(main())
