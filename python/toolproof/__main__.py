"""``python -m toolproof``: the ``toolproof`` command."""

from toolproof.cli import main

raise SystemExit(main())
