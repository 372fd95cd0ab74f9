"""`python -m zoom_actions`: the `zoom-actions` command."""

from zoom_actions.cli import main

raise SystemExit(main())
