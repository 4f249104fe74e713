"""`python -m hktwin` is the same as the `hktwin` console script."""

from hktwin.cli import main

raise SystemExit(main())
