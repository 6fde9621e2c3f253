"""`python -m samordna` runs the `samordna` command."""

from samordna.cli import main

raise SystemExit(main())
